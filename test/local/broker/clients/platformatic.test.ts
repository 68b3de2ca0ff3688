import {
  Consumer,
  MessagesStreamModes,
  Admin as PlatformaticAdmin,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, silentLogger, startBroker } from '../../../../local/broker';
import { freshTopicName as freshName } from '../../../helpers/kafka';

/** Kafka's ConfigResource.Type TOPIC and IncrementalAlterConfigs' SET operation. */
const TOPIC_RESOURCE = 2;
const SET = 0;

// @platformatic/kafka 1.x implements no API version older than the first flexible ones (ApiVersions v3,
// Metadata v9, Fetch v12, ...), so it needs the broker's flexible versions on.
describe('@platformatic/kafka against the broker', () => {
  let broker: RunningBroker;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startBroker({ logger: silentLogger, flexibleVersions: true });
    admin = new Kafka({ clientId: 'admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await broker?.close();
  });

  it('produces idempotently and consumes in a group what it produced, in order per key', async () => {
    const topic = freshName('platformatic');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const producer = new Producer({
      clientId: 'platformatic-producer',
      bootstrapBrokers: [broker.bootstrap],
      serializers: stringSerializers,
      idempotent: true,
      autocreateTopics: false,
    });
    const sent = Array.from({ length: 100 }, (_, i) => ({
      topic,
      key: `account-${i % 5}`,
      value: `payment-${i}`,
    }));
    for (let i = 0; i < sent.length; i += 20) {
      await producer.send({ messages: sent.slice(i, i + 20) });
    }
    await producer.close();

    const consumer = new Consumer({
      groupId: freshName('group'),
      clientId: 'platformatic-consumer',
      bootstrapBrokers: [broker.bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 100,
    });
    const stream = await consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: true,
    });
    const received: { key: string; value: string }[] = [];
    for await (const message of stream) {
      received.push({ key: message.key, value: message.value });
      if (received.length === sent.length) break;
    }
    await stream.close();
    await consumer.close();

    expect(new Set(received.map((m) => m.value))).toEqual(new Set(sent.map((m) => m.value)));
    for (let k = 0; k < 5; k++) {
      const key = `account-${k}`;
      expect(received.filter((m) => m.key === key).map((m) => m.value)).toEqual(
        sent.filter((m) => m.key === key).map((m) => m.value),
      );
    }
    // What it stored is what kafkajs reads too.
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(sent.length);
  });

  it('grows a topic with CreatePartitions and reads and alters its configs', async () => {
    const topic = freshName('platformatic-admin');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const client = new PlatformaticAdmin({
      clientId: 'platformatic-admin',
      bootstrapBrokers: [broker.bootstrap],
    });
    try {
      await client.createPartitions({ topics: [{ name: topic, count: 4 }] });
      await expect(client.createPartitions({ topics: [{ name: topic, count: 3 }] })).rejects.toThrow();
      await client.incrementalAlterConfigs({
        resources: [
          {
            resourceType: TOPIC_RESOURCE,
            resourceName: topic,
            configs: [{ name: 'retention.ms', configOperation: SET, value: '3600000' }],
          },
        ],
      });
      const [described] = await client.describeConfigs({
        resources: [
          { resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: ['retention.ms'] },
        ],
      });
      expect(described?.configs.map((c) => [c.name, c.value])).toEqual([['retention.ms', '3600000']]);
    } finally {
      await client.close();
    }
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics[0]?.partitions).toHaveLength(4);
  });
});
