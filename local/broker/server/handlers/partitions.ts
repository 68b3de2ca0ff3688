/**
 * CreatePartitions with Kafka's validation (ReplicationControlManager.createPartitions): a topic named
 * twice is INVALID_REQUEST, an unknown one UNKNOWN_TOPIC_OR_PARTITION, and a count that is not growth
 * INVALID_PARTITIONS. Replica assignments name where new partitions go; on one broker there is
 * nowhere else, so they are accepted and ignored. validate_only answers without growing the topic.
 */
import type {
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  CreatePartitionsResult,
  CreatePartitionsTopic,
} from '../../protocol/apis/create-partitions';
import { ErrorCode } from '../../protocol/error-codes';
import { partitionGrowthProblem } from '../../storage/topic-rules';
import type { BrokerContext } from '../context';
import { namedTwice } from './topics';

function result(name: string, errorCode: number, errorMessage: string | null = null): CreatePartitionsResult {
  return { name, errorCode, errorMessage };
}

function grow(
  topic: CreatePartitionsTopic,
  validateOnly: boolean,
  broker: BrokerContext,
): CreatePartitionsResult {
  const description = broker.storage.describeTopic(topic.name);
  if (!description) {
    return result(topic.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${topic.name}' does not exist.`);
  }
  const problem = partitionGrowthProblem(topic.name, description.partitions, topic.count);
  if (problem) return result(topic.name, ErrorCode.INVALID_PARTITIONS, problem);
  if (validateOnly) return result(topic.name, ErrorCode.NONE);
  const errorCode = broker.storage.createPartitions(topic.name, topic.count);
  if (errorCode === ErrorCode.NONE) {
    broker.logger.info('partitions created', {
      topic: topic.name,
      from: description.partitions,
      to: topic.count,
    });
  }
  return result(topic.name, errorCode);
}

export function handleCreatePartitions(
  request: CreatePartitionsRequest,
  broker: BrokerContext,
): CreatePartitionsResponse {
  const repeated = namedTwice(request.topics);
  return {
    results: request.topics.map((topic) =>
      repeated.has(topic.name)
        ? result(topic.name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.')
        : grow(topic, request.validateOnly, broker),
    ),
  };
}
