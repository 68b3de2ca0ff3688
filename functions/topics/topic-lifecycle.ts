import { isKafkaTopicName } from '../shared/topic-name';
import { TopicChangeError, TopicPropertiesError } from './errors';

/** A topic as the stack declares it (the custom resource's properties). */
export interface TopicSpec {
  readonly clusterArn: string;
  readonly topic: string;
  readonly partitions: number;
  /**
   * 1 to 32. Never -1 ("the broker default"): kafkajs sends CreateTopics v0-v3, where -1 is not defined (it came
   * with v4, KIP-464); MSK Serverless is always three-way, so the stack sends 3.
   */
  readonly replicationFactor: number;
}

/** The Kafka operations the lifecycle needs; one implementation talks to a real cluster with kafkajs. */
export interface TopicAdmin {
  /** Partition count of the topic, or undefined when the topic does not exist. */
  partitionCount(topic: string): Promise<number | undefined>;
  createTopic(topic: string, partitions: number, replicationFactor: number): Promise<void>;
  /** Grows the topic to `totalPartitions` (Kafka CreatePartitions takes the new total, not an increment). */
  addPartitions(topic: string, totalPartitions: number): Promise<void>;
  deleteTopic(topic: string): Promise<void>;
}

/** The part of a CloudFormation custom resource request (as the CDK provider framework passes it) used here. */
export interface TopicResourceRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
}

export interface TopicResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly TopicName: string; readonly Partitions: number };
}

/** Above this, one topic is rarely what anyone meant (MSK's per-broker partition quotas are in the thousands). */
export const MAX_TOPIC_PARTITIONS = 1000;

/** CloudFormation passes every property as a string; numbers are parsed and checked here. */
export function parseTopicSpec(properties: Readonly<Record<string, unknown>>): TopicSpec {
  const clusterArn = properties.ClusterArn;
  if (typeof clusterArn !== 'string' || !clusterArn.includes(':cluster/')) {
    throw new TopicPropertiesError(
      'ClusterArn',
      `must be an MSK cluster ARN, got ${JSON.stringify(clusterArn)}`,
    );
  }
  const topic = properties.TopicName;
  if (typeof topic !== 'string' || !isKafkaTopicName(topic)) {
    throw new TopicPropertiesError(
      'TopicName',
      `must be a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -), got ${JSON.stringify(topic)}`,
    );
  }
  const partitions = integerProperty(properties, 'Partitions', 1, MAX_TOPIC_PARTITIONS);
  const replicationFactor = integerProperty(properties, 'ReplicationFactor', 1, 32);
  return { clusterArn, topic, partitions, replicationFactor };
}

/** One id per topic and cluster: a new cluster or a new name makes CloudFormation replace the resource. */
export function physicalResourceId(spec: TopicSpec): string {
  return `${spec.clusterArn}/${spec.topic}`;
}

/**
 * Applies a custom resource request to the cluster the function is connected to (`connectedClusterArn`).
 * Create adopts a topic that already exists (a retried Create), Update only ever adds partitions, and Delete
 * removes only the topic this resource created.
 */
export async function applyTopicRequest(
  admin: TopicAdmin,
  request: TopicResourceRequest,
  connectedClusterArn: string,
): Promise<TopicResourceResponse> {
  const spec = parseTopicSpec(request.ResourceProperties);
  const id = physicalResourceId(spec);

  if (request.RequestType === 'Delete') {
    // A Delete that does not carry this resource's id follows a Create that never succeeded; a Delete for
    // another cluster follows a cluster replacement, whose topics leave with the old cluster.
    if (request.PhysicalResourceId === id && spec.clusterArn === connectedClusterArn) {
      if ((await admin.partitionCount(spec.topic)) !== undefined) await admin.deleteTopic(spec.topic);
    }
    return response(id, spec);
  }

  if (spec.clusterArn !== connectedClusterArn) {
    throw new TopicPropertiesError(
      'ClusterArn',
      `"${spec.clusterArn}" is not the cluster this function reaches ("${connectedClusterArn}")`,
    );
  }
  const current = await admin.partitionCount(spec.topic);
  if (current === undefined) {
    await admin.createTopic(spec.topic, spec.partitions, spec.replicationFactor);
  } else if (current < spec.partitions) {
    await admin.addPartitions(spec.topic, spec.partitions);
  } else if (current > spec.partitions) {
    // Kafka has no way to remove partitions: records would lose their partition and keys their ordering.
    throw new TopicChangeError(
      `topic "${spec.topic}" has ${current} partitions and Kafka cannot reduce them to ${spec.partitions}; ` +
        'keep the partition count or create a new topic',
    );
  }
  return response(id, spec);
}

function response(id: string, spec: TopicSpec): TopicResourceResponse {
  return { PhysicalResourceId: id, Data: { TopicName: spec.topic, Partitions: spec.partitions } };
}

function integerProperty(
  properties: Readonly<Record<string, unknown>>,
  name: string,
  min: number,
  max: number,
): number {
  const raw = properties[name];
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TopicPropertiesError(
      name,
      `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}
