import { topicNameProblem } from '../../../functions/shared/topic-name';
import { StorageError, type StorageErrorCode } from './types';

/**
 * A one-broker development cluster has no use for more; without a bound, one CreateTopics request asking
 * for two billion partitions would exhaust the broker's memory.
 */
export const MAX_PARTITIONS_PER_TOPIC = 10_000;

/** The error code CreateTopics answers for a new topic's name and partition count (0 when valid). */
export function validateNewTopic(name: string, partitions: number): StorageErrorCode {
  if (topicNameProblem(name) !== undefined) return StorageError.INVALID_TOPIC_EXCEPTION;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS_PER_TOPIC) {
    return StorageError.INVALID_PARTITIONS;
  }
  return StorageError.NONE;
}
