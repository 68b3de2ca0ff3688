/**
 * The local broker held answer-for-answer against Apache Kafka (1 node): the same exchanges to both, answers
 * compared field by field (throttle times, ids the brokers make up and error messages excepted).
 * Produce and Fetch are hand-built (chosen producer ids, epochs and sequences; raw record batches back);
 * the other APIs are written and read by kafkajs's protocol code, an independent reading of the grammar.
 */
import { AssignerProtocol } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../local/broker/protocol/api-keys';
import { Codec } from '../../../local/broker/protocol/compression';
import type { Reader } from '../../../local/broker/protocol/reader';
import {
  type BatchRecord,
  decodeRecordBatch,
  encodeRecordBatch,
  splitRecordBatches,
} from '../../../local/broker/protocol/record-batch';
import { type ReferenceCluster, startReferenceCluster } from '../../../reference/kafka/cluster';
import { createFreshTopic, freshTopicName, startLocalKafka, type TestKafka } from '../../helpers/kafka';
import {
  COMPRESSING_CODECS,
  compressBatch,
  markCompressed,
} from '../../local/broker/protocol/compressed-batch';
import { kafkajsApi } from '../../local/broker/protocol/kafkajs-codec';
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

/** A connection to the first broker of `brokers`, closed after `use`. */
async function connected<T>(brokers: readonly string[], use: (client: RawClient) => Promise<T>): Promise<T> {
  const client = await RawClient.connect(Number(brokers[0]?.split(':')[1]));
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** The same exchange with both brokers at once: [Apache Kafka's answers, the local broker's]. */
function withBoth<T>(exchange: (brokers: readonly string[]) => Promise<T>): Promise<[T, T]> {
  return Promise.all([exchange(reference.brokers), exchange(local.brokers)]);
}

/** Reads an answer's topics down to its only partition: that partition's error code. */
function onlyPartitionError(body: Reader): number {
  body.int32(); // topics
  body.string();
  body.int32(); // partitions
  body.int32(); // partition index
  return body.int16();
}

/** Produce v7 of one batch to partition 0; the partition's answer, or undefined for acks 0. */
async function produceBatch(
  client: RawClient,
  topic: string,
  batch: Buffer,
  acks: -1 | 0 | 1 = -1,
): Promise<{ errorCode: number; baseOffset: bigint; logStartOffset: bigint } | undefined> {
  client.send(ApiKey.Produce, 7, (w) => {
    w.nullableString(null).int16(acks).int32(10_000);
    w.array([topic], (tw, name) => tw.string(name).array([0], (pw, p) => pw.int32(p).bytes(batch)));
  });
  if (acks === 0) return undefined;
  const body = (await client.next()).body;
  const errorCode = onlyPartitionError(body);
  const baseOffset = body.int64();
  body.int64(); // log append time
  return { errorCode, baseOffset, logStartOffset: body.int64() };
}

/** Runs the script on one broker, on a fresh topic; returns each answer (acks 0 has none). */
async function play(brokers: readonly string[], steps: readonly Step[]): Promise<ProduceAnswer[]> {
  const topic = await createFreshTopic(brokers, { prefix: 'differential' });
  return connected(brokers, async (client) => {
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
      const answer = await produceBatch(client, topic, batch, step.acks);
      if (answer) answers.push({ what: step.what, ...answer });
    }
    return answers;
  });
}

interface FetchAnswer {
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  readonly logStartOffset: bigint;
  /** The records fetched, decoded: offset, timestamp, key, value and headers as text. */
  readonly records: string[];
}

/** Fetch v5 of partition 0 from `offset`, answered at once (min bytes 0). */
async function fetchFrom(client: RawClient, topic: string, offset: bigint): Promise<FetchAnswer> {
  client.send(ApiKey.Fetch, 5, (w) => {
    w.int32(-1).int32(100).int32(0).int32(1_048_576).int8(0);
    w.array([topic], (tw, name) =>
      tw.string(name).array([0], (pw, p) => pw.int32(p).int64(offset).int64(-1n).int32(1_048_576)),
    );
  });
  const body = (await client.next()).body;
  body.int32(); // throttle
  const errorCode = onlyPartitionError(body);
  const highWatermark = body.int64();
  const lastStableOffset = body.int64();
  const logStartOffset = body.int64();
  body.nullableArray((r) => [r.int64(), r.int64()]); // aborted transactions
  const records = splitRecordBatches(body.nullableBytes() ?? Buffer.alloc(0))
    .flatMap(decodeRecordBatch)
    .map((r) => {
      const headers = r.headers.map((h) => `${h.key}=${h.value}`).join(',');
      return `${r.offset} @${r.timestamp} ${r.key}=${r.value} [${headers}]`;
    });
  return { errorCode, highWatermark, lastStableOffset, logStartOffset, records };
}

type Decoded = Record<string, unknown>;

/** One request written and its answer read by kafkajs's protocol code (`api` as kafkajs names it). */
async function call(
  client: RawClient,
  api: string,
  version: number,
  args: object,
  timeoutMs?: number,
): Promise<Decoded> {
  const { request, response } = kafkajsApi(api, version, args);
  const body = (await request.encode()).buffer;
  client.send(request.apiKey, version, (w) => w.raw(body));
  const answer = (await client.next(timeoutMs)).body;
  return response.decode(answer.buffer.subarray(answer.offset));
}

/** Kafka's answers while its group coordinator is not ready yet (the offsets topic is still loading). */
const COORDINATOR_NOT_READY = [14, 15, 16];

/**
 * FindCoordinator v2, then OffsetFetch, asked again until the coordinator serves the group (Kafka creates
 * and loads its offsets topic on first use); the last FindCoordinator error code.
 */
async function coordinatorReady(client: RawClient, groupId: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const found = await call(client, 'findCoordinator', 2, { groupId, coordinatorType: 0 });
    const fetched = await call(client, 'offsetFetch', 4, { groupId, topics: [] });
    const waiting = [found.errorCode, fetched.errorCode].some((code) =>
      COORDINATOR_NOT_READY.includes(code as number),
    );
    if (!waiting || attempt === 100) return found.errorCode as number;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** ListOffsets v2 of partition 0 at each of `timestamps`, in one request: "error: offset @timestamp" each. */
async function listOffsets(
  client: RawClient,
  topic: string,
  timestamps: readonly bigint[],
): Promise<string[]> {
  const listed = await call(client, 'listOffsets', 2, {
    isolationLevel: 0,
    topics: timestamps.map((timestamp) => ({
      topic,
      partitions: [{ partition: 0, timestamp: String(timestamp) }],
    })),
  });
  return (listed.responses as { partitions: Decoded[] }[]).map((answer) => {
    const partition = answer.partitions[0] ?? {};
    return `${partition.errorCode}: ${partition.offset} @${partition.timestamp}`;
  });
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
    const [fromKafka, fromLocal] = await withBoth((brokers) => play(brokers, steps));

    // Assess: field by field, step by step.
    console.log(fromKafka.map((a) => `${a.what}: ${a.errorCode} @${a.baseOffset}`).join('\n'));
    expect(fromLocal).toEqual(fromKafka);
  });
  it('to fetches at, before and beyond the end of the log', async () => {
    // Prepare: three records, so the high watermark is 3.
    const answers = await withBoth(async (brokers) => {
      const topic = await createFreshTopic(brokers, { prefix: 'fetch-end' });
      return connected(brokers, async (client) => {
        const batch = encodeRecordBatch({
          baseTimestamp: 1_700_000_000_000n,
          records: ['a', 'b', 'c'].map((value) => ({ key: Buffer.from('k'), value: Buffer.from(value) })),
        });
        await produceBatch(client, topic, batch);
        // Act
        return {
          'from 1': await fetchFrom(client, topic, 1n),
          'at the high watermark': await fetchFrom(client, topic, 3n),
          'beyond the high watermark': await fetchFrom(client, topic, 8n),
        };
      });
    });

    // Assess
    const [fromKafka, fromLocal] = answers;
    console.log(fromKafka);
    expect(fromLocal).toEqual(fromKafka);
  });

  it.each(
    Object.entries(COMPRESSING_CODECS).flatMap(([name, codec]) =>
      name === 'snappy'
        ? [
            { name, codec, framing: 'raw' as const },
            { name: 'snappy, xerial-framed', codec, framing: 'xerial' as const },
          ]
        : [{ name, codec, framing: 'raw' as const }],
    ),
  )('to a $name batch: stored, fetched back and searched by timestamp', async ({ codec, framing }) => {
    // Prepare: four records 10 ms apart, with keys and headers, as one compressed batch.
    const start = 1_700_000_000_000n;
    const records: BatchRecord[] = [0, 1, 2, 3].map((i) => ({
      key: Buffer.from(`account-${i % 2}`),
      value: Buffer.from(`payment ${i} `.repeat(5)),
      headers: [{ key: 'event-id', value: Buffer.from(`event-${i}`) }],
      timestamp: start + BigInt(10 * i),
    }));
    const batch = compressBatch(encodeRecordBatch({ baseTimestamp: start, records }), codec, framing);

    // Act
    const [fromKafka, fromLocal] = await withBoth(async (brokers) => {
      const topic = await createFreshTopic(brokers, { prefix: 'compressed' });
      return connected(brokers, async (client) => {
        const produced = await produceBatch(client, topic, batch);
        const fetched = await fetchFrom(client, topic, 0n);
        const byTimestamp = [
          ...(await listOffsets(client, topic, [start + 15n])),
          ...(await listOffsets(client, topic, [start + 30n])),
          ...(await listOffsets(client, topic, [start + 31n])),
        ];
        const samePartitionTwice = await listOffsets(client, topic, [start, -1n]);
        return { produced, fetched, byTimestamp, samePartitionTwice };
      });
    });

    // Assess
    console.log(fromKafka);
    expect(fromLocal).toEqual(fromKafka);
    expect(fromKafka.fetched.records).toHaveLength(4);
  });

  it('to batches whose records are malformed', async () => {
    // Prepare: a CRC that is right over records that are not what the codec says, and a CRC that is wrong.
    const plain = encodeRecordBatch({
      baseTimestamp: 1_700_000_000_000n,
      records: ['a', 'b'].map((value) => ({ key: Buffer.from('k'), value: Buffer.from(value) })),
    });
    const zstd = compressBatch(plain, Codec.ZSTD);
    const cases = {
      'plain records marked zstd': markCompressed(plain, Codec.ZSTD),
      'plain records marked gzip': markCompressed(plain, Codec.GZIP),
      'a zstd frame cut short': markCompressed(zstd.subarray(0, zstd.length - 4), Codec.ZSTD),
      'a flipped bit under the CRC': Buffer.concat([
        plain.subarray(0, -1),
        Buffer.from([(plain.at(-1) ?? 0) ^ 1]),
      ]),
    };

    // Act
    const [fromKafka, fromLocal] = await withBoth(async (brokers) => {
      const topic = await createFreshTopic(brokers, { prefix: 'malformed' });
      return connected(brokers, async (client) => {
        const answers: Record<string, unknown> = {};
        for (const [what, batch] of Object.entries(cases)) {
          answers[what] = await produceBatch(client, topic, batch);
        }
        answers['log end afterwards'] = await listOffsets(client, topic, [-1n]);
        return answers;
      });
    });

    // Assess
    console.log(fromKafka);
    expect(fromLocal).toEqual(fromKafka);
  });

  it('to CreateTopics with bad arguments', async () => {
    const cases: { what: string; topic: Decoded }[] = [
      { what: 'zero partitions', topic: { numPartitions: 0, replicationFactor: 1 } },
      { what: 'negative partitions', topic: { numPartitions: -2, replicationFactor: 1 } },
      { what: 'replication factor 0', topic: { numPartitions: 1, replicationFactor: 0 } },
      { what: 'negative replication factor', topic: { numPartitions: 1, replicationFactor: -2 } },
      { what: 'more replicas than brokers', topic: { numPartitions: 1, replicationFactor: 2 } },
      {
        what: 'a config value that is not a number',
        topic: {
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: 'soon' }],
        },
      },
      {
        what: 'an unknown config name',
        topic: {
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.mss', value: '1' }],
        },
      },
      { what: 'a name with a slash', topic: { topic: 'bad/name', numPartitions: 1, replicationFactor: 1 } },
      { what: 'the name ..', topic: { topic: '..', numPartitions: 1, replicationFactor: 1 } },
      { what: 'an empty name', topic: { topic: '', numPartitions: 1, replicationFactor: 1 } },
      {
        what: 'a 250-character name',
        topic: { topic: 't'.repeat(250), numPartitions: 1, replicationFactor: 1 },
      },
      { what: 'an existing topic', topic: { numPartitions: 1, replicationFactor: 1 } },
    ];

    // Act: one CreateTopics v3 per case.
    const [fromKafka, fromLocal] = await withBoth(async (brokers) => {
      const existing = await createFreshTopic(brokers, { prefix: 'existing' });
      return connected(brokers, async (client) => {
        const answers: { what: string; errorCode: unknown; errorMessage?: unknown }[] = [];
        for (const { what, topic } of cases) {
          const name = what === 'an existing topic' ? existing : freshTopicName('bad-arguments');
          const answer = await call(client, 'createTopics', 3, {
            topics: [{ topic: name, ...topic }],
            timeout: 10_000,
          });
          const [result] = answer.topicErrors as Decoded[];
          answers.push({ what, errorCode: result?.errorCode, errorMessage: result?.errorMessage });
        }
        return answers;
      });
    });

    // Assess: error codes; the messages are each broker's own words.
    console.log(fromKafka.map((a) => `${a.what}: ${a.errorCode} ${a.errorMessage}`).join('\n'));
    console.log(fromLocal.map((a) => `${a.what}: ${a.errorCode} ${a.errorMessage}`).join('\n'));
    const codes = (answers: typeof fromKafka) => answers.map(({ what, errorCode }) => ({ what, errorCode }));
    expect(codes(fromLocal)).toEqual(codes(fromKafka));
  });

  it('to a consumer group cycle: join, sync, heartbeat, commit, fetch offsets, leave', async () => {
    const [fromKafka, fromLocal] = await withBoth(async (brokers) => {
      const topic = await createFreshTopic(brokers, { prefix: 'group-cycle', partitions: 2 });
      const groupId = freshTopicName('group');
      return connected(brokers, async (client) => {
        const steps: Record<string, unknown> = {};
        steps['find coordinator'] = await coordinatorReady(client, groupId);
        // A real consumer's subscription and assignment: Apache Kafka 3.8 parses the 'consumer' protocol's
        // subscription and never answers a join whose metadata it cannot parse.
        const subscription = AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics: [topic],
          userData: Buffer.alloc(0),
        });
        const assignment = AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: { [topic]: [0, 1] },
          userData: Buffer.alloc(0),
        });
        // Kafka holds the first join of a group for group.initial.rebalance.delay.ms (3 s), and longer
        // while members keep arriving, up to the rebalance timeout.
        const join = (memberId: string) =>
          call(
            client,
            'joinGroup',
            5,
            {
              groupId,
              sessionTimeout: 10_000,
              rebalanceTimeout: 10_000,
              memberId,
              groupInstanceId: null,
              protocolType: 'consumer',
              groupProtocols: [{ name: 'range', metadata: subscription }],
            },
            30_000,
          );
        const unnamed = await join('');
        const memberId = unnamed.memberId as string;
        steps['join without a member id'] = { errorCode: unnamed.errorCode, gotMemberId: memberId !== '' };
        const joined = await join(memberId);
        const generationId = joined.generationId as number;
        steps.join = {
          errorCode: joined.errorCode,
          generationId,
          groupProtocol: joined.groupProtocol,
          leader: joined.leaderId === memberId,
          members: (joined.members as Decoded[]).map((m) => subscription.equals(m.memberMetadata as Buffer)),
        };
        const sync = (generation: number) =>
          call(client, 'syncGroup', 3, {
            groupId,
            generationId: generation,
            memberId,
            groupInstanceId: null,
            groupAssignment: [{ memberId, memberAssignment: assignment }],
          });
        const synced = await sync(generationId);
        steps.sync = {
          errorCode: synced.errorCode,
          assignment: assignment.equals(synced.memberAssignment as Buffer),
        };
        steps['sync, old generation'] = (await sync(generationId - 1)).errorCode;
        const heartbeat = (member: string) =>
          call(client, 'heartbeat', 3, { groupId, groupGenerationId: generationId, memberId: member });
        steps.heartbeat = (await heartbeat(memberId)).errorCode;
        steps['heartbeat, unknown member'] = (await heartbeat('stranger')).errorCode;
        const commit = async (generation: number, member: string, topicName = topic) => {
          const answer = await call(client, 'offsetCommit', 5, {
            groupId,
            groupGenerationId: generation,
            memberId: member,
            topics: [
              { topic: topicName, partitions: [{ partition: 0, offset: '2', metadata: 'checkpoint' }] },
            ],
          });
          return (answer.responses as { partitions: Decoded[] }[]).map((t) => t.partitions[0]?.errorCode);
        };
        const fetchOffsets = async () => {
          const answer = await call(client, 'offsetFetch', 4, {
            groupId,
            topics: [{ topic, partitions: [{ partition: 0 }, { partition: 1 }] }],
          });
          const partitions = (answer.responses as { partitions: Decoded[] }[])[0]?.partitions ?? [];
          return {
            errorCode: answer.errorCode,
            partitions: partitions.map((p) => `${p.partition}: ${p.errorCode} ${p.offset} ${p.metadata}`),
          };
        };
        steps.commit = await commit(generationId, memberId);
        steps['commit, old generation'] = await commit(generationId - 1, memberId);
        steps['commit, unknown member'] = await commit(generationId, 'stranger');
        steps['commit, unknown topic'] = await commit(generationId, memberId, freshTopicName('missing'));
        steps['fetch offsets'] = await fetchOffsets();
        const left = await call(client, 'leaveGroup', 3, { groupId, memberId, groupInstanceId: null });
        steps.leave = {
          errorCode: left.errorCode,
          members: (left.members as Decoded[]).map((m) => m.errorCode),
        };
        steps['commit outside a generation, empty group'] = await commit(-1, '');
        steps['fetch offsets after leaving'] = await fetchOffsets();
        return steps;
      });
    });

    // Assess
    console.log(fromKafka);
    expect(fromLocal).toEqual(fromKafka);
  });
});
