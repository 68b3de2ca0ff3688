/**
 * CreateTopics and DeleteTopics, with Kafka's validation errors (kafka.server.ZkAdminManager /
 * ControllerApis): bad names, partition counts and replication factors, duplicates, existing topics.
 */

import { topicNameProblem } from '../../../../functions/shared/topic-name';
import type {
  CreatableTopic,
  CreateTopicsRequest,
  CreateTopicsResponse,
} from '../../protocol/apis/create-topics';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/apis/delete-topics';
import { ErrorCode } from '../../protocol/error-codes';
import { topicConfigsProblem } from '../../storage/topic-configs';
import { MAX_PARTITIONS_PER_TOPIC } from '../../storage/topic-rules';
import type { BrokerContext } from '../context';

/** Kafka's INVALID_REPLICA_ASSIGNMENT. */
const INVALID_REPLICA_ASSIGNMENT = 39;

interface Verdict {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly partitions: number;
  readonly configs: Record<string, string>;
}

function reject(errorCode: number, errorMessage: string): Verdict {
  return { errorCode, errorMessage, partitions: 0, configs: {} };
}

function validate(topic: CreatableTopic, broker: BrokerContext): Verdict {
  const nameProblem = topicNameProblem(topic.name);
  if (nameProblem) return reject(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
  if (broker.storage.describeTopic(topic.name)) {
    return reject(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
  }
  let partitions = topic.numPartitions;
  if (topic.assignments.length > 0) {
    if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
      return reject(
        ErrorCode.INVALID_REQUEST,
        'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
      );
    }
    const indexes = topic.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
    if (indexes.some((index, i) => index !== i)) {
      return reject(
        INVALID_REPLICA_ASSIGNMENT,
        `partitions must be numbered 0 to n-1, got ${indexes.join(', ')}`,
      );
    }
    const foreign = topic.assignments.flatMap((a) => a.brokerIds).find((id) => id !== broker.config.nodeId);
    if (foreign !== undefined || topic.assignments.some((a) => a.brokerIds.length !== 1)) {
      return reject(
        INVALID_REPLICA_ASSIGNMENT,
        `every partition must be assigned to broker ${broker.config.nodeId} alone (a one-broker cluster)`,
      );
    }
    partitions = topic.assignments.length;
  } else {
    if (partitions === -1) partitions = broker.config.defaultPartitions;
    if (partitions < 1) {
      return reject(
        ErrorCode.INVALID_PARTITIONS,
        `Number of partitions must be larger than 0, got ${topic.numPartitions}.`,
      );
    }
    if (partitions > MAX_PARTITIONS_PER_TOPIC) {
      return reject(
        ErrorCode.INVALID_PARTITIONS,
        `Number of partitions must be at most ${MAX_PARTITIONS_PER_TOPIC} on this broker, got ${topic.numPartitions}.`,
      );
    }
    if (topic.replicationFactor === 0 || topic.replicationFactor < -1) {
      return reject(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Replication factor must be larger than 0, got ${topic.replicationFactor}.`,
      );
    }
    if (topic.replicationFactor > 1) {
      return reject(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Replication factor: ${topic.replicationFactor} larger than available brokers: 1.`,
      );
    }
  }
  const configs: Record<string, string> = {};
  for (const config of topic.configs) if (config.value !== null) configs[config.name] = config.value;
  const configProblem = topicConfigsProblem(configs);
  if (configProblem) return reject(ErrorCode.INVALID_CONFIG, configProblem);
  return { errorCode: ErrorCode.NONE, errorMessage: null, partitions, configs };
}

/** The names a request lists more than once: Kafka refuses each of those entries with INVALID_REQUEST. */
export function namedTwice(items: readonly { readonly name: string }[]): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const { name } of items) (seen.has(name) ? repeated : seen).add(name);
  return repeated;
}

export function handleCreateTopics(
  request: CreateTopicsRequest,
  broker: BrokerContext,
): CreateTopicsResponse {
  const repeated = namedTwice(request.topics);
  return {
    topics: request.topics.map((topic) => {
      if (repeated.has(topic.name)) {
        return {
          name: topic.name,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Create topics request contains multiple entries for topic ${topic.name}.`,
        };
      }
      const verdict = validate(topic, broker);
      if (verdict.errorCode !== 0 || request.validateOnly) {
        return { name: topic.name, errorCode: verdict.errorCode, errorMessage: verdict.errorMessage };
      }
      const errorCode = broker.storage.createTopic(topic.name, verdict.partitions, verdict.configs);
      if (errorCode === 0)
        broker.logger.info('topic created', { topic: topic.name, partitions: verdict.partitions });
      return { name: topic.name, errorCode, errorMessage: null };
    }),
  };
}

export function handleDeleteTopics(
  request: DeleteTopicsRequest,
  broker: BrokerContext,
): DeleteTopicsResponse {
  return {
    responses: request.topicNames.map((name) => {
      const errorCode = broker.storage.deleteTopic(name);
      if (errorCode === 0) broker.logger.info('topic deleted', { topic: name });
      return { name, errorCode };
    }),
  };
}
