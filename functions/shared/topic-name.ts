/** Kafka's topic-name rule (org.apache.kafka.common.internals.Topic.validate), shared by every layer. */
export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/** Why a topic name is illegal, or undefined when Kafka would accept it. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `topic name is ${name.length} characters long, the maximum is ${MAX_TOPIC_NAME_LENGTH}`;
  }
  if (!LEGAL_TOPIC_NAME.test(name)) return `topic name "${name}" contains characters outside [a-zA-Z0-9._-]`;
  return undefined;
}

export function isKafkaTopicName(name: string): boolean {
  return topicNameProblem(name) === undefined;
}
