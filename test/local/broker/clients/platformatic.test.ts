import { inspect } from 'node:util';
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
import { type RunningBroker, startBroker } from '../../../../local/broker';
import { FAST_TEST_BROKER, freshTopicName as freshName, waitUntil } from '../../../helpers/kafka';

/** Kafka's ConfigResource.Type TOPIC and IncrementalAlterConfigs' SET operation. */
const TOPIC_RESOURCE = 2;
const SET = 0;

// @platformatic/kafka 1.x implements no API version older than the first flexible ones (ApiVersions v3,
// Metadata v9, Fetch v12, ...), so it needs the broker's flexible versions on.
describe('@platformatic/kafka against the broker', () => {
  let broker: RunningBroker;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startBroker({ ...FAST_TEST_BROKER, flexibleVersions: true });
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

  it.each(['gzip', 'snappy', 'lz4'] as const)(
    'finds the offset for a timestamp inside a %s batch it produced (ListOffsets)',
    async (compression) => {
      const topic = freshName(`timestamps-${compression}`);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const producer = new Producer({
        clientId: 'platformatic-producer',
        bootstrapBrokers: [broker.bootstrap],
        serializers: stringSerializers,
        compression,
        autocreateTopics: false,
      });
      const start = 1_700_000_000_000n;
      // One send is one batch: four records 10 ms apart.
      await producer.send({
        messages: [0n, 10n, 20n, 30n].map((delta) => ({
          topic,
          partition: 0,
          key: 'account',
          value: `at +${delta} ms`,
          timestamp: start + delta,
        })),
      });
      await producer.close();

      const [inTheMiddle] = await admin.fetchTopicOffsetsByTimestamp(topic, Number(start + 15n));
      const [onARecord] = await admin.fetchTopicOffsetsByTimestamp(topic, Number(start + 30n));
      expect(inTheMiddle).toEqual({ partition: 0, offset: '2' });
      expect(onARecord).toEqual({ partition: 0, offset: '3' });
    },
  );

  it('gives a restarted static member (group.instance.id) its partitions back without a rebalance, and fences the old one', async () => {
    const topic = freshName('static');
    const groupId = freshName('group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const member = (groupInstanceId: string) =>
      new Consumer({
        groupId,
        groupInstanceId,
        clientId: `static-${groupInstanceId}`,
        bootstrapBrokers: [broker.bootstrap],
        deserializers: stringDeserializers,
        maxWaitTime: 100,
        heartbeatInterval: 100,
        sessionTimeout: 10_000,
      });
    const partitionsOf = (consumer: Consumer<string, string, string, string>) =>
      (consumer.assignments ?? []).flatMap((assigned) => assigned.partitions).sort();
    const consume = (consumer: Consumer<string, string, string, string>) =>
      consumer.consume({ topics: [topic], mode: MessagesStreamModes.LATEST, autocommit: false });

    const a = member('a');
    const b = member('b');
    const streams = [await consume(a), await consume(b)];
    await waitUntil(
      'a and b to share the 4 partitions in one generation',
      () =>
        a.generationId === b.generationId &&
        partitionsOf(a).length > 0 &&
        partitionsOf(b).length > 0 &&
        partitionsOf(a).length + partitionsOf(b).length === 4,
    );
    const generation = b.generationId;
    const partitionsOfA = partitionsOf(a);
    let fenced = false;
    a.on('consumer:heartbeat:error', ({ error }) => {
      if (inspect(error, { depth: 6 }).includes('FENCED_INSTANCE_ID')) fenced = true;
    });

    // Act: instance a starts again (a new process) while its predecessor never left the group.
    const restarted = member('a');
    streams.push(await consume(restarted));
    await waitUntil('the restarted member to get partitions', () => partitionsOf(restarted).length > 0);
    let heartbeatsOfB = 0;
    b.on('consumer:heartbeat:end', () => {
      heartbeatsOfB++;
    });
    await waitUntil('the old member of instance a to be fenced', () => fenced);
    await waitUntil('b to heartbeat after the restart', () => heartbeatsOfB >= 2);

    // Assess: same partitions, same generation for everyone: no rebalance happened.
    expect(partitionsOf(restarted)).toEqual(partitionsOfA);
    expect(restarted.memberId).not.toBe(a.memberId);
    expect(restarted.generationId).toBe(generation);
    expect(b.generationId).toBe(generation);
    const described = await admin.describeGroups([groupId]);
    expect(described.groups[0]?.state).toBe('Stable');
    expect(described.groups[0]?.members.map((m) => m.memberId).sort()).toEqual(
      [restarted.memberId, b.memberId].sort(),
    );
    for (const stream of streams) await stream.close();
    for (const consumer of [a, restarted, b]) await consumer.close();
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
