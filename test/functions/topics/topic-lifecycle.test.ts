import { describe, expect, it } from 'vitest';
import { TopicChangeError, TopicPropertiesError } from '../../../functions/topics/errors';
import {
  applyTopicRequest,
  parseTopicSpec,
  physicalResourceId,
  type TopicAdmin,
  type TopicResourceRequest,
} from '../../../functions/topics/topic-lifecycle';

const CLUSTER = 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/uuid-1';
const OTHER_CLUSTER = 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/uuid-2';

/**
 * A cluster's topic table with Kafka's rules for these operations: creating an existing topic fails, partitions
 * only grow, deleting a missing topic fails. It stands in for MSK, which cannot run here.
 */
class TopicTable implements TopicAdmin {
  readonly topics = new Map<string, { partitions: number; replicationFactor: number }>();
  readonly calls: string[] = [];

  async partitionCount(topic: string): Promise<number | undefined> {
    return this.topics.get(topic)?.partitions;
  }
  async createTopic(topic: string, partitions: number, replicationFactor: number): Promise<void> {
    this.calls.push(`create ${topic} ${partitions} x${replicationFactor}`);
    if (this.topics.has(topic)) throw new Error(`TOPIC_ALREADY_EXISTS ${topic}`);
    this.topics.set(topic, { partitions, replicationFactor });
  }
  async addPartitions(topic: string, totalPartitions: number): Promise<void> {
    this.calls.push(`grow ${topic} to ${totalPartitions}`);
    const current = this.topics.get(topic);
    if (!current || current.partitions >= totalPartitions) throw new Error(`INVALID_PARTITIONS ${topic}`);
    current.partitions = totalPartitions;
  }
  async deleteTopic(topic: string): Promise<void> {
    this.calls.push(`delete ${topic}`);
    if (!this.topics.delete(topic)) throw new Error(`UNKNOWN_TOPIC_OR_PARTITION ${topic}`);
  }
}

/** CloudFormation sends every property as a string. */
const properties = (topic: string, partitions: number, clusterArn = CLUSTER) => ({
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
  ClusterArn: clusterArn,
  TopicName: topic,
  Partitions: String(partitions),
  ReplicationFactor: '3',
});

const create = (topic: string, partitions: number): TopicResourceRequest => ({
  RequestType: 'Create',
  ResourceProperties: properties(topic, partitions),
});
const update = (topic: string, partitions: number, previous: TopicResourceRequest): TopicResourceRequest => ({
  RequestType: 'Update',
  PhysicalResourceId: physicalResourceId(parseTopicSpec(previous.ResourceProperties)),
  ResourceProperties: properties(topic, partitions),
  OldResourceProperties: previous.ResourceProperties,
});
const remove = (request: TopicResourceRequest, physicalId?: string): TopicResourceRequest => ({
  RequestType: 'Delete',
  PhysicalResourceId: physicalId ?? physicalResourceId(parseTopicSpec(request.ResourceProperties)),
  ResourceProperties: request.ResourceProperties,
});

describe('applyTopicRequest', () => {
  it('creates the topic with its partitions and replication, and names it by cluster and topic', async () => {
    // Prepare
    const cluster = new TopicTable();
    // Act
    const result = await applyTopicRequest(cluster, create('payments', 6), CLUSTER);
    // Assess
    expect(cluster.topics.get('payments')).toEqual({ partitions: 6, replicationFactor: 3 });
    expect(result).toEqual({
      PhysicalResourceId: `${CLUSTER}/payments`,
      Data: { TopicName: 'payments', Partitions: 6 },
    });
  });

  it('adopts a topic a retried Create finds already there, growing it if needed', async () => {
    const cluster = new TopicTable();
    cluster.topics.set('payments', { partitions: 3, replicationFactor: 3 });
    await applyTopicRequest(cluster, create('payments', 6), CLUSTER);
    expect(cluster.calls).toEqual(['grow payments to 6']);
    expect(cluster.topics.get('payments')?.partitions).toBe(6);
  });

  it('grows the partition count on Update with the new total', async () => {
    const cluster = new TopicTable();
    const created = create('payments', 6);
    await applyTopicRequest(cluster, created, CLUSTER);
    const result = await applyTopicRequest(cluster, update('payments', 12, created), CLUSTER);
    expect(cluster.topics.get('payments')?.partitions).toBe(12);
    expect(cluster.calls).toEqual(['create payments 6 x3', 'grow payments to 12']);
    expect(result.PhysicalResourceId).toBe(`${CLUSTER}/payments`);
  });

  it('does nothing on an Update that keeps the partition count', async () => {
    const cluster = new TopicTable();
    const created = create('payments', 6);
    await applyTopicRequest(cluster, created, CLUSTER);
    await applyTopicRequest(cluster, update('payments', 6, created), CLUSTER);
    expect(cluster.calls).toEqual(['create payments 6 x3']);
  });

  it('refuses to shrink a topic and leaves it as it was', async () => {
    const cluster = new TopicTable();
    const created = create('payments', 6);
    await applyTopicRequest(cluster, created, CLUSTER);
    const shrinking = applyTopicRequest(cluster, update('payments', 3, created), CLUSTER);
    await expect(shrinking).rejects.toBeInstanceOf(TopicChangeError);
    await expect(shrinking).rejects.toThrow(/has 6 partitions and Kafka cannot reduce them to 3/);
    expect(cluster.topics.get('payments')?.partitions).toBe(6);
  });

  it('creates a renamed topic under a new id, and CloudFormation then deletes the old one', async () => {
    const cluster = new TopicTable();
    const created = create('payments', 6);
    await applyTopicRequest(cluster, created, CLUSTER);
    const renamed = await applyTopicRequest(cluster, update('payments-v2', 6, created), CLUSTER);
    expect(renamed.PhysicalResourceId).toBe(`${CLUSTER}/payments-v2`);
    await applyTopicRequest(cluster, remove(created), CLUSTER);
    expect([...cluster.topics.keys()]).toEqual(['payments-v2']);
  });

  it('deletes the topic it created, and a second Delete finds nothing to do', async () => {
    const cluster = new TopicTable();
    const created = create('payments', 6);
    await applyTopicRequest(cluster, created, CLUSTER);
    await applyTopicRequest(cluster, remove(created), CLUSTER);
    await applyTopicRequest(cluster, remove(created), CLUSTER);
    expect(cluster.topics.size).toBe(0);
    expect(cluster.calls).toEqual(['create payments 6 x3', 'delete payments']);
  });

  it('keeps a topic whose Create never succeeded (the Delete carries another id)', async () => {
    const cluster = new TopicTable();
    cluster.topics.set('payments', { partitions: 6, replicationFactor: 3 });
    await applyTopicRequest(cluster, remove(create('payments', 6), 'provider-log-stream-id'), CLUSTER);
    expect(cluster.topics.has('payments')).toBe(true);
    expect(cluster.calls).toEqual([]);
  });

  it('leaves the topics of a replaced cluster alone on Delete, and refuses to create on another cluster', async () => {
    const cluster = new TopicTable();
    cluster.topics.set('payments', { partitions: 6, replicationFactor: 3 });
    const onOldCluster: TopicResourceRequest = {
      RequestType: 'Create',
      ResourceProperties: properties('payments', 6, OTHER_CLUSTER),
    };
    await applyTopicRequest(cluster, remove(onOldCluster), CLUSTER);
    expect(cluster.calls).toEqual([]);
    await expect(applyTopicRequest(cluster, onOldCluster, CLUSTER)).rejects.toThrow(
      /ClusterArn: ".*uuid-2" is not the cluster this function reaches/,
    );
  });
});

describe('parseTopicSpec', () => {
  it('reads the numbers CloudFormation sends as strings', () => {
    expect(parseTopicSpec(properties('payments', 6))).toEqual({
      clusterArn: CLUSTER,
      topic: 'payments',
      partitions: 6,
      replicationFactor: 3,
    });
  });

  it.each([
    [{ Partitions: 'six' }, 'Partitions: must be an integer from 1 to 1000, got "six"'],
    [{ Partitions: '0' }, 'Partitions: must be an integer from 1 to 1000, got "0"'],
    [{ ReplicationFactor: '0' }, 'ReplicationFactor: must be an integer from 1 to 32, got "0"'],
    // kafkajs sends CreateTopics v0-v3, where -1 ("the broker default") is not defined (it came with v4).
    [{ ReplicationFactor: '-1' }, 'ReplicationFactor: must be an integer from 1 to 32, got "-1"'],
    [
      { TopicName: 'pay ments' },
      'TopicName: must be a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -), got "pay ments"',
    ],
    [{ ClusterArn: 'payments' }, 'ClusterArn: must be an MSK cluster ARN, got "payments"'],
  ])('rejects %o', (override, message) => {
    const parse = () => parseTopicSpec({ ...properties('payments', 6), ...override });
    expect(parse).toThrow(TopicPropertiesError);
    expect(parse).toThrow(message);
  });
});
