import { topicNameProblem } from '../../../functions/shared/topic-name';
import { topicConfigsProblem } from './topic-configs';
import { StorageError, type StorageErrorCode } from './types';

/**
 * A one-broker development cluster has no use for more; without a bound, one CreateTopics request asking
 * for two billion partitions would exhaust the broker's memory.
 */
export const MAX_PARTITIONS_PER_TOPIC = 10_000;

function isPartitionCount(partitions: number): boolean {
  return Number.isInteger(partitions) && partitions >= 1 && partitions <= MAX_PARTITIONS_PER_TOPIC;
}

/** The error code CreateTopics answers for a new topic's name, partition count and configs (0 when valid). */
export function validateNewTopic(
  name: string,
  partitions: number,
  configs: Readonly<Record<string, string>>,
): StorageErrorCode {
  if (topicNameProblem(name) !== undefined) return StorageError.INVALID_TOPIC_EXCEPTION;
  if (!isPartitionCount(partitions)) return StorageError.INVALID_PARTITIONS;
  if (topicConfigsProblem(configs) !== undefined) return StorageError.INVALID_CONFIG;
  return StorageError.NONE;
}

/**
 * Why a topic with `current` partitions cannot grow to `requested` (Kafka's CreatePartitions: only
 * growth), or undefined. Kafka answers INVALID_PARTITIONS with these messages.
 */
export function partitionGrowthProblem(
  topic: string,
  current: number,
  requested: number,
): string | undefined {
  if (requested === current) return `Topic already has ${current} partition(s).`;
  if (requested < current) {
    return `The topic ${topic} currently has ${current} partition(s); ${requested} would not be an increase.`;
  }
  if (!isPartitionCount(requested)) {
    return `Number of partitions must be at most ${MAX_PARTITIONS_PER_TOPIC} on this broker, got ${requested}.`;
  }
  return undefined;
}
