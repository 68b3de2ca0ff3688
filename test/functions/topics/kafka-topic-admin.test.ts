import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaTopicAdmin } from '../../../functions/topics/kafka-topic-admin';
import { type RunningBroker, silentLogger, startBroker } from '../../../local/broker';

/**
 * The adapter against a real Kafka wire protocol: the local broker by default, or any Kafka given by
 * KAFKA_BROKERS. CreatePartitions is exercised only against a real Kafka (the local broker does not serve it).
 */
describe('kafkaTopicAdmin', () => {
  let broker: RunningBroker | undefined;
  let connected: Admin;

  beforeAll(async () => {
    const external = process.env.KAFKA_BROKERS;
    if (!external) broker = await startBroker({ port: 0, logger: silentLogger });
    const kafka = new Kafka({
      clientId: 'topic-admin-test',
      brokers: external ? external.split(',') : [broker?.bootstrap ?? ''],
      logLevel: logLevel.NOTHING,
    });
    connected = kafka.admin();
    await connected.connect();
  });

  afterAll(async () => {
    await connected?.disconnect();
    await broker?.close();
  });

  it('reports a missing topic, creates it with its partitions, and deletes it', async () => {
    // Prepare: a fresh topic name per run
    const topic = `topic-admin-${process.pid}-${Date.now()}`;
    const topics = kafkaTopicAdmin(connected);
    // Act / Assess
    expect(await topics.partitionCount(topic)).toBeUndefined();
    await topics.createTopic(topic, 3, 1);
    expect(await topics.partitionCount(topic)).toBe(3);
    await topics.deleteTopic(topic);
    expect(await topics.partitionCount(topic)).toBeUndefined();
  });
});
