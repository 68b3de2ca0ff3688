import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PublishError, TopicNotFoundError } from '../../../functions/shared/errors';
import { createKafka } from '../../../functions/shared/kafka-client';
import { kafkaErrorCode } from '../../../functions/shared/kafka-errors';
import { readKafkaSettings } from '../../../functions/shared/kafka-settings';
import {
  type OutgoingRecord,
  ProducerSession,
  WarmProducer,
} from '../../../functions/shared/producer-session';
import { RecordHeader } from '../../../functions/shared/record-headers';
import { createMemoryStorage } from '../../../local/broker/storage';
import {
  appendForgedBatch,
  createFreshTopic,
  readTopic,
  startBrokerBehind,
  startConnectionCutter,
  startLocalKafka,
  startSilentListener,
  startTestKafka,
  type TestKafka,
  topicEndOffsets,
} from '../../helpers/kafka';

const quiet = new Logger({ serviceName: 'producer-session-test', logLevel: 'SILENT' });

function connectTo(brokers: readonly string[]) {
  const settings = readKafkaSettings({ KAFKA_BROKERS: brokers.join(',') });
  return () => createKafka(settings, 'producer-session-test', { logger: quiet });
}

function record(eventId: string, key = 'acct-1', headers?: Record<string, string>): OutgoingRecord {
  return { eventId, key, value: JSON.stringify({ eventId }), ...(headers ? { headers } : {}) };
}

const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((item) => item.close()));
});

describe('producer session against the local broker', () => {
  let kafka: TestKafka;
  beforeAll(async () => {
    kafka = await startTestKafka();
  });
  afterAll(async () => {
    await kafka.close();
  });

  it('serialises concurrent publishes: every record stored once, header sequences without gaps', async () => {
    const topic = await createFreshTopic(kafka.brokers, { partitions: 2 });
    const producer = new WarmProducer(connectTo(kafka.brokers));
    closing.push(producer);

    const delivered = await Promise.all(
      Array.from({ length: 40 }, (_, i) => producer.publish(topic, [record(`evt-${i}`, `acct-${i % 4}`)])),
    );

    const stored = await readTopic(kafka.brokers, topic);
    expect(stored).toHaveLength(40);
    const where = new Map(
      delivered.flat().map((d) => [d.eventId, `${d.partition}/${d.offset}/${d.sequence}`]),
    );
    for (const record of stored) {
      const eventId = record.headers[RecordHeader.eventId] ?? '';
      expect(where.get(eventId)).toBe(
        `${record.partition}/${record.offset}/${record.headers[RecordHeader.partitionSequence]}`,
      );
    }
    // Serialised sends on one partition: the header sequence equals the offset (the topic is fresh).
    for (const record of stored) expect(record.headers[RecordHeader.partitionSequence]).toBe(record.offset);
    expect(new Set(stored.map((r) => r.headers[RecordHeader.producerSession]))).toEqual(
      new Set([await producer.sessionId()]),
    );
  });

  it('sends publishes that queue up behind a send together, each caller still told where its record landed', async () => {
    // GIVEN a broker whose stored batches the test can see (one batch per send and partition)
    const storage = createMemoryStorage();
    const broker = await startLocalKafka({ storage });
    closing.push(broker);
    const topic = await createFreshTopic(broker.brokers, { partitions: 1 });
    const producer = new WarmProducer(connectTo(broker.brokers));
    closing.push(producer);
    await producer.publish(topic, [record('evt-first')]);

    // WHEN 60 callers publish at once
    const delivered = await Promise.all(
      Array.from({ length: 60 }, (_, i) => producer.publish(topic, [record(`evt-${i}`)])),
    );

    // THEN far fewer batches than publishes reached the broker, and every caller got its own offset
    const stored = storage.read(topic, 0, 0n, 64 * 1024 * 1024);
    expect(stored.highWatermark).toBe(61n);
    expect(stored.batches.length).toBeLessThan(30);
    expect(delivered.map(([one]) => one?.eventId)).toEqual(Array.from({ length: 60 }, (_, i) => `evt-${i}`));
    expect(new Set(delivered.map(([one]) => one?.offset)).size).toBe(60);
    const byOffset = new Map(
      (await readTopic(broker.brokers, topic)).map((r) => [r.offset, r.headers[RecordHeader.eventId]]),
    );
    for (const [one] of delivered) expect(byOffset.get(one?.offset ?? '')).toBe(one?.eventId);
  });

  it('keeps the order of a batch within each partition and reports each record where it landed', async () => {
    const topic = await createFreshTopic(kafka.brokers, { partitions: 3 });
    const producer = new WarmProducer(connectTo(kafka.brokers));
    closing.push(producer);
    const batch = Array.from({ length: 30 }, (_, i) =>
      record(`evt-${i}`, `acct-${i % 7}`, { origin: 'test' }),
    );

    const delivered = await producer.publish(topic, batch);

    expect(delivered.map((d) => d.eventId)).toEqual(batch.map((r) => r.eventId));
    const stored = await readTopic(kafka.brokers, topic);
    for (const d of delivered) {
      const found = stored.find((s) => s.partition === d.partition && s.offset === d.offset);
      expect(found?.headers[RecordHeader.eventId]).toBe(d.eventId);
      expect(found?.headers.origin).toBe('test');
    }
    for (const partition of new Set(stored.map((s) => s.partition))) {
      const ids = stored
        .filter((s) => s.partition === partition)
        .map((s) => Number(s.headers[RecordHeader.eventId]?.slice(4)));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
  });

  it('moves publishes queued behind a failed one to a new session; only the failed one is in doubt', async () => {
    // Prepare: a live session whose producer id another writer has fenced with a newer epoch.
    const topic = await createFreshTopic(kafka.brokers);
    const retired: string[] = [];
    const producer = new WarmProducer(connectTo(kafka.brokers), {
      onRetired: ({ reason }) => retired.push(reason),
    });
    closing.push(producer);
    await producer.publish(topic, [record('evt-first')]);
    const [first] = await readTopic(kafka.brokers, topic);
    const firstSession = await producer.sessionId();
    await appendForgedBatch(kafka.brokers, {
      topic,
      partition: 0,
      producerId: BigInt(first?.producerId ?? '-1'),
      producerEpoch: 1,
      key: 'forged',
      value: 'forged',
    });

    // Act: two publishes at once on the fenced session.
    const [fenced, queued] = await Promise.allSettled([
      producer.publish(topic, [record('evt-fenced')]),
      producer.publish(topic, [record('evt-queued')]),
    ]);

    // Assess
    expect(fenced.status).toBe('rejected');
    const error = fenced.status === 'rejected' ? fenced.reason : undefined;
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).sent).toBe(true);
    expect(queued.status).toBe('fulfilled');
    expect(retired).toEqual(['INVALID_PRODUCER_EPOCH']);
    const stored = await readTopic(kafka.brokers, topic);
    const queuedRecord = stored.find((s) => s.headers[RecordHeader.eventId] === 'evt-queued');
    expect(queuedRecord?.headers[RecordHeader.producerSession]).not.toBe(firstSession);
    expect(queuedRecord?.headers[RecordHeader.partitionSequence]).toBe('0');
    expect(stored.some((s) => s.headers[RecordHeader.eventId] === 'evt-fenced')).toBe(false);
  });

  it('refuses an unknown topic without retiring the session', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    const producer = new WarmProducer(connectTo(kafka.brokers));
    closing.push(producer);
    await producer.publish(topic, [record('evt-1')]);
    const session = await producer.sessionId();

    const refused = await producer.publish(`${topic}-absent`, [record('evt-2')]).catch((e: unknown) => e);
    await producer.publish(topic, [record('evt-3')]);

    expect(refused).toBeInstanceOf(TopicNotFoundError);
    // The broker's answer stays attached: UNKNOWN_TOPIC_OR_PARTITION (Kafka error 3).
    expect(kafkaErrorCode((refused as TopicNotFoundError).cause)).toBe(3);

    expect(await producer.sessionId()).toBe(session);
    expect(await topicEndOffsets(kafka.brokers, `${topic}`)).toEqual(new Map([[0, 2n]]));
  });

  it('refuses to publish through a closed session, saying nothing was sent', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    const session = await ProducerSession.open(await connectTo(kafka.brokers)());
    await session.publish(topic, [record('evt-1')]);

    await session.close();

    expect(session.usable).toBe(false);
    const error = await session.publish(topic, [record('evt-2')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).sent).toBe(false);
    expect(((error as PublishError).cause as Error).message).toBe(
      `producer session ${session.id} was closed`,
    );
    expect(await topicEndOffsets(kafka.brokers, topic)).toEqual(new Map([[0, 1n]]));
  });
});

describe('producer session cold start', () => {
  it('looks up prefetched topics while it opens, so its first publish opens no further connection', async () => {
    const kafka = await startBrokerBehind(startConnectionCutter);
    closing.push(kafka);
    const topic = await createFreshTopic(kafka.brokers, { partitions: 2 });
    const connectionsOpenedByFirstPublish = async (prefetchTopics: string[]) => {
      const session = await ProducerSession.open(await connectTo(kafka.brokers)(), { prefetchTopics });
      closing.push(session);
      const before = kafka.front.accepted();
      await session.publish(topic, [record('evt-0')]);
      return kafka.front.accepted() - before;
    };

    // Without a prefetch, the first publish looks the topic up through an admin connection of its own.
    expect(await connectionsOpenedByFirstPublish([])).toBe(1);
    expect(await connectionsOpenedByFirstPublish([topic])).toBe(0);
  });

  it('looks up no topic while it opens unless asked to', async () => {
    const kafka = await startBrokerBehind(startConnectionCutter);
    closing.push(kafka);
    const connectionsOpenedByOpening = async (options: { prefetchTopics?: string[] }) => {
      const before = kafka.front.accepted();
      closing.push(await ProducerSession.open(await connectTo(kafka.brokers)(), options));
      return kafka.front.accepted() - before;
    };

    expect(await connectionsOpenedByOpening({})).toBe(
      await connectionsOpenedByOpening({ prefetchTopics: [] }),
    );
  });
});

describe('producer after a freeze', () => {
  async function frozenSetUp(options: { maxIdleMs?: number }) {
    const kafka = await startBrokerBehind(startConnectionCutter);
    closing.push(kafka);
    const topic = await createFreshTopic(kafka.brokers);
    let now = 1_000_000;
    const retired: string[] = [];
    const producer = new WarmProducer(connectTo(kafka.brokers), {
      ...options,
      publishTimeoutMs: 1_000,
      now: () => now,
      onRetired: ({ reason }) => retired.push(reason),
    });
    closing.push(producer);
    await producer.publish(topic, [record('evt-before')]);
    const firstSession = await producer.sessionId();
    // The freeze: ten minutes pass and every connection went silent (no reset ever reaches the client).
    kafka.front.blackHoleAll();
    now += 10 * 60_000;
    return { kafka, topic, producer, retired, firstSession };
  }

  it('replaces a session idle for longer than maxIdleMs before publishing, so the publish succeeds', async () => {
    const { kafka, topic, producer, retired, firstSession } = await frozenSetUp({ maxIdleMs: 9 * 60_000 });

    const [delivered] = await producer.publish(topic, [record('evt-after')]);

    expect(retired).toEqual(['IDLE']);
    expect(await producer.sessionId()).not.toBe(firstSession);
    const stored = await readTopic(kafka.brokers, topic);
    expect(stored.map((s) => s.headers[RecordHeader.eventId])).toEqual(['evt-before', 'evt-after']);
    expect(stored[1]?.offset).toBe(delivered?.offset);
    expect(stored[1]?.headers[RecordHeader.partitionSequence]).toBe('0');
  });

  it('without an idle limit, silent connections cost one failed publish at the deadline, then it recovers', async () => {
    const { kafka, topic, producer, retired } = await frozenSetUp({});

    const failed = await producer.publish(topic, [record('evt-lost')]).catch((e: unknown) => e);
    await producer.publish(topic, [record('evt-after')]);

    expect(failed).toBeInstanceOf(PublishError);
    expect((failed as PublishError).message).toBe(`publishing 1 record(s) to ${topic} failed`);
    expect(((failed as PublishError).cause as Error).message).toMatch(
      new RegExp(`^no acknowledgement from ${topic} within \\d+ ms$`),
    );
    expect(retired).toEqual(['Error']);
    const stored = await readTopic(kafka.brokers, topic);
    expect(stored.map((s) => s.headers[RecordHeader.eventId])).toEqual(['evt-before', 'evt-after']);
  });
});

describe('producer session deadline', () => {
  it('gives up opening a session on a broker that never answers, within the publish deadline', async () => {
    const silent = await startSilentListener();
    closing.push(silent);
    const producer = new WarmProducer(connectTo([`127.0.0.1:${silent.port}`]), { publishTimeoutMs: 300 });
    const started = Date.now();

    const error = await producer.publish('payments', [record('evt-1')]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).sent).toBe(false);
    expect(((error as PublishError).cause as Error).message).toBe('no connecting a producer within 300 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await producer.sessionId()).toBeUndefined();
  });

  it('retires the session when its broker stays unreachable past the deadline', async () => {
    const kafka = await startLocalKafka();
    const topic = await createFreshTopic(kafka.brokers);
    const retired: string[] = [];
    const producer = new WarmProducer(connectTo(kafka.brokers), {
      publishTimeoutMs: 1_000,
      onRetired: ({ reason }) => retired.push(reason),
    });
    closing.push(producer);
    await producer.publish(topic, [record('evt-1')]);

    await kafka.close();
    const error = await producer.publish(topic, [record('evt-2')]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).sent).toBe(true);
    expect(retired).toEqual(['Error']);
    expect(await producer.sessionId()).toBeUndefined();
  });
});
