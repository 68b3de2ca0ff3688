/**
 * MSK IAM authorization of the topic-admin, config and transaction APIs, with real kafkajs clients made by
 * the project's Kafka client factory: a principal whose policy lacks the action MSK checks is refused with
 * Kafka's error for the resource, and the refusal names the action; with the action it is served.
 */
import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, type Kafka, type Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../../local/broker';
import { resourceArn } from '../../../../local/broker/auth/local-iam';
import { ADMIN_POLICY, type IamKafka, startIamKafka } from '../../../helpers/iam-kafka';

let kafka: IamKafka;
let adminClient: Kafka;
const disconnecting: { disconnect(): Promise<void> }[] = [];

beforeAll(async () => {
  kafka = await startIamKafka();
  adminClient = await kafka.principal('admin', ADMIN_POLICY).connect();
}, 60_000);
afterEach(async () => {
  await Promise.all(disconnecting.splice(0).map((client) => client.disconnect().catch(() => undefined)));
});
afterAll(async () => {
  await kafka?.close();
});

/** Everything on the cluster except `action` on the resources matching `resource` (all by default). */
function allExcept(action: string, resource = '*'): PolicyDocument {
  return {
    Statement: [...ADMIN_POLICY.Statement, { Effect: 'Deny', Action: action, Resource: resource }],
  };
}

/** A principal of its own (named after the case), and the actions the broker refused it. */
async function principal(name: string, policy: PolicyDocument) {
  const unique = `${name}-${randomUUID().slice(0, 6)}`;
  const client = await kafka.principal(unique, policy).connect();
  const arn = `arn:aws:iam::111122223333:role/${unique}`;
  const refused = () => kafka.denials.filter((d) => d.principal === arn).map((d) => d.action);
  return { client, refused };
}

async function connectedAdmin(client: Kafka) {
  const admin = client.admin({ retry: { retries: 0 } });
  disconnecting.push(admin);
  await admin.connect();
  return admin;
}

async function freshTopic(partitions = 1): Promise<string> {
  const topic = `authz-${randomUUID()}`;
  const admin = await connectedAdmin(adminClient);
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  return topic;
}

/** The Kafka error type a failed call ended with (kafkajs nests the protocol error in retry errors). */
async function errorTypeOf(work: Promise<unknown>): Promise<string> {
  return work.then(
    () => 'succeeded',
    (error: unknown) => {
      let cause = error as { type?: string; originalError?: unknown; errors?: unknown[] } | undefined;
      while (cause && !cause.type) {
        cause = (cause.originalError ?? cause.errors?.[0]) as typeof cause;
      }
      return cause?.type ?? String(error);
    },
  );
}

describe('CreatePartitions', () => {
  it('needs kafka-cluster:AlterTopic on the topic: TOPIC_AUTHORIZATION_FAILED without it', async () => {
    const topic = await freshTopic();
    const denied = await principal('no-alter-topic', allExcept('kafka-cluster:AlterTopic'));
    const admin = await connectedAdmin(denied.client);
    expect(await errorTypeOf(admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] }))).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
    expect(denied.refused()).toContain('kafka-cluster:AlterTopic');

    const allowed = await connectedAdmin((await principal('alter-topic', ADMIN_POLICY)).client);
    await allowed.createPartitions({ topicPartitions: [{ topic, count: 2 }] });
    const [metadata] = (await allowed.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(metadata?.partitions).toHaveLength(2);
  });
});

describe('DescribeConfigs', () => {
  const topicConfigs = (topic: string) => ({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    includeSynonyms: false,
  });
  const brokerConfigs = {
    resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }],
    includeSynonyms: false,
  };

  it('needs DescribeTopicDynamicConfiguration on a topic: TOPIC_AUTHORIZATION_FAILED without it', async () => {
    const topic = await freshTopic();
    const action = 'kafka-cluster:DescribeTopicDynamicConfiguration';
    const denied = await principal('no-describe-topic-config', allExcept(action));
    const admin = await connectedAdmin(denied.client);
    expect(await errorTypeOf(admin.describeConfigs(topicConfigs(topic)))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(denied.refused()).toContain(action);
    // the cluster's configs are another action, still allowed
    const { resources } = await admin.describeConfigs(brokerConfigs);
    expect(resources[0]?.errorCode).toBe(0);

    const allowed = await connectedAdmin((await principal('describe-topic-config', ADMIN_POLICY)).client);
    const described = await allowed.describeConfigs(topicConfigs(topic));
    expect(described.resources[0]?.configEntries.map((entry) => entry.configName)).toContain('retention.ms');
  });

  it('needs DescribeClusterDynamicConfiguration for a broker: CLUSTER_AUTHORIZATION_FAILED without it', async () => {
    const action = 'kafka-cluster:DescribeClusterDynamicConfiguration';
    const denied = await principal('no-describe-cluster-config', allExcept(action));
    const admin = await connectedAdmin(denied.client);
    expect(await errorTypeOf(admin.describeConfigs(brokerConfigs))).toBe('CLUSTER_AUTHORIZATION_FAILED');
    expect(denied.refused()).toEqual([action]);
  });
});

describe('AlterConfigs', () => {
  const retention = (topic: string) => ({
    validateOnly: false,
    resources: [
      {
        type: ConfigResourceTypes.TOPIC,
        name: topic,
        configEntries: [{ name: 'retention.ms', value: '3600000' }],
      },
    ],
  });

  it('needs AlterTopicDynamicConfiguration on the topic: TOPIC_AUTHORIZATION_FAILED without it', async () => {
    const topic = await freshTopic();
    const action = 'kafka-cluster:AlterTopicDynamicConfiguration';
    const denied = await principal('no-alter-topic-config', allExcept(action));
    const admin = await connectedAdmin(denied.client);
    expect(await errorTypeOf(admin.alterConfigs(retention(topic)))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(denied.refused()).toEqual([action]);

    const allowed = await connectedAdmin((await principal('alter-topic-config', ADMIN_POLICY)).client);
    await allowed.alterConfigs(retention(topic));
    const { resources } = await allowed.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
      includeSynonyms: false,
    });
    expect(resources[0]?.configEntries[0]?.configValue).toBe('3600000');
  });
});

describe('transactions', () => {
  async function transactionalProducer(client: Kafka): Promise<Producer> {
    const producer = client.producer({
      transactionalId: `authz-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: 1, initialRetryTime: 50 },
    });
    disconnecting.push(producer);
    await producer.connect();
    return producer;
  }

  /** A transaction that writes to `topic` and commits the offset 1 of `topic` for `groupId`. */
  async function transactWithOffsets(client: Kafka, topic: string, groupId: string): Promise<void> {
    const producer = await transactionalProducer(client);
    const transaction = await producer.transaction();
    try {
      await transaction.send({ topic, messages: [{ key: 'k', value: 'v' }] });
      await transaction.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
  }

  it('commits writes and group offsets with AlterTransactionalId, WriteData, AlterGroup and ReadData', async () => {
    const topic = await freshTopic();
    const groupId = `authz-group-${randomUUID()}`;
    const allowed = await principal('transactional', ADMIN_POLICY);
    await transactWithOffsets(allowed.client, topic, groupId);
    const admin = await connectedAdmin(adminClient);
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '1' })]);
    expect(allowed.refused()).toEqual([]);
  });

  it('AddPartitionsToTxn needs WriteData on the topic: TOPIC_AUTHORIZATION_FAILED without it', async () => {
    const topic = await freshTopic();
    const denied = await principal('no-write-in-transaction', allExcept('kafka-cluster:WriteData'));
    const producer = await transactionalProducer(denied.client);
    const transaction = await producer.transaction();
    expect(await errorTypeOf(transaction.send({ topic, messages: [{ value: 'v' }] }))).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
    expect(denied.refused()).toContain('kafka-cluster:WriteData');
  });

  it('AddOffsetsToTxn needs AlterGroup on the group: GROUP_AUTHORIZATION_FAILED without it', async () => {
    const topic = await freshTopic();
    const groupId = `authz-group-${randomUUID()}`;
    const group = resourceArn(kafka.iam.cluster, 'group', groupId);
    const denied = await principal('no-alter-group', allExcept('kafka-cluster:AlterGroup', group));
    expect(await errorTypeOf(transactWithOffsets(denied.client, topic, groupId))).toBe(
      'GROUP_AUTHORIZATION_FAILED',
    );
    expect(denied.refused()).toEqual(['kafka-cluster:AlterGroup']);
  });

  it('TxnOffsetCommit needs ReadData on the topic: TOPIC_AUTHORIZATION_FAILED without it', async () => {
    const topic = await freshTopic();
    const groupId = `authz-group-${randomUUID()}`;
    const denied = await principal('no-read-in-transaction', allExcept('kafka-cluster:ReadData'));
    expect(await errorTypeOf(transactWithOffsets(denied.client, topic, groupId))).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
    expect(denied.refused()).toEqual(['kafka-cluster:ReadData']);
    const admin = await connectedAdmin(adminClient);
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '-1' })]);
  });
});
