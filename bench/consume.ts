/**
 * Consume throughput (`npm run bench:consume`):
 * 1. the pure per-partition verification, no I/O (goal ≥ 500,000 records/s);
 * 2. decoding + reading + verification of MSK batches, still no I/O (for comparison);
 * 3. the whole handler with the embedded ledger (dynalite in this process), batches of 100 (goal ≥ 3,000 records/s);
 * 4. the same with one poison record per batch (an unknown field of 300 KB, dead-lettered INVALID).
 * Each figure is the median of several runs.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { createConsumeHandler } from '../functions/consume/consume';
import type { DeadLetter, DeadLetterSink } from '../functions/consume/dead-letters';
import { decodeKafkaEvent } from '../functions/consume/kafka-event';
import { type ReadRecord, readRecord } from '../functions/consume/record-reading';
import { verifyPartition } from '../functions/consume/verification';
import { eventDefinition } from '../functions/event/definition';
import { createLedgerClient } from '../functions/ledger/client';
import { DynamoDbLedger, type PartitionSnapshot } from '../functions/ledger/ledger';
import { appNames } from '../functions/shared/app-names';
import { RecordHeader } from '../functions/shared/record-headers';
import { partitionKey, toSignedBytes } from '../local/event-source';
import { ensureLedgerTable, startLedgerStore } from '../local/ledger-store';
import { publishFigures } from './support/report';
import { median } from './support/stats';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const RUNS = 5;
const BATCH = 100;
const ref = { topic: appNames().topic, partition: 0 };
const session = randomUUID();

function record(offset: number, sequence: number, prefix: string): MSKRecord {
  const eventId = `${prefix}-${offset}`;
  const event = eventDefinition.sample(eventId, offset % 97);
  return {
    topic: ref.topic,
    partition: ref.partition,
    offset,
    timestamp: 1_767_225_600_000 + offset,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(eventDefinition.orderingKey(event)).toString('base64'),
    value: Buffer.from(JSON.stringify(event)).toString('base64'),
    headers: [
      { [RecordHeader.eventId]: toSignedBytes(Buffer.from(eventId)) },
      { [RecordHeader.producerSession]: toSignedBytes(Buffer.from(session)) },
      { [RecordHeader.partitionSequence]: toSignedBytes(Buffer.from(String(sequence))) },
    ],
  };
}

function batchEvent(records: MSKRecord[]): MSKEvent {
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/bench',
    bootstrapServers: '127.0.0.1:9092',
    records: { [partitionKey(ref.topic, ref.partition)]: records },
  };
}

/** 1 and 2: batches of 100 after a ledger state that knows the session, as in steady state. */
function pureFigures(): { verify: number; decodeAndVerify: number } {
  const total = 200_000;
  const events: MSKEvent[] = [];
  for (let start = 0; start < total; start += BATCH) {
    events.push(batchEvent(Array.from({ length: BATCH }, (_, i) => record(start + i, start + i, 'pure'))));
  }
  const read: ReadRecord[][] = events.map((event) =>
    (decodeKafkaEvent(event)[0]?.records ?? []).map(readRecord),
  );
  const snapshots: PartitionSnapshot[] = read.map((batch) => ({
    lastOffset: (batch[0]?.source.offset ?? 0) - 1,
    lastSequences: new Map([[session, (batch[0]?.origin?.partitionSequence ?? 0) - 1]]),
    applied: new Map(),
  }));

  const verifyRuns: number[] = [];
  const fullRuns: number[] = [];
  let sink = 0;
  for (let run = 0; run < RUNS + 1; run += 1) {
    let started = performance.now();
    for (let i = 0; i < read.length; i += 1) {
      sink += verifyPartition(ref, read[i] ?? [], snapshots[i] as PartitionSnapshot).length;
    }
    const verifySeconds = (performance.now() - started) / 1000;
    started = performance.now();
    for (let i = 0; i < events.length; i += 1) {
      const records = (decodeKafkaEvent(events[i])[0]?.records ?? []).map(readRecord);
      sink += verifyPartition(ref, records, snapshots[i] as PartitionSnapshot).length;
    }
    const fullSeconds = (performance.now() - started) / 1000;
    if (run > 0) {
      // run 0 warms the JIT
      verifyRuns.push(total / verifySeconds);
      fullRuns.push(total / fullSeconds);
    }
  }
  if (sink === 0) throw new Error('nothing verified');
  return { verify: median(verifyRuns), decodeAndVerify: median(fullRuns) };
}

/** A record with well-formed headers whose value has a 300 KB unknown field: INVALID, dead-lettered. */
function poisonRecord(offset: number, sequence: number, prefix: string): MSKRecord {
  const valid = record(offset, sequence, prefix);
  const event = JSON.parse(Buffer.from(valid.value, 'base64').toString()) as Record<string, unknown>;
  const value = JSON.stringify({ ...event, [`x${'y'.repeat(300 * 1024)}`]: 1 });
  return { ...valid, value: Buffer.from(value).toString('base64') };
}

/**
 * 3 and 4: the handler, embedded ledger; with `poison`, one poison record per batch (its letter goes to an
 * in-memory sink). Without, the dead-letter sink is never called.
 */
async function handlerFigure(
  poison: boolean,
): Promise<{ recordsPerSecond: number; transactionsPerBatch: number; letters: number }> {
  const store = await startLedgerStore();
  const client = createLedgerClient({ endpoint: store.endpoint });
  let letters = 0;
  const deadLetters: DeadLetterSink = {
    publish: async (published: readonly DeadLetter[]) => {
      if (published.length > 0 && !poison) throw new Error('the benchmark batches hold no anomalies');
      letters += published.length;
    },
  };
  const batches = 40;
  const runs: number[] = [];
  let transactions = 0;
  try {
    for (let run = 0; run < RUNS + 1; run += 1) {
      const tableName = `bench-${randomUUID()}`;
      await ensureLedgerTable(client, tableName);
      const handler = createConsumeHandler({
        ledger: new DynamoDbLedger(client, tableName),
        deadLetters,
        logger: new Logger({ serviceName: 'consume', logLevel: 'SILENT' }),
        metrics: new Metrics({ namespace: appNames().metricsNamespace, serviceName: 'consume' }),
      });
      const events = Array.from({ length: batches }, (_, b) =>
        batchEvent(
          Array.from({ length: BATCH }, (_, i) => {
            const offset = b * BATCH + i;
            // The poison record sits at a different place in each batch.
            const make = poison && i === (b * 37) % BATCH ? poisonRecord : record;
            return make(offset, offset, `run${run}`);
          }),
        ),
      );
      letters = 0;
      const committedBefore = store.committedTransactions;
      const started = performance.now();
      for (const event of events) {
        const response = await handler(event, {} as never);
        if (response.batchItemFailures.length > 0) throw new Error('a batch failed');
      }
      const seconds = (performance.now() - started) / 1000;
      transactions = (store.committedTransactions - committedBefore) / batches;
      if (poison && letters !== batches)
        throw new Error(`${letters} dead letters for ${batches} poison records`);
      if (run > 0) runs.push((batches * BATCH) / seconds);
    }
  } finally {
    client.destroy();
    await store.close();
  }
  return { recordsPerSecond: median(runs), transactionsPerBatch: transactions, letters };
}

const pure = pureFigures();
const handler = await handlerFigure(false);
const poisoned = await handlerFigure(true);
publishFigures(
  'consume',
  `consume benchmark (median of ${RUNS} runs, batches of ${BATCH} records, one partition)`,
  [
    {
      metric: 'verification only (pure, no I/O)',
      value: pure.verify,
      unit: 'records/s',
      decimals: 0,
      goal: { atLeast: 500_000 },
    },
    {
      metric: 'decode + read + verify (pure, no I/O)',
      value: pure.decodeAndVerify,
      unit: 'records/s',
      decimals: 0,
    },
    {
      metric: `handler + embedded ledger (${handler.transactionsPerBatch} transactions/batch)`,
      value: handler.recordsPerSecond,
      unit: 'records/s',
      decimals: 0,
      goal: { atLeast: 3_000 },
    },
    {
      metric: `same, one poison record per batch (${poisoned.transactionsPerBatch} transactions/batch)`,
      value: poisoned.recordsPerSecond,
      unit: 'records/s',
      decimals: 0,
      goal: { atLeast: 3_000 },
    },
  ],
  // Other processes on the machine move these figures; the load average says how busy it was.
  [
    `${availableParallelism()} CPUs, load average ${loadavg()
      .map((load) => load.toFixed(1))
      .join(' / ')} (1 / 5 / 15 min)`,
  ],
);
