import { StorageError, type StorageErrorCode } from './types';

/** Kafka's topic name rules (org.apache.kafka.common.internals.Topic.validate). */
export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/** Why a topic name is illegal, or undefined when Kafka would accept it. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `topic name is ${name.length} characters long, the maximum is ${MAX_TOPIC_NAME_LENGTH}`;
  }
  if (!LEGAL_TOPIC_NAME.test(name)) {
    return `topic name "${name}" contains characters outside [a-zA-Z0-9._-]`;
  }
  return undefined;
}

/** The error code CreateTopics answers for a new topic's name and partition count (0 when valid). */
export function validateNewTopic(name: string, partitions: number): StorageErrorCode {
  if (topicNameProblem(name) !== undefined) return StorageError.INVALID_TOPIC_EXCEPTION;
  if (!Number.isInteger(partitions) || partitions < 1) return StorageError.INVALID_PARTITIONS;
  return StorageError.NONE;
}
