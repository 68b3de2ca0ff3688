/**
 * Kafka's own Java producer (idempotent, acks=all, five requests in flight) through the proxy that loses
 * produce acknowledgements after the broker wrote them: to the local broker and to Apache Kafka, each must
 * end with every record exactly once, in order per key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LostAckProxy, startLostAckProxy } from '../../../local/chaos/proxy';
import { startReferenceCluster } from '../../../reference/kafka/cluster';
import { freePort } from '../../../reference/kafka/free-port';
import { compileReferenceProducer } from '../../../reference/kafka/java-producer';
import { createFreshTopic, readTopic, type StoredRecord, startBrokerBehind } from '../../helpers/kafka';

const RECORDS = 10_000;
const KEYS = 20;
const DROP_SHARE = 0.1;

let produce: Awaited<ReturnType<typeof compileReferenceProducer>>;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  produce = await compileReferenceProducer();
});

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Each key's values in offset order: 0, 1, 2, … exactly once each when nothing was lost or duplicated. */
function valuesPerKey(records: readonly StoredRecord[]): Map<string, number[]> {
  const perKey = new Map<string, number[]>();
  for (const record of records) {
    const key = record.key ?? '';
    perKey.set(key, [...(perKey.get(key) ?? []), Number(record.value)]);
  }
  return perKey;
}

async function sendThrough(proxy: LostAckProxy, brokers: readonly string[]) {
  const topic = await createFreshTopic(brokers, { partitions: 3, prefix: 'reference-producer' });
  const printed = await produce({ bootstrap: brokers[0] ?? '', topic, count: RECORDS, keys: KEYS });
  const records = await readTopic(brokers, topic);
  return { printed, records, dropped: proxy.stats.acknowledgementsDropped };
}

function expectEveryRecordOnceInOrder(records: readonly StoredRecord[]): void {
  expect(records).toHaveLength(RECORDS);
  const perKey = valuesPerKey(records);
  expect(perKey.size).toBe(KEYS);
  for (const [key, values] of perKey) {
    expect(values, key).toEqual(Array.from({ length: RECORDS / KEYS }, (_, index) => index));
  }
}

describe("Kafka's Java idempotent producer behind lost acknowledgements", () => {
  it('leaves exactly 10,000 records, in order per key, in the local broker', async () => {
    // Prepare
    const kafka = await startBrokerBehind((target) =>
      startLostAckProxy({ target, dropShare: DROP_SHARE, seed: 11 }),
    );
    closers.push(() => kafka.close());

    // Act
    const { printed, records, dropped } = await sendThrough(kafka.front, kafka.brokers);

    // Assess
    console.log(
      `local broker: ${printed}; ${dropped} acknowledgements lost; ${records.length} records stored`,
    );
    expect(printed).toBe(`acknowledged ${RECORDS} failed 0`);
    expect(dropped).toBeGreaterThan(0);
    expectEveryRecordOnceInOrder(records);
  });

  it('leaves exactly 10,000 records, in order per key, in Apache Kafka', async () => {
    // Prepare: the broker advertises the proxy, so every connection goes through it.
    const brokerPort = await freePort();
    const proxy = await startLostAckProxy({
      target: { host: '127.0.0.1', port: brokerPort },
      dropShare: DROP_SHARE,
      seed: 11,
    });
    closers.push(() => proxy.close());
    const cluster = await startReferenceCluster({
      nodes: 1,
      ports: [brokerPort],
      advertisedPorts: [proxy.port],
    });
    closers.push(() => cluster.close());

    // Act
    const { printed, records, dropped } = await sendThrough(proxy, cluster.brokers);

    // Assess
    console.log(
      `Apache Kafka ${cluster.version}: ${printed}; ${dropped} acknowledgements lost; ${records.length} records stored`,
    );
    expect(printed).toBe(`acknowledged ${RECORDS} failed 0`);
    expect(dropped).toBeGreaterThan(0);
    expectEveryRecordOnceInOrder(records);
  });
});
