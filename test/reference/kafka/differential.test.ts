/**
 * The local broker held answer-for-answer against Apache Kafka (1 node): the same hand-built Produce
 * exchanges (chosen producer ids, epochs and sequences) to both, answers compared field by field (error code,
 * base offset, log start offset; throttle and timestamps excepted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../local/broker/protocol/api-keys';
import { encodeRecordBatch } from '../../../local/broker/protocol/record-batch';
import { type ReferenceCluster, startReferenceCluster } from '../../../reference/kafka/cluster';
import { createFreshTopic, startLocalKafka, type TestKafka } from '../../helpers/kafka';
import { RawClient } from '../../local/broker/server/raw-client';

let reference: ReferenceCluster;
let local: TestKafka;

beforeAll(async () => {
  [reference, local] = await Promise.all([startReferenceCluster({ nodes: 1 }), startLocalKafka()]);
});

afterAll(async () => {
  await Promise.all([reference?.close(), local?.close()]);
});

/** One produce of `records` records under the scripted producer. */
interface Step {
  readonly what: string;
  /** 'issued': the id InitProducerId gave; 'unknown' and 'other': ids the broker never issued; 'none': -1. */
  readonly producer: 'issued' | 'unknown' | 'other' | 'none';
  readonly epoch: number;
  readonly sequence: number;
  readonly records: number;
  readonly acks: -1 | 0 | 1;
}

interface ProduceAnswer {
  readonly what: string;
  readonly errorCode: number;
  readonly baseOffset: bigint;
  readonly logStartOffset: bigint;
}

/** InitProducerId v1, asked again while Kafka still loads its coordinators (error 14 or 15). */
async function initProducerId(client: RawClient): Promise<bigint> {
  for (let attempt = 1; ; attempt++) {
    client.send(ApiKey.InitProducerId, 1, (w) => w.nullableString(null).int32(60_000));
    const init = (await client.next()).body;
    init.int32(); // throttle
    const errorCode = init.int16();
    if (errorCode === 0) return init.int64();
    if (![14, 15].includes(errorCode) || attempt === 100)
      throw new Error(`InitProducerId answered ${errorCode}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Runs the script on one broker, on a fresh topic; returns each answer (acks 0 has none). */
async function play(brokers: readonly string[], steps: readonly Step[]): Promise<ProduceAnswer[]> {
  const topic = await createFreshTopic(brokers, { prefix: 'differential' });
  const port = Number(brokers[0]?.split(':')[1]);
  const client = await RawClient.connect(port);
  try {
    const issued = await initProducerId(client);
    const answers: ProduceAnswer[] = [];
    for (const step of steps) {
      const producerId =
        step.producer === 'issued' ? issued : step.producer === 'unknown' ? issued + 1000n : -1n;
      const batch = encodeRecordBatch({
        records: Array.from({ length: step.records }, (_, index) => ({
          key: Buffer.from('k'),
          value: Buffer.from(`${step.what}-${index}`),
        })),
        producerId,
        producerEpoch: producerId === -1n ? -1 : step.epoch,
        baseSequence: producerId === -1n ? -1 : step.sequence,
      });
      client.send(ApiKey.Produce, 7, (w) => {
        w.nullableString(null).int16(step.acks).int32(10_000);
        w.array([topic], (tw, name) => tw.string(name).array([0], (pw, p) => pw.int32(p).bytes(batch)));
      });
      if (step.acks === 0) continue;
      const body = (await client.next()).body;
      body.int32(); // topics
      body.string();
      body.int32(); // partitions
      body.int32(); // partition index
      const errorCode = body.int16();
      const baseOffset = body.int64();
      body.int64(); // log append time
      answers.push({ what: step.what, errorCode, baseOffset, logStartOffset: body.int64() });
    }
    return answers;
  } finally {
    client.close();
  }
}

const produce = (what: string, sequence: number, extra: Partial<Step> = {}): Step => ({
  what,
  producer: 'issued',
  epoch: 0,
  sequence,
  records: 2,
  acks: -1,
  ...extra,
});

describe('the local broker answers like Apache Kafka', () => {
  it('to the idempotent producer rules: duplicates, the window, gaps, epochs, unknown ids, acks', async () => {
    // Prepare: five batches of two records, then every case of the rules.
    const steps: Step[] = [
      ...[0, 2, 4, 6, 8].map((sequence) => produce(`batch-${sequence}`, sequence)),
      ...[0, 2, 4, 6, 8].map((sequence) => produce(`duplicate-of-${sequence}`, sequence)),
      produce('sixth batch', 10),
      produce('older than the window', 0),
      produce('sequence gap', 20),
      produce('new epoch not at 0', 5, { epoch: 1 }),
      produce('new epoch at 0', 0, { epoch: 1 }),
      produce('old epoch', 12, { epoch: 0 }),
      produce('unknown producer id', 7, { producer: 'unknown' }),
      produce('wraparound: the last two sequences', 2_147_483_646, { producer: 'other' }),
      produce('wraparound: sequence 0 follows 2147483647', 0, { producer: 'other' }),
      produce('wraparound: sequence 0 sent again', 0, { producer: 'other' }),
      produce('non-idempotent, acks 1', 0, { producer: 'none', acks: 1 }),
      produce('non-idempotent, acks 0', 0, { producer: 'none', acks: 0 }),
      produce('non-idempotent, acks -1', 0, { producer: 'none', acks: -1 }),
    ];

    // Act
    const [fromKafka, fromLocal] = await Promise.all([
      play(reference.brokers, steps),
      play(local.brokers, steps),
    ]);

    // Assess: field by field, step by step.
    console.log(fromKafka.map((a) => `${a.what}: ${a.errorCode} @${a.baseOffset}`).join('\n'));
    expect(fromLocal).toEqual(fromKafka);
  });
});
