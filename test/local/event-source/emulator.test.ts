import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MSKEvent } from 'aws-lambda';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../local/broker';
import {
  consumerLag,
  type EventSource,
  type EventSourceOptions,
  fileDestination,
  startEventSource,
  topicDestination,
} from '../../../local/event-source';
import { FAST_TEST_BROKER } from '../../helpers/kafka';

let broker: RunningBroker;
let kafka: Kafka;
let admin: Admin;
let folder: string;
const running: EventSource[] = [];

beforeAll(async () => {
  broker = await startBroker({ ...FAST_TEST_BROKER, port: 0 });
  kafka = new Kafka({
    clientId: 'event-source-test',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
  });
  admin = kafka.admin();
  await admin.connect();
  folder = await mkdtemp(join(tmpdir(), 'event-source-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((source) => source.stop()));
});

afterAll(async () => {
  await admin?.disconnect();
  await broker?.close();
  await rm(folder, { recursive: true, force: true });
});

/** A fresh 3-partition topic with `perPartition` records in each partition, values "p<partition>-<index>". */
async function topicWithRecords(perPartition: number): Promise<string> {
  const topic = `payments-${randomUUID()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
  await producer.connect();
  for (let partition = 0; partition < 3; partition++) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: perPartition }, (_, index) => ({
        partition,
        key: `account-${partition}`,
        value: `p${partition}-${index}`,
        headers: { 'event-id': `evt-${partition}-${index}` },
      })),
    });
  }
  await producer.disconnect();
  return topic;
}

/**
 * A consume-like handler: records every delivery (partition, offset, value) and answers the partial batch
 * response for the offsets `failWhen` picks, the way the consume function reports failures.
 */
function recordingHandler(failWhen: (partition: number, offset: number, attempt: number) => boolean) {
  const deliveries: { partition: number; offset: number; value: string; eventId: string }[] = [];
  const events: MSKEvent[] = [];
  const attempts = new Map<string, number>();
  const handler = async (event: MSKEvent) => {
    events.push(event);
    const batchItemFailures: { itemIdentifier: { partition: string; offset: number } }[] = [];
    for (const [key, records] of Object.entries(event.records)) {
      for (const record of records) {
        const id = `${record.partition}@${record.offset}`;
        const attempt = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, attempt);
        if (failWhen(record.partition, record.offset, attempt)) {
          batchItemFailures.push({ itemIdentifier: { partition: key, offset: record.offset } });
          break; // report the first failure of the partition, like the consume function
        }
        const eventIdHeader = record.headers.find((header) => 'event-id' in header)?.['event-id'] ?? [];
        deliveries.push({
          partition: record.partition,
          offset: record.offset,
          value: Buffer.from(record.value, 'base64').toString(),
          eventId: Buffer.from(eventIdHeader).toString(),
        });
      }
    }
    return { batchItemFailures };
  };
  return { handler, deliveries, events, attempts };
}

async function start(
  topic: string,
  handler: (event: MSKEvent) => Promise<unknown>,
  extra: Partial<EventSourceOptions> = {},
): Promise<EventSource> {
  const source = await startEventSource({
    kafka,
    bootstrapServers: [broker.bootstrap],
    topic,
    groupId: `group-${topic}`,
    fn: { name: 'consume-test', handler },
    onFailure: fileDestination(join(folder, `${topic}.jsonl`)),
    batchSize: 10,
    batchingWindowMs: 20,
    retry: { maxRetries: 2, initialBackoffMs: 10, maxBackoffMs: 50 },
    ...extra,
  });
  running.push(source);
  return source;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const lagOf = (topic: string) => consumerLag(admin, `group-${topic}`, topic);

describe('event-source emulator', () => {
  it('delivers every record once, in order per partition, in MSK events no larger than batchSize', async () => {
    // Prepare
    const topic = await topicWithRecords(25);
    const { handler, deliveries, events } = recordingHandler(() => false);

    // Act
    await start(topic, handler);
    await until(
      async () => deliveries.length >= 75 && (await lagOf(topic)) === 0n,
      'all 75 records committed',
    );

    // Assess
    expect(deliveries).toHaveLength(75);
    for (let partition = 0; partition < 3; partition++) {
      const seen = deliveries.filter((d) => d.partition === partition);
      expect(seen.map((d) => d.value)).toEqual(Array.from({ length: 25 }, (_, i) => `p${partition}-${i}`));
      expect(seen.map((d) => d.eventId)).toEqual(
        Array.from({ length: 25 }, (_, i) => `evt-${partition}-${i}`),
      );
    }
    for (const event of events) {
      expect(event.eventSource).toBe('aws:kafka');
      expect(event.bootstrapServers).toBe(broker.bootstrap);
      const records = Object.entries(event.records);
      expect(records.flatMap(([, list]) => list).length).toBeLessThanOrEqual(10);
      for (const [key, list] of records)
        expect(list.every((r) => key === `${r.topic}-${r.partition}`)).toBe(true);
    }
  });

  it('resumes a partition from the first failed offset and redelivers nothing before it', async () => {
    // Prepare: offset 4 of partition 1 fails on its first delivery only.
    const topic = await topicWithRecords(8);
    const { handler, deliveries, attempts } = recordingHandler(
      (p, o, attempt) => p === 1 && o === 4 && attempt === 1,
    );

    // Act
    await start(topic, handler);
    await until(
      async () => deliveries.length >= 24 && (await lagOf(topic)) === 0n,
      'all 24 records committed',
    );

    // Assess: every record applied exactly once; only partition 1 from offset 4 was delivered twice.
    expect(deliveries).toHaveLength(24);
    expect(new Set(deliveries.map((d) => `${d.partition}@${d.offset}`)).size).toBe(24);
    expect(attempts.get('1@4')).toBe(2);
    expect(attempts.get('1@3')).toBe(1);
    expect(deliveries.filter((d) => d.partition === 1).map((d) => d.offset)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
  });

  it('sends records that keep failing to the on-failure destination after the retries, then moves on', async () => {
    // Prepare: offset 2 of partition 0 always fails.
    const topic = await topicWithRecords(6);
    const { handler, deliveries, attempts } = recordingHandler((p, o) => p === 0 && o === 2);
    const logLines: string[] = [];

    // Act
    const source = await start(topic, handler, { log: (line) => logLines.push(line) });
    await until(async () => (await lagOf(topic)) === 0n, 'the topic fully committed');

    // Assess: 1 attempt + 2 retries, then the failed records are in the file and the rest was delivered.
    expect(attempts.get('0@2')).toBe(3);
    const lines = (await readFile(join(folder, `${topic}.jsonl`), 'utf8')).trim().split('\n');
    const documents = lines.map((line) => JSON.parse(line));
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      KafkaBatchInfo: { topic, partition: 0, firstOffset: '2' },
    });
    const failedOffsets = documents[0].payload.records[`${topic}-0`].map((r: { offset: number }) => r.offset);
    expect(failedOffsets[0]).toBe(2);
    expect(source.stats.recordsSentToDestination).toBe(failedOffsets.length);
    const delivered0 = deliveries.filter((d) => d.partition === 0).map((d) => d.offset);
    expect([...delivered0, ...failedOffsets].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(deliveries.filter((d) => d.partition !== 0)).toHaveLength(12);
    expect(logLines.some((line) => line.includes('after 3 attempts'))).toBe(true);
  });

  it('can send exhausted records to an on-failure topic instead of a file', async () => {
    // Prepare: every record of partition 2 fails; retries off so the first failure is final.
    const topic = await topicWithRecords(2);
    const destination = `${topic}-on-failure`;
    await admin.createTopics({ topics: [{ topic: destination, numPartitions: 1 }], waitForLeaders: true });
    const { handler } = recordingHandler((p) => p === 2);

    // Act
    await start(topic, handler, {
      onFailure: topicDestination(kafka, destination),
      retry: { maxRetries: 0, initialBackoffMs: 10, maxBackoffMs: 10 },
    });
    await until(async () => (await lagOf(topic)) === 0n, 'the topic fully committed');

    // Assess: one message per exhausted partition batch, keyed "<topic>-<partition>", with the records.
    const reader = kafka.consumer({ groupId: `reader-${destination}`, maxWaitTimeInMs: 100 });
    const documents: { key: string; value: { payload: MSKEvent; KafkaBatchInfo: { partition: number } } }[] =
      [];
    await reader.connect();
    await reader.subscribe({ topic: destination, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        documents.push({ key: String(message.key), value: JSON.parse(String(message.value)) });
      },
    });
    try {
      await until(
        async () =>
          documents.length >= 1 &&
          (await admin.fetchTopicOffsets(destination))[0]?.high === String(documents.length),
        'the on-failure messages',
      );
    } finally {
      await reader.disconnect();
    }
    const failedOffsets = documents.flatMap(
      (d) => d.value.payload.records[`${topic}-2`]?.map((r) => r.offset) ?? [],
    );
    expect(documents.every((d) => d.key === `${topic}-2` && d.value.KafkaBatchInfo.partition === 2)).toBe(
      true,
    );
    expect(failedOffsets.sort()).toEqual([0, 1]);
  });

  it('retries the whole batch when the handler throws', async () => {
    // Prepare: the first invocation throws; later ones succeed.
    const topic = await topicWithRecords(3);
    const inner = recordingHandler(() => false);
    let calls = 0;
    const handler = async (event: MSKEvent) => {
      calls++;
      if (calls === 1) throw new Error('ledger unavailable');
      return inner.handler(event);
    };

    // Act
    const source = await start(topic, handler);
    await until(async () => (await lagOf(topic)) === 0n, 'the topic fully committed');

    // Assess
    expect(source.stats.failedInvocations).toBe(1);
    expect(inner.deliveries.map((d) => `${d.partition}@${d.offset}`).sort()).toEqual(
      ['0@0', '0@1', '0@2', '1@0', '1@1', '1@2', '2@0', '2@1', '2@2'].sort(),
    );
  });

  it('does not deliver committed records again to a restarted event source of the same group', async () => {
    // Prepare
    const topic = await topicWithRecords(4);
    const first = recordingHandler(() => false);
    const source = await start(topic, first.handler);
    await until(async () => (await lagOf(topic)) === 0n, 'the topic fully committed');
    await source.stop();
    running.splice(running.indexOf(source), 1);

    // Act: restart and add one record to partition 2.
    const second = recordingHandler(() => false);
    await start(topic, second.handler);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ partition: 2, key: 'k', value: 'late' }] });
    await producer.disconnect();
    await until(() => second.deliveries.length >= 1, 'the new record');
    await until(async () => (await lagOf(topic)) === 0n, 'the topic fully committed');

    // Assess
    expect(first.deliveries).toHaveLength(12);
    expect(second.deliveries.map((d) => [d.partition, d.offset, d.value])).toEqual([[2, 4, 'late']]);
  });
});
