import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningBroker, silentLogger, startBroker } from '../../../local/broker';
import type { StorageEngine } from '../../../local/broker/storage/engine';
import { createMemoryStorage } from '../../../local/broker/storage/memory';
import { type LostAckProxy, type ProxyTarget, startLostAckProxy } from '../../../local/chaos/proxy';
import { storedRecords, valuesByKey } from '../broker/storage/stored-records';

const MESSAGES = 10_000;
const KEYS = 50;
const PER_SEND = 50;

interface Run {
  readonly proxy: LostAckProxy;
  readonly storage: StorageEngine;
  readonly topic: string;
}

/**
 * Sends MESSAGES keyed messages, one send at a time (kafkajs must not race sends: DESIGN.md §4),
 * through a proxy that loses 20% of produce acknowledgements; kafkajs retries each lost one.
 */
async function sendThroughLossyProxy(
  idempotent: boolean,
  cleanups: Array<() => Promise<void>>,
): Promise<Run> {
  const storage = createMemoryStorage();
  let brokerAddress: ProxyTarget | undefined;
  const proxy = await startLostAckProxy({
    target: () => {
      if (!brokerAddress) throw new Error('the broker is not started yet');
      return brokerAddress;
    },
    dropShare: 0.2,
    seed: 20_231_123,
  });
  cleanups.push(() => proxy.close());
  const broker: RunningBroker = await startBroker({
    storage,
    logger: silentLogger,
    advertisedHost: '127.0.0.1',
    advertisedPort: proxy.port,
  });
  cleanups.push(() => broker.close());
  brokerAddress = { host: '127.0.0.1', port: broker.port };

  const topic = `lost-ack-${idempotent ? 'idempotent' : 'plain'}-${Date.now()}`;
  expect(storage.createTopic(topic, 3)).toBe(0);

  const kafka = new Kafka({
    clientId: 'lost-ack-test',
    brokers: [`127.0.0.1:${proxy.port}`],
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 10, maxRetryTime: 100, retries: 100 },
  });
  const producer: Producer = kafka.producer({ idempotent, allowAutoTopicCreation: false });
  cleanups.push(() => producer.disconnect());
  await producer.connect();

  const next = new Map<string, number>();
  for (let sent = 0; sent < MESSAGES; sent += PER_SEND) {
    const messages = Array.from({ length: PER_SEND }, (_, i) => {
      const key = `key-${(sent + i) % KEYS}`;
      const sequence = next.get(key) ?? 0;
      next.set(key, sequence + 1);
      return { key, value: `${key}:${sequence}` };
    });
    await producer.send({ topic, acks: -1, messages });
  }
  return { proxy, storage, topic };
}

describe('lost acknowledgements (20% of produce responses never reach the client)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('stores every message exactly once and in order per key with an idempotent kafkajs producer', async () => {
    const { proxy, storage, topic } = await sendThroughLossyProxy(true, cleanups);

    expect(proxy.stats.acknowledgementsDropped).toBeGreaterThan(0);
    const stored = storedRecords(storage, topic);
    expect(stored).toHaveLength(MESSAGES);
    const byKey = valuesByKey(stored);
    expect(byKey.size).toBe(KEYS);
    for (const [key, values] of byKey) {
      expect(values).toEqual(Array.from({ length: MESSAGES / KEYS }, (_, i) => `${key}:${i}`));
    }
  });

  it('stores duplicates without idempotence, so the proxy really loses acknowledgements', async () => {
    const { proxy, storage, topic } = await sendThroughLossyProxy(false, cleanups);

    expect(proxy.stats.acknowledgementsDropped).toBeGreaterThan(0);
    const stored = storedRecords(storage, topic);
    const distinct = new Set(stored.map((r) => r.value));
    console.log(proxy.stats, stored.length);
    expect(distinct.size).toBe(MESSAGES);
    expect(stored.length - MESSAGES).toBeGreaterThan(0);
  });
});
