import { type Admin, CompressionTypes, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freshTopicName as freshName,
  startTestKafka,
  type TestKafka,
  waitUntil,
} from '../../../helpers/kafka';

/** Kafka's DescribeConfigs config sources. */
const DYNAMIC_TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;

describe('kafkajs admin against the broker: partitions, configs, limits and retention', () => {
  let cluster: TestKafka;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    // Retention checked often, so a test sees it act within a second (Kafka: every 5 minutes).
    cluster = await startTestKafka({ retentionCheckIntervalMs: 50 });
    kafka = new Kafka({
      clientId: 'admin-test',
      brokers: [...cluster.brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 50 },
    });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await cluster?.close();
  });

  async function partitionCount(topic: string): Promise<number> {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  }

  async function produce(
    topic: string,
    messages: { value: string; partition?: number; timestamp?: string }[],
  ) {
    const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      return await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  }

  /** What a consumer group reads from partition 0 of `topic` until `done`, from the start or `offset`. */
  async function consume(
    topic: string,
    done: (read: { offset: string; timestamp: string }[]) => boolean,
    offset?: string,
  ): Promise<{ offset: string; timestamp: string }[]> {
    const consumer = kafka.consumer({ groupId: freshName('group'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const read: { offset: string; timestamp: string }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        read.push({ offset: message.offset, timestamp: message.timestamp });
      },
    });
    if (offset !== undefined) consumer.seek({ topic, partition: 0, offset });
    await waitUntil(`records of ${topic}`, () => done(read));
    await consumer.disconnect();
    return read;
  }

  describe('CreatePartitions', () => {
    it('grows a topic so producers and consumers use the new partitions', async () => {
      const topic = freshName('grow');
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
      await produce(topic, [{ value: 'before', partition: 1 }]);

      await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }] });

      expect(await partitionCount(topic)).toBe(5);
      const [sent] = await produce(topic, [{ value: 'on a new partition', partition: 4 }]);
      expect(sent).toMatchObject({ partition: 4, errorCode: 0, baseOffset: '0' });
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.map((p) => [p.partition, p.high]).sort()).toEqual([
        [0, '0'],
        [1, '1'],
        [2, '0'],
        [3, '0'],
        [4, '1'],
      ]);
    });

    it('refuses a count that is not growth with INVALID_PARTITIONS, and changes nothing when validating only', async () => {
      const topic = freshName('no-shrink');
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });

      await expect(admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })).rejects.toMatchObject({
        type: 'INVALID_PARTITIONS',
      });
      await expect(admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] })).rejects.toMatchObject({
        type: 'INVALID_PARTITIONS',
      });
      await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic, count: 6 }] });
      expect(await partitionCount(topic)).toBe(3);
    });

    it('ignores replica assignments, which can only name this one broker', async () => {
      const topic = freshName('assigned');
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      await admin.createPartitions({ topicPartitions: [{ topic, count: 3, assignments: [[0], [0]] }] });
      expect(await partitionCount(topic)).toBe(3);
    });
  });

  describe('DescribeConfigs and AlterConfigs', () => {
    it('describes a topic with its overrides, defaults matching MSK, and synonyms', async () => {
      const topic = freshName('described');
      await admin.createTopics({
        topics: [{ topic, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
      });

      const { resources } = await admin.describeConfigs({
        includeSynonyms: true,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      });
      const entries = new Map(resources[0]?.configEntries.map((entry) => [entry.configName, entry]));
      expect(entries.get('retention.ms')).toMatchObject({
        configValue: '3600000',
        configSource: DYNAMIC_TOPIC_CONFIG,
        isDefault: false,
        readOnly: false,
        isSensitive: false,
      });
      expect(entries.get('retention.ms')?.configSynonyms.map((s) => s.configName)).toEqual([
        'retention.ms',
        'log.retention.ms',
      ]);
      expect(entries.get('max.message.bytes')).toMatchObject({
        configValue: '1048588',
        configSource: DEFAULT_CONFIG,
        isDefault: true,
      });
      expect(entries.get('cleanup.policy')?.configValue).toBe('delete');
      expect(entries.get('message.timestamp.type')?.configValue).toBe('CreateTime');
    });

    it("describes the broker's message.max.bytes", async () => {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configNames: ['message.max.bytes'] }],
      });
      expect(resources[0]?.configEntries).toEqual([
        expect.objectContaining({ configName: 'message.max.bytes', configValue: '1048588', readOnly: true }),
      ]);
    });

    it('alters a topic (the whole set of overrides) and refuses cleanup.policy=compact with INVALID_CONFIG', async () => {
      const topic = freshName('altered');
      await admin.createTopics({
        topics: [{ topic, configEntries: [{ name: 'retention.ms', value: '1000' }] }],
      });
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [{ name: 'segment.bytes', value: '4096' }],
          },
        ],
      });
      await expect(
        admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: topic,
              configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
            },
          ],
        }),
      ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });

      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'segment.bytes'] },
        ],
      });
      expect(resources[0]?.configEntries.map((e) => [e.configName, e.configValue, e.isDefault])).toEqual([
        ['retention.ms', '604800000', true],
        ['segment.bytes', '4096', false],
      ]);
    });

    it('refuses to create a compacted topic with INVALID_CONFIG', async () => {
      const topic = freshName('compacted');
      const refused: unknown = await admin
        .createTopics({ topics: [{ topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
        .catch((error: unknown) => error);
      expect((refused as { errors?: unknown[] }).errors?.[0]).toMatchObject({
        type: 'INVALID_CONFIG',
        topic,
      });
      expect(await admin.listTopics()).not.toContain(topic);
    });
  });

  describe('size limits', () => {
    it("answers MESSAGE_TOO_LARGE for a batch over the topic's max.message.bytes, and over 1 MB by default", async () => {
      const topic = freshName('limited');
      await admin.createTopics({
        topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }],
      });
      await expect(produce(topic, [{ value: 'x'.repeat(3000) }])).rejects.toMatchObject({
        type: 'MESSAGE_TOO_LARGE',
      });
      await produce(topic, [{ value: 'x'.repeat(1500) }]);

      const defaults = freshName('default-limit');
      await admin.createTopics({ topics: [{ topic: defaults, numPartitions: 1 }] });
      await expect(produce(defaults, [{ value: 'x'.repeat(1_100_000) }])).rejects.toMatchObject({
        type: 'MESSAGE_TOO_LARGE',
      });
      await produce(defaults, [{ value: 'x'.repeat(1_000_000) }]);
      const offsets = await admin.fetchTopicOffsets(defaults);
      expect(offsets[0]?.high).toBe('1');
    });
  });

  describe('message.timestamp.type', () => {
    it("gives consumers the broker's append time with LogAppendTime", async () => {
      const topic = freshName('append-time');
      await admin.createTopics({
        topics: [
          {
            topic,
            numPartitions: 1,
            configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
          },
        ],
      });
      const before = Date.now();
      await produce(topic, [{ value: 'a', timestamp: String(before - 60_000) }]);
      const after = Date.now();

      const [read] = await consume(topic, (read) => read.length === 1);
      const timestamps = [Number(read?.timestamp)];
      expect(timestamps[0]).toBeGreaterThanOrEqual(before);
      expect(timestamps[0]).toBeLessThanOrEqual(after);
    });
  });

  describe('retention', () => {
    it('deletes old segments: the earliest offset moves, and a consumer starting below it resumes there', async () => {
      const topic = freshName('retained');
      const segmentBytes = { name: 'segment.bytes', value: '300' };
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [segmentBytes] }] });
      for (let i = 0; i < 10; i++) await produce(topic, [{ value: `payment-${i}-${'x'.repeat(100)}` }]);
      // Retention set once everything is written, so the log start moves once and then holds still.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [segmentBytes, { name: 'retention.bytes', value: '600' }],
          },
        ],
      });
      await waitUntil('retention', async () => (await admin.fetchTopicOffsets(topic))[0]?.low !== '0');
      const [{ low, high } = { low: '', high: '' }] = await admin.fetchTopicOffsets(topic);
      expect(high).toBe('10');
      expect(Number(low)).toBeGreaterThan(0);

      // Starting below the log start: OFFSET_OUT_OF_RANGE, then the consumer resets to the earliest offset.
      const read = await consume(topic, (read) => read.some((m) => m.offset === '9'), '0');
      expect(read[0]?.offset).toBe(low);
    });
  });

  describe('ListOffsets by timestamp', () => {
    it('answers the first record at or after the timestamp inside a compressed batch', async () => {
      const topic = freshName('by-time');
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
      await producer.connect();
      // Recent timestamps: retention (7 days by default) deletes older records.
      const t = Date.now() - 1000;
      await producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: [
          { value: 'a', timestamp: String(t) },
          { value: 'b', timestamp: String(t + 10) },
          { value: 'c', timestamp: String(t + 20) },
        ],
      });
      await producer.disconnect();

      expect(await admin.fetchTopicOffsetsByTimestamp(topic, t + 5)).toEqual([{ partition: 0, offset: '1' }]);
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, t + 20)).toEqual([
        { partition: 0, offset: '2' },
      ]);
    });
  });
});
