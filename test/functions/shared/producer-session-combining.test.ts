import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../functions/shared/kafka-client';
import { readKafkaSettings } from '../../../functions/shared/kafka-settings';
import { type OutgoingRecord, recordBytes, WarmProducer } from '../../../functions/shared/producer-session';
import { RecordHeader } from '../../../functions/shared/record-headers';
import { type BrokerStorage, createMemoryStorage } from '../../../local/broker/storage';
import { createFreshTopic, readTopic, startLocalKafka, type TestKafka } from '../../helpers/kafka';

/**
 * Publishes that queue up behind a send go out together in the next send: only publishes to the same topic,
 * at most 500 records and 512 KiB (recordBytes) a send, and a single publish over those bounds on its own.
 * The broker's storage shows the sends: one stored batch per send and partition.
 */
const quiet = new Logger({ serviceName: 'producer-session-combining-test', logLevel: 'SILENT' });
const KIB = 1024;

function record(eventId: string, value = JSON.stringify({ eventId })): OutgoingRecord {
  return { eventId, key: 'acct-1', value };
}

function records(prefix: string, count: number): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => record(`${prefix}-${i}`));
}

/** A record of exactly `bytes` by recordBytes (key, value and event id). */
function recordOfBytes(eventId: string, bytes: number): OutgoingRecord {
  const framing = recordBytes(record(eventId, ''));
  return record(eventId, 'x'.repeat(bytes - framing));
}

describe('producer session: combined sends', () => {
  let storage: BrokerStorage;
  let kafka: TestKafka;
  let producer: WarmProducer;
  beforeAll(async () => {
    storage = createMemoryStorage();
    kafka = await startLocalKafka({ storage });
    const settings = readKafkaSettings({ KAFKA_BROKERS: kafka.brokers.join(',') });
    producer = new WarmProducer(() => createKafka(settings, 'combining-test', { logger: quiet }));
  });
  afterAll(async () => {
    await producer.close();
    await kafka.close();
  });

  const batchesOf = (topic: string) => storage.read(topic, 0, 0n, 64 * 1024 * 1024).batches.length;

  /** Publishes `first` and, while it is being sent, `queued` at once; all to `topic` unless they say. */
  async function behindASend(
    topic: string,
    queued: readonly { topic?: string; records: OutgoingRecord[] }[],
  ): Promise<void> {
    await Promise.all([
      producer.publish(topic, [record('first')]),
      ...queued.map((publish) => producer.publish(publish.topic ?? topic, publish.records)),
    ]);
  }

  it('sends a queued publish for another topic to that topic, not with the publishes before it', async () => {
    const payments = await createFreshTopic(kafka.brokers);
    const refunds = await createFreshTopic(kafka.brokers);

    await behindASend(payments, [
      { records: [record('p-1')] },
      { topic: refunds, records: [record('r-1')] },
      { records: [record('p-2')] },
      { topic: refunds, records: [record('r-2')] },
    ]);

    const ids = async (topic: string) =>
      (await readTopic(kafka.brokers, topic)).map((stored) => stored.headers[RecordHeader.eventId]).sort();
    expect(await ids(payments)).toEqual(['first', 'p-1', 'p-2']);
    expect(await ids(refunds)).toEqual(['r-1', 'r-2']);
  });

  it('combines queued publishes of 500 records in all into one send', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    await behindASend(topic, [{ records: records('a', 250) }, { records: records('b', 250) }]);
    expect(batchesOf(topic)).toBe(2);
  });

  it('sends queued publishes of 501 records in all in two sends', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    await behindASend(topic, [{ records: records('a', 250) }, { records: records('b', 251) }]);
    expect(batchesOf(topic)).toBe(3);
  });

  it('combines queued publishes of 512 KiB in all into one send', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    await behindASend(topic, [
      { records: [recordOfBytes('a', 256 * KIB)] },
      { records: [recordOfBytes('b', 256 * KIB)] },
    ]);
    expect(batchesOf(topic)).toBe(2);
  });

  it('sends queued publishes of one byte over 512 KiB in all in two sends', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    await behindASend(topic, [
      { records: [recordOfBytes('a', 256 * KIB)] },
      { records: [recordOfBytes('b', 256 * KIB + 1)] },
    ]);
    expect(batchesOf(topic)).toBe(3);
  });

  it('sends a single publish over the bounds on its own, so it settles', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    const many = records('many', 501);
    const large = [recordOfBytes('large', 512 * KIB + 1)];

    await behindASend(topic, [{ records: many }, { records: large }]);

    expect(batchesOf(topic)).toBe(3);
    expect((await readTopic(kafka.brokers, topic)).length).toBe(503);
  });
});

describe('recordBytes', () => {
  it('counts key, value, event id and header names and values in bytes, not characters', () => {
    expect(recordBytes({ eventId: 'e-1', key: 'k', value: 'v' })).toBe(5);
    expect(recordBytes({ eventId: 'é', key: 'ü', value: Buffer.alloc(10) })).toBe(14);
    expect(
      recordBytes({ eventId: 'e', key: 'k', value: '', headers: { origin: 'té', raw: Buffer.alloc(4) } }),
    ).toBe(2 + 'origin'.length + 3 + 'raw'.length + 4);
  });
});
