/**
 * Transactions (KIP-98) as kafkajs uses them: its transactional producer, sendOffsets for
 * consume-transform-produce, and read_committed / read_uncommitted consumers.
 */
import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, type KafkaMessage, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freshTopicName as freshName,
  startTestKafka,
  type TestKafka,
  topicKnownEverywhere,
  waitUntil,
} from '../../../helpers/kafka';

describe('kafkajs transactions against the broker', () => {
  let cluster: TestKafka;
  let kafka: Kafka;
  let admin: Admin;
  const producers: Producer[] = [];

  beforeAll(async () => {
    cluster = await startTestKafka();
    kafka = new Kafka({ clientId: 'txn-test', brokers: [...cluster.brokers], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const producer of producers) await producer.disconnect().catch(() => undefined);
    await admin?.disconnect();
    await cluster?.close();
  });

  async function transactionalProducer(transactionalId: string): Promise<Producer> {
    const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    producers.push(producer);
    await producer.connect();
    return producer;
  }

  async function freshTopic(partitions = 1): Promise<string> {
    const topic = freshName('txn');
    // Kafka spreads a new topic to its brokers asynchronously: wait until every one of them knows it.
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
    await topicKnownEverywhere(cluster.brokers, topic);
    return topic;
  }

  /**
   * Reads the topic from the beginning in a fresh group until `until` holds for what was read (records
   * arrive in offset order per partition, so anything that should have been skipped shows up first).
   */
  async function readValues(
    topic: string,
    isolation: 'read_committed' | 'read_uncommitted',
    until: (values: string[]) => boolean,
  ): Promise<string[]> {
    const values: string[] = [];
    const consumer = kafka.consumer({
      groupId: `reader-${randomUUID()}`,
      readUncommitted: isolation === 'read_uncommitted',
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }: { message: KafkaMessage }) => {
          values.push(message.value?.toString() ?? '');
        },
      });
      await waitUntil(`${isolation} reads of ${topic}`, () => until(values));
    } finally {
      await consumer.disconnect();
    }
    return values;
  }

  const messages = (...values: string[]) => values.map((value) => ({ key: 'k', value }));

  it('makes a committed transaction visible to read_committed consumers', async () => {
    const topic = await freshTopic(2);
    const producer = await transactionalProducer(`commit-${randomUUID()}`);
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: messages('one', 'two') });
    await transaction.send({ topic, messages: [{ key: 'other', value: 'three', partition: 1 }] });
    await transaction.commit();

    const read = await readValues(topic, 'read_committed', (values) => values.length >= 3);
    expect(read.sort()).toEqual(['one', 'three', 'two']);
  });

  it('hides an aborted transaction from read_committed consumers, not from read_uncommitted ones', async () => {
    const topic = await freshTopic();
    const producer = await transactionalProducer(`abort-${randomUUID()}`);
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: messages('aborted-1', 'aborted-2') });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: messages('kept') });
    await committed.commit();

    expect(await readValues(topic, 'read_committed', (values) => values.includes('kept'))).toEqual(['kept']);
    // The commit and abort markers are control records: no consumer sees them as messages.
    expect(await readValues(topic, 'read_uncommitted', (values) => values.includes('kept'))).toEqual([
      'aborted-1',
      'aborted-2',
      'kept',
    ]);
  });

  it('holds read_committed readers at the last stable offset while a transaction is open', async () => {
    const topic = await freshTopic();
    const producer = await transactionalProducer(`open-${randomUUID()}`);
    const plain = kafka.producer({ idempotent: true });
    await plain.connect();
    await plain.send({ topic, messages: messages('before') });
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: messages('in-transaction') });
    await plain.send({ topic, messages: messages('after') });

    // ListOffsets latest: read_committed (kafkajs's admin) gets the last stable offset.
    expect((await admin.fetchTopicOffsets(topic))[0]?.high).toBe('1');
    const uncommitted = await readValues(topic, 'read_uncommitted', (values) => values.includes('after'));
    expect(uncommitted).toEqual(['before', 'in-transaction', 'after']);

    await transaction.commit();
    await plain.disconnect();
    // Kafka answers EndTxn once the commit is decided and writes the markers after it, so the last stable
    // offset reaches the end (3 records + the marker) shortly after the commit returns.
    await waitUntil(
      'the last stable offset to pass the commit marker',
      async () => (await admin.fetchTopicOffsets(topic))[0]?.high === '4',
    );
    const committed = await readValues(topic, 'read_committed', (values) => values.includes('after'));
    expect(committed).toEqual(['before', 'in-transaction', 'after']);
  });

  it('fences a zombie: a new producer with the same transactional id aborts its transaction and its epoch', async () => {
    const topic = await freshTopic();
    const transactionalId = `zombie-${randomUUID()}`;
    const zombie = await transactionalProducer(transactionalId);
    const zombieTransaction = await zombie.transaction();
    await zombieTransaction.send({ topic, messages: messages('from-zombie') });

    // A new instance starts with the same transactional id (the old one is presumed dead).
    const successor = await transactionalProducer(transactionalId);
    const transaction = await successor.transaction();
    await transaction.send({ topic, messages: messages('from-successor') });
    await transaction.commit();

    // Fenced: the partition leader refuses the old epoch (INVALID_PRODUCER_EPOCH), or, when Apache Kafka's
    // transaction verification (KIP-890, on by default since 3.6) asks the coordinator first, finds no ongoing
    // transaction of that producer (INVALID_TXN_STATE); Kafka 3.8 answers either, depending on timing.
    const late = await zombieTransaction.send({ topic, messages: messages('late') }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(['INVALID_PRODUCER_EPOCH', 'INVALID_TXN_STATE']).toContain((late as { type?: string })?.type);
    await expect(zombieTransaction.commit()).rejects.toThrow();
    expect(await readValues(topic, 'read_committed', (values) => values.includes('from-successor'))).toEqual([
      'from-successor',
    ]);
  });

  it('commits consumed offsets with the produced records (consume-transform-produce, sendOffsets)', async () => {
    const input = await freshTopic();
    const output = await freshTopic();
    const groupId = freshName('transform');
    const setup = kafka.producer({ idempotent: true });
    await setup.connect();
    await setup.send({ topic: input, messages: messages('a', 'b', 'c') });
    await setup.disconnect();

    const producer = await transactionalProducer(`transform-${randomUUID()}`);
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let processed = 0;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const transaction = await producer.transaction();
        await transaction.send({
          topic: output,
          messages: messages(message.value?.toString().toUpperCase() ?? ''),
        });
        await transaction.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic, partitions: [{ partition, offset: String(BigInt(message.offset) + 1n) }] }],
        });
        // The last record's transaction is aborted: neither its output nor its offset may stay.
        if (message.value?.toString() === 'c') await transaction.abort();
        else await transaction.commit();
        processed++;
      },
    });
    await waitUntil('the three input records to be processed', () => processed >= 3);
    await consumer.disconnect();

    const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(offsets[0]?.partitions[0]?.offset).toBe('2');
    expect(await readValues(output, 'read_committed', (values) => values.length >= 2)).toEqual(['A', 'B']);
  });
});
