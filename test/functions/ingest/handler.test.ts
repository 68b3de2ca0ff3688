import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventDefinition } from '../../../functions/event/definition';
import { createIngestHandler, createIngestProducer } from '../../../functions/ingest/ingest-handler';
import { readIngestSettings } from '../../../functions/ingest/settings';
import type { WarmProducer } from '../../../functions/shared/producer-session';
import { RecordHeader } from '../../../functions/shared/record-headers';
import { startLostAckProxy } from '../../../local/chaos/proxy';
import { jsonPost, lambdaContext } from '../../helpers/api-gateway';
import {
  appendForgedBatch,
  createFreshTopic,
  readTopic,
  type StoredRecord,
  startBrokerBehind,
  startConnectionCutter,
  startSilentListener,
  startTestKafka,
  type TestKafka,
  topicEndOffsets,
  unusedPort,
} from '../../helpers/kafka';
import { idOf, uniqueEvent } from '../../helpers/sample-events';
import { malformedRequest } from './malformed-requests';

type Handler = (event: APIGatewayProxyEventV2, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

interface Answer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
}

async function invoke(handler: Handler, event: APIGatewayProxyEventV2): Promise<Answer> {
  const result = (await handler(event, lambdaContext('ingest'))) as APIGatewayProxyStructuredResultV2;
  return {
    statusCode: result.statusCode ?? 0,
    headers: (result.headers ?? {}) as Record<string, string>,
    body: JSON.parse(result.body ?? 'null') as Record<string, unknown>,
  };
}

function settingsFor(brokers: readonly string[], topic: string, extra: Record<string, string> = {}) {
  return readIngestSettings({ KAFKA_BROKERS: brokers.join(','), EVENTS_TOPIC: topic, ...extra });
}

/** The ingest handler with a warm producer this test can inspect and close. */
function ingestWith(brokers: readonly string[], topic: string, extra: Record<string, string> = {}) {
  const settings = settingsFor(brokers, topic, extra);
  const retiredFor: string[] = [];
  const producer = createIngestProducer(settings, {
    logger: testLogger,
    metrics: testMetrics,
    onRetired: ({ reason }) => retiredFor.push(reason),
  });
  opened.push(producer);
  const handler = createIngestHandler({
    settings,
    publisher: producer,
    logger: testLogger,
    metrics: testMetrics,
  }) as Handler;
  return { handler, producer, retiredFor };
}

const opened: WarmProducer[] = [];
/** Failures are what these tests provoke; their log lines would only bury the test report. */
const testLogger = new Logger({ serviceName: 'ingest-test', logLevel: 'SILENT' });
const testMetrics = new Metrics({ namespace: 'ingest-test' });
afterEach(async () => {
  await Promise.all(opened.splice(0).map((producer) => producer.close()));
});

/** Every event stored exactly once, where the client was told, with the three headers intact. */
function expectStoredOnce(
  stored: readonly StoredRecord[],
  told: ReadonlyMap<string, { partition: number; offset: string }>,
) {
  const byEventId = new Map<string, StoredRecord[]>();
  for (const record of stored) {
    const eventId = record.headers[RecordHeader.eventId] ?? '(none)';
    byEventId.set(eventId, [...(byEventId.get(eventId) ?? []), record]);
  }
  expect([...byEventId.keys()].sort()).toEqual([...told.keys()].sort());
  for (const [eventId, where] of told) {
    const records = byEventId.get(eventId) ?? [];
    expect(records, `event ${eventId}`).toHaveLength(1);
    const [record] = records;
    expect({ partition: record?.partition, offset: record?.offset }).toEqual(where);
    expect(JSON.parse(record?.value ?? 'null')).toMatchObject({ [eventDefinition.idField]: eventId });
    expect(record?.headers[RecordHeader.producerSession]).toMatch(/^[0-9a-f-]{36}$/);
    expect(record?.headers[RecordHeader.partitionSequence]).toMatch(/^\d+$/);
  }
}

/** Per partition and producer session, the header sequence runs 0, 1, 2, … in offset order. */
function expectContiguousSequences(stored: readonly StoredRecord[]) {
  const last = new Map<string, number>();
  for (const record of stored) {
    const key = `${record.partition}/${record.headers[RecordHeader.producerSession]}`;
    const sequence = Number(record.headers[RecordHeader.partitionSequence]);
    expect(sequence, `sequence of ${key} at offset ${record.offset}`).toBe((last.get(key) ?? -1) + 1);
    last.set(key, sequence);
  }
}

function toldWhere(answer: Answer): [string, { partition: number; offset: string }] {
  const { eventId, partition, offset } = answer.body as {
    eventId: string;
    partition: number;
    offset: string;
  };
  return [eventId, { partition, offset }];
}

describe('ingest handler against the local broker', () => {
  let kafka: TestKafka;
  beforeAll(async () => {
    kafka = await startTestKafka();
  });
  afterAll(async () => {
    await kafka.close();
  });

  it('reuses one producer across invocations of the module and stores each event once with its headers', async () => {
    // Prepare: the real handler module, configured from the environment like Lambda does.
    const topic = await createFreshTopic(kafka.brokers, { partitions: 3 });
    vi.resetModules();
    vi.stubEnv('KAFKA_BROKERS', kafka.brokers.join(','));
    vi.stubEnv('EVENTS_TOPIC', topic);
    const { handler } = await import('../../../functions/ingest/handler');
    vi.unstubAllEnvs();
    const told = new Map<string, { partition: number; offset: string }>();

    // Act: single events for five ordering keys, then a batch.
    for (let i = 0; i < 25; i++) {
      const answer = await invoke(handler as Handler, jsonPost(uniqueEvent(i % 5)));
      expect(answer.statusCode).toBe(201);
      told.set(...toldWhere(answer));
    }
    const batch = Array.from({ length: 10 }, (_, i) => uniqueEvent(i % 5));
    const batchAnswer = await invoke(handler as Handler, jsonPost(batch));

    // Assess
    expect(batchAnswer.statusCode).toBe(200);
    const results = batchAnswer.body.results as { eventId: string; partition: number; offset: string }[];
    expect(results.map((result) => result.eventId)).toEqual(batch.map((event) => idOf(event)));
    for (const { eventId, partition, offset } of results) told.set(eventId, { partition, offset });
    const stored = await readTopic(kafka.brokers, topic);
    expectStoredOnce(stored, told);
    expectContiguousSequences(stored);
    expect(new Set(stored.map((record) => record.headers[RecordHeader.producerSession])).size).toBe(1);
    expect(new Set(stored.map((record) => record.producerId)).size).toBe(1);
    // One ordering key, one partition: the ordering key is the record key.
    for (const record of stored) {
      expect(record.key).toBe(eventDefinition.orderingKey(JSON.parse(record.value ?? '{}')));
    }
    const partitionOf = new Map(stored.map((record) => [record.key, record.partition]));
    for (const record of stored) expect(record.partition).toBe(partitionOf.get(record.key));
  });

  it('answers a single event with 201 { eventId, partition, offset } and nothing else', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    const { handler } = ingestWith(kafka.brokers, topic);
    const event = uniqueEvent();

    const answer = await invoke(handler, jsonPost(event, { 'Idempotency-Key': idOf(event) }));

    expect(answer).toEqual({
      statusCode: 201,
      headers: { 'Content-Type': 'application/json' },
      body: { eventId: idOf(event), partition: 0, offset: '0' },
    });
  });

  it('publishes nothing and opens no producer for malformed requests (property)', async () => {
    const topic = await createFreshTopic(kafka.brokers, { partitions: 2 });
    const { handler, producer } = ingestWith(kafka.brokers, topic);

    await fc.assert(
      fc.asyncProperty(malformedRequest, async ({ event }) => {
        const answer = await invoke(handler, event);
        expect(answer.statusCode).toBeGreaterThanOrEqual(400);
        expect(answer.statusCode).toBeLessThan(500);
        expect(answer.headers['Content-Type']).toBe('application/json');
        expect((answer.body.issues as unknown[]).length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );

    expect(await producer.sessionId()).toBeUndefined();
    expect([...(await topicEndOffsets(kafka.brokers, topic)).values()]).toEqual([0n, 0n]);
  });

  it('answers a generic 500 when the topic does not exist, and keeps the producer session', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    const missing = ingestWith(kafka.brokers, `${topic}-missing`);

    const answer = await invoke(missing.handler, jsonPost(uniqueEvent()));

    expect(answer.statusCode).toBe(500);
    expect(answer.body).toEqual({ code: 'INTERNAL_ERROR', message: 'internal error' });
    expect(await missing.producer.sessionId()).toBeDefined();
  });

  it('replaces the producer session after a fatal idempotence error: 503 once, then success', async () => {
    // Prepare: the session's first record reveals its producer id.
    const topic = await createFreshTopic(kafka.brokers);
    const { handler, producer, retiredFor } = ingestWith(kafka.brokers, topic);
    const first = await invoke(handler, jsonPost(uniqueEvent()));
    expect(first.statusCode).toBe(201);
    const [stored] = await readTopic(kafka.brokers, topic);
    const firstSession = await producer.sessionId();
    // Another writer uses a newer epoch of that producer id: the broker now fences the session (error 47).
    await appendForgedBatch(kafka.brokers, {
      topic,
      partition: 0,
      producerId: BigInt(stored?.producerId ?? '-1'),
      producerEpoch: 1,
      key: 'forged',
      value: 'forged',
    });

    // Act
    const fenced = await invoke(handler, jsonPost(uniqueEvent()));
    const retried = await invoke(handler, jsonPost(uniqueEvent()));

    // Assess
    expect(fenced.statusCode).toBe(503);
    expect(fenced.headers['Retry-After']).toBe('1');
    expect(fenced.body.code).toBe('KAFKA_UNAVAILABLE');
    expect(retiredFor).toEqual(['INVALID_PRODUCER_EPOCH']);
    expect(retried.statusCode).toBe(201);
    const records = await readTopic(kafka.brokers, topic);
    const sessions = records
      .filter((record) => record.key !== 'forged')
      .map((record) => record.headers[RecordHeader.producerSession]);
    expect(sessions).toEqual([firstSession, await producer.sessionId()]);
    expect(new Set(records.map((record) => record.producerId)).size).toBe(2);
    expect(sessions[0]).not.toBe(sessions[1]);
  });

  it('replaces the producer session when the broker answers out of order (45)', async () => {
    // Prepare: the forged batch takes sequence 0 of the session's producer id on a partition the session
    // has not written yet; the session's next batch there (sequences 0..1) is then out of order.
    const topic = await createFreshTopic(kafka.brokers, { partitions: 2 });
    const { handler, retiredFor } = ingestWith(kafka.brokers, topic);
    const [groupA, groupB] = groupsOnDistinctPartitions(2) as [PlacedGroup, PlacedGroup];
    expect((await invoke(handler, jsonPost(uniqueEvent(groupA.group)))).statusCode).toBe(201);
    const [stored] = await readTopic(kafka.brokers, topic);
    await appendForgedBatch(kafka.brokers, {
      topic,
      partition: groupB.partition,
      producerId: BigInt(stored?.producerId ?? '-1'),
      producerEpoch: 0,
      key: 'forged',
      value: 'forged',
    });
    const pair = () => jsonPost([uniqueEvent(groupB.group), uniqueEvent(groupB.group)]);

    // Act
    const rejected = await invoke(handler, pair());
    const retried = await invoke(handler, pair());

    // Assess
    expect(rejected.statusCode).toBe(503);
    expect(retiredFor).toEqual(['OUT_OF_ORDER_SEQUENCE_NUMBER']);
    expect(retried.statusCode).toBe(200);
    const records = (await readTopic(kafka.brokers, topic)).filter((record) => record.key !== 'forged');
    expect(records).toHaveLength(3);
    expect(new Set(records.map((record) => record.producerId)).size).toBe(2);
  });

  it('answers 503 with Retry-After when Kafka cannot be reached', async () => {
    const port = await unusedPort();
    const { handler } = ingestWith([`127.0.0.1:${port}`], 'payments', { PUBLISH_TIMEOUT_MS: '1500' });

    const answer = await invoke(handler, jsonPost(uniqueEvent()));

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['Retry-After']).toBe('1');
    expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });
});

describe('ingest handler deadline', () => {
  it('answers 503 before the Lambda timeout when Kafka does not answer in time', async () => {
    const silent = await startSilentListener();
    try {
      const { handler } = ingestWith([`127.0.0.1:${silent.port}`], 'payments');
      const started = Date.now();

      const result = (await handler(jsonPost(uniqueEvent()), lambdaContext('ingest', 1_000))) as {
        statusCode: number;
        headers: Record<string, string>;
      };

      expect(result.statusCode).toBe(503);
      expect(result.headers['Retry-After']).toBe('1');
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await silent.close();
    }
  });
});

describe('ingest handler module', () => {
  it('fails its cold start with a message naming a missing or bad setting', async () => {
    vi.resetModules();
    vi.stubEnv('KAFKA_BROKERS', '127.0.0.1:9092');
    vi.stubEnv('EVENTS_TOPIC', '');
    vi.stubEnv('MAX_BATCH_EVENTS', '100');
    try {
      await expect(import('../../../functions/ingest/handler')).rejects.toThrow(/^EVENTS_TOPIC: is required/);
      vi.resetModules();
      vi.stubEnv('EVENTS_TOPIC', 'payments');
      vi.stubEnv('MAX_BATCH_EVENTS', 'many');
      await expect(import('../../../functions/ingest/handler')).rejects.toThrow(
        'MAX_BATCH_EVENTS: must be an integer from 1 to 1000, got "many"',
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('ingest handler through faulty networks', () => {
  it('publishes exactly once after every connection was dropped between two invocations (freeze/thaw)', async () => {
    const kafka = await startBrokerBehind(startConnectionCutter);
    try {
      const topic = await createFreshTopic(kafka.brokers, { partitions: 2 });
      const { handler, producer } = ingestWith(kafka.brokers, topic);
      const told = new Map<string, { partition: number; offset: string }>();
      const send = async () => {
        const answer = await invoke(handler, jsonPost(uniqueEvent(told.size % 4)));
        expect(answer.statusCode).toBe(201);
        told.set(...toldWhere(answer));
      };
      for (let i = 0; i < 5; i++) await send();
      const sessionBefore = await producer.sessionId();
      const connectionsBefore = kafka.front.accepted();

      kafka.front.cutAll();
      for (let i = 0; i < 5; i++) await send();

      expect(kafka.front.accepted()).toBeGreaterThan(connectionsBefore);
      expect(await producer.sessionId()).toBe(sessionBefore);
      const stored = await readTopic(kafka.brokers, topic);
      expectStoredOnce(stored, told);
      expectContiguousSequences(stored);
    } finally {
      await kafka.close();
    }
  });

  it('answers success once per event and stores each once when acknowledgements are lost', async () => {
    const kafka = await startBrokerBehind((target) => startLostAckProxy({ target, dropShare: 0.3, seed: 7 }));
    try {
      const topic = await createFreshTopic(kafka.brokers, { partitions: 3 });
      const { handler } = ingestWith(kafka.brokers, topic);
      const told = new Map<string, { partition: number; offset: string }>();

      for (let i = 0; i < 40; i++) {
        const answer = await invoke(handler, jsonPost(uniqueEvent(i % 6)));
        expect(answer.statusCode).toBe(201);
        told.set(...toldWhere(answer));
      }
      const batch = await invoke(handler, jsonPost(Array.from({ length: 12 }, (_, i) => uniqueEvent(i))));

      expect(batch.statusCode).toBe(200);
      for (const { eventId, partition, offset } of batch.body.results as {
        eventId: string;
        partition: number;
        offset: string;
      }[]) {
        told.set(eventId, { partition, offset });
      }
      expect(kafka.front.stats.acknowledgementsDropped).toBeGreaterThan(0);
      kafka.front.setDropShare(0);
      const stored = await readTopic(kafka.brokers, topic);
      expect(stored).toHaveLength(told.size);
      // One session throughout: the retries were deduplicated by the broker, not replaced by new producers.
      expect(new Set(stored.map((record) => record.producerId)).size).toBe(1);
      expectStoredOnce(stored, told);
      expectContiguousSequences(stored);
    } finally {
      await kafka.close();
    }
  });
});

/** Ordering key numbers (of the definition's samples) whose records land on different partitions. */
interface PlacedGroup {
  readonly group: number;
  readonly partition: number;
}

function groupsOnDistinctPartitions(count: number): PlacedGroup[] {
  const choose = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  const found = new Map<number, number>();
  for (let group = 0; found.size < count; group++) {
    const key = eventDefinition.orderingKey(eventDefinition.sample('placement', group));
    const partition = choose({ topic: 't', partitionMetadata, message: { key, value: null } });
    if (!found.has(partition)) found.set(partition, group);
  }
  return [...found].sort(([a], [b]) => a - b).map(([partition, group]) => ({ group, partition }));
}
