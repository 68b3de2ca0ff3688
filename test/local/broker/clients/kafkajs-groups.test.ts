import { type Admin, type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INITIAL_REBALANCE_DELAY_MS } from '../../../../local/broker/groups/coordinator';
import {
  freshTopicName as freshName,
  startLocalKafka,
  startTestKafka,
  type TestKafka,
  topicKnownEverywhere,
  waitUntil as waitFor,
} from '../../../helpers/kafka';

describe('kafkajs consumer groups against the broker', () => {
  let cluster: TestKafka;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    cluster = await startTestKafka();
    kafka = new Kafka({ clientId: 'group-test', brokers: [...cluster.brokers], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await cluster?.close();
  });

  it('splits partitions between two members, then gives all to the one left', async () => {
    const topic = freshName('split');
    const groupId = freshName('group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: false });
    await topicKnownEverywhere(cluster.brokers, topic);

    const assigned = new Map<string, number[]>();
    const startMember = async (name: string): Promise<Consumer> => {
      const consumer = kafka.consumer({
        groupId,
        heartbeatInterval: 100,
        sessionTimeout: 10_000,
        maxWaitTimeInMs: 100,
      });
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assigned.set(name, event.payload.memberAssignment[topic] ?? []);
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      return consumer;
    };

    const first = await startMember('first');
    await waitFor('the first member to get all 4 partitions', () => assigned.get('first')?.length === 4);
    const second = await startMember('second');
    await waitFor(
      'both members to get 2 partitions each',
      () => assigned.get('first')?.length === 2 && assigned.get('second')?.length === 2,
    );
    const split = [...(assigned.get('first') ?? []), ...(assigned.get('second') ?? [])].sort();
    expect(split).toEqual([0, 1, 2, 3]);

    const described = await admin.describeGroups([groupId]);
    expect(described.groups[0]?.state).toBe('Stable');
    expect(described.groups[0]?.members).toHaveLength(2);

    await second.disconnect();
    await waitFor(
      'the first member to take all 4 partitions back',
      () => assigned.get('first')?.length === 4,
    );
    expect([...(assigned.get('first') ?? [])].sort()).toEqual([0, 1, 2, 3]);
    await first.disconnect();

    const listed = await admin.listGroups();
    expect(listed.groups.map((g) => g.groupId)).toContain(groupId);
    const afterAll = await admin.describeGroups([groupId]);
    expect(afterAll.groups[0]?.state).toBe('Empty');
  });

  it('keeps committed offsets: a new member of the group resumes after what was consumed', async () => {
    const topic = freshName('resume');
    const groupId = freshName('group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false });
    await topicKnownEverywhere(cluster.brokers, topic);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'a', value: '1' },
        { key: 'a', value: '2' },
      ],
    });

    const read = async (): Promise<string[]> => {
      const values: string[] = [];
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? ''),
      });
      return new Promise((resolve) => {
        const check = setInterval(async () => {
          const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
          const committed = offsets[0]?.partitions[0]?.offset;
          const end = await admin.fetchTopicOffsets(topic);
          if (committed !== undefined && committed === end[0]?.high) {
            clearInterval(check);
            await consumer.disconnect();
            resolve(values);
          }
        }, 50);
      });
    };

    expect(await read()).toEqual(['1', '2']);
    await producer.send({ topic, messages: [{ key: 'a', value: '3' }] });
    await producer.disconnect();
    expect(await read()).toEqual(['3']);
  });

  it("gives consumers that start together one generation, with the broker's default initial rebalance delay", async () => {
    // Kafka's and MSK's group.initial.rebalance.delay.ms, which the other tests here turn off for speed.
    const defaults = await startLocalKafka({ initialRebalanceDelayMs: DEFAULT_INITIAL_REBALANCE_DELAY_MS });
    const client = new Kafka({
      clientId: 'delay-test',
      brokers: [...defaults.brokers],
      logLevel: logLevel.NOTHING,
    });
    const consumers: Consumer[] = [];
    try {
      const topic = freshName('together');
      const groupId = freshName('group');
      const setup = client.admin();
      await setup.connect();
      await setup.createTopics({ topics: [{ topic, numPartitions: 4 }] });
      await setup.disconnect();

      // Every rebalance a member sees is one GROUP_JOIN event: with one generation, three events in all.
      const joins: { member: number; partitions: number[] }[] = [];
      const startMember = async (member: number): Promise<void> => {
        const consumer = client.consumer({ groupId, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
        consumers.push(consumer);
        consumer.on(consumer.events.GROUP_JOIN, (event) => {
          joins.push({ member, partitions: event.payload.memberAssignment[topic] ?? [] });
        });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: async () => {} });
      };
      // Members start 400 ms apart, as processes of one deployment do: without the delay the first
      // would form a generation alone and each later one would force another.
      await Promise.all(
        [0, 1, 2].map(async (member) => {
          await new Promise((resolve) => setTimeout(resolve, member * 400));
          await startMember(member);
        }),
      );
      await waitFor('three group joins', () => joins.length >= 3);

      const described = client.admin();
      await described.connect();
      const group = (await described.describeGroups([groupId])).groups[0];
      await described.disconnect();
      const firstJoins = joins.slice(0, 3);
      expect(firstJoins.map((join) => join.member).sort()).toEqual([0, 1, 2]);
      expect(firstJoins.flatMap((join) => join.partitions).sort()).toEqual([0, 1, 2, 3]);
      expect(joins).toHaveLength(3);
      expect(group?.state).toBe('Stable');
      expect(group?.members).toHaveLength(3);
    } finally {
      for (const consumer of consumers) await consumer.disconnect();
      await defaults.close();
    }
  });
});
