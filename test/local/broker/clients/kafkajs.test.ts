import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, silentLogger, startBroker } from '../../../../local/broker';
import {
  freshTopicName as freshName,
  startTestKafka,
  type TestKafka,
  topicKnownEverywhere,
  waitUntil as waitFor,
} from '../../../helpers/kafka';

describe('kafkajs against the broker', () => {
  let cluster: TestKafka;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    cluster = await startTestKafka();
    kafka = new Kafka({ clientId: 'broker-test', brokers: [...cluster.brokers], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await cluster?.close();
  });

  it('stores what an idempotent producer sends and a consumer group reads it back in order', async () => {
    const topic = freshName('idempotent');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: false });
    await topicKnownEverywhere(cluster.brokers, topic);
    const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
    await producer.connect();
    const sent = Array.from({ length: 300 }, (_, i) => ({ key: `account-${i % 7}`, value: `payment-${i}` }));
    for (let i = 0; i < sent.length; i += 50) {
      await producer.send({ topic, messages: sent.slice(i, i + 50) });
    }
    await producer.disconnect();

    const received: { key: string; value: string; partition: number; offset: string }[] = [];
    const consumer = kafka.consumer({ groupId: freshName('group'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        received.push({
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          partition,
          offset: message.offset,
        });
      },
    });
    await waitFor('300 messages', () => received.length >= sent.length);
    await consumer.disconnect();

    expect(received).toHaveLength(sent.length);
    expect(new Set(received.map((m) => m.value))).toEqual(new Set(sent.map((m) => m.value)));
    // Per key, the order sent is the order read.
    for (let k = 0; k < 7; k++) {
      const key = `account-${k}`;
      expect(received.filter((m) => m.key === key).map((m) => m.value)).toEqual(
        sent.filter((m) => m.key === key).map((m) => m.value),
      );
    }
  });

  it('lets a producer carry on after the broker drops every connection, without duplicates', async () => {
    const broker: RunningBroker = await startBroker({ logger: silentLogger });
    try {
      const client = new Kafka({
        clientId: 'reconnect',
        brokers: [broker.bootstrap],
        logLevel: logLevel.NOTHING,
      });
      const topic = freshName('reconnect');
      const setup = client.admin();
      await setup.connect();
      await setup.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const producer = client.producer({ idempotent: true });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'a', value: 'before' }] });
      expect(broker.disconnectClients()).toBeGreaterThan(0);
      await producer.send({ topic, messages: [{ key: 'a', value: 'after' }] });
      await producer.disconnect();
      const offsets = await setup.fetchTopicOffsets(topic);
      await setup.disconnect();
      expect(offsets[0]?.high).toBe('2');
    } finally {
      await broker.close();
    }
  });
});
