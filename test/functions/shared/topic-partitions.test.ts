import { Logger } from '@aws-lambda-powertools/logger';
import { Kafka, logLevel, Partitioners, type PartitionMetadata } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../functions/shared/kafka-client';
import { readKafkaSettings } from '../../../functions/shared/kafka-settings';
import { WarmProducer } from '../../../functions/shared/producer-session';
import { PartitionCountChangedError, TopicPartitions } from '../../../functions/shared/topic-partitions';
import { createFreshTopic, startTestKafka, type TestKafka } from '../../helpers/kafka';

const quiet = new Logger({ serviceName: 'topic-partitions-test', logLevel: 'SILENT' });

function partitionList(count: number): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
}

describe('topic partitions of a producer session', () => {
  it('looks a topic up again only once its list is older than the refresh interval', async () => {
    let clock = 0;
    const lookups: string[] = [];
    const partitions = new TopicPartitions(
      async (topic) => {
        lookups.push(topic);
        return partitionList(2);
      },
      1000,
      () => clock,
    );
    await partitions.of('payments');
    clock = 999;
    await partitions.of('payments');
    expect(lookups).toEqual(['payments']);
    clock = 1000;
    await partitions.of('payments');
    expect(lookups).toEqual(['payments', 'payments']);
  });

  it('fails with PartitionCountChangedError when a refresh finds another partition count', async () => {
    let clock = 0;
    let count = 2;
    const partitions = new TopicPartitions(
      async () => partitionList(count),
      1000,
      () => clock,
    );
    await partitions.of('payments');
    count = 4;
    clock = 1000;
    await expect(partitions.of('payments')).rejects.toBeInstanceOf(PartitionCountChangedError);
  });
});

describe('partition growth seen by warm producers', () => {
  let kafka: TestKafka;
  const closing: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    kafka = await startTestKafka();
  });
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((item) => item.close()));
  });
  afterAll(async () => {
    await kafka.close();
  });

  const REFRESH_MS = 300;

  function warmProducer(retired: string[] = []): WarmProducer {
    const settings = readKafkaSettings({ KAFKA_BROKERS: kafka.brokers.join(',') });
    const producer = new WarmProducer(
      () => createKafka(settings, 'topic-partitions-test', { logger: quiet }),
      {
        partitionRefreshMs: REFRESH_MS,
        onRetired: ({ reason }) => retired.push(reason),
      },
    );
    closing.push(producer);
    return producer;
  }

  /** A key the default partitioner sends to partition 0 of 1 but to another one of `count`. */
  function keyThatMoves(topic: string, count: number): string {
    const choose = Partitioners.DefaultPartitioner();
    for (let i = 0; ; i++) {
      const key = `acct-${i}`;
      const partition = choose({
        topic,
        partitionMetadata: partitionList(count),
        message: { key, value: null },
      });
      if (partition !== 0) return key;
    }
  }

  it('routes a key like a new session does once the refresh interval has passed after the topic grew', async () => {
    // GIVEN a warm producer that published to a one-partition topic
    const topic = await createFreshTopic(kafka.brokers, { partitions: 1 });
    const key = keyThatMoves(topic, 4);
    const retired: string[] = [];
    const old = warmProducer(retired);
    const [before] = await old.publish(topic, [{ eventId: 'evt-1', key, value: 'capture' }]);
    expect(before?.partition).toBe(0);
    const oldSession = await old.sessionId();

    // WHEN the topic grows to four partitions and a new producer publishes the same key
    const admin = new Kafka({ brokers: [...kafka.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
    await admin.disconnect();
    const fresh = warmProducer();
    const [fromNew] = await fresh.publish(topic, [{ eventId: 'evt-2', key, value: 'refund' }]);
    expect(fromNew?.partition).not.toBe(0);

    // THEN after the refresh interval the old producer routes the key to the same partition, from a new session
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS + 50));
    const [fromOld] = await old.publish(topic, [{ eventId: 'evt-3', key, value: 'second refund' }]);
    expect(fromOld?.partition).toBe(fromNew?.partition);
    expect(await old.sessionId()).not.toBe(oldSession);
    expect(retired).toEqual(['PartitionCountChangedError']);
  });
});
