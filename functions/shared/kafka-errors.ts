/**
 * Reading kafkajs errors. kafkajs wraps the broker's error (a KafkaJSProtocolError with `type` and `code`)
 * in KafkaJSNonRetriableError or KafkaJSNumberOfRetriesExceeded, keeping it as `cause`.
 */

/**
 * Broker answers after which an idempotent producer cannot continue: its sequence numbers or its producer
 * id no longer match the broker's state (Apache Kafka Errors.java: 45, 46, 47, 59). kafkajs 2.2.4 marks
 * them non-retriable and does not re-initialise the producer id; the only recovery is a new producer.
 */
export const FATAL_IDEMPOTENCE_ERRORS: ReadonlyMap<number, string> = new Map([
  [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER'],
  [46, 'DUPLICATE_SEQUENCE_NUMBER'],
  [47, 'INVALID_PRODUCER_EPOCH'],
  [59, 'UNKNOWN_PRODUCER_ID'],
]);

const UNKNOWN_TOPIC_OR_PARTITION = 3;
const MAX_CAUSE_DEPTH = 8;

/** The Kafka error code carried anywhere in an error's cause chain, if any. */
export function kafkaErrorCode(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    current = current.cause;
  }
  return undefined;
}

/** True when the broker told the producer its idempotence state is broken (see FATAL_IDEMPOTENCE_ERRORS). */
export function isFatalForIdempotence(error: unknown): boolean {
  const code = kafkaErrorCode(error);
  return code !== undefined && FATAL_IDEMPOTENCE_ERRORS.has(code);
}

export function isUnknownTopic(error: unknown): boolean {
  return kafkaErrorCode(error) === UNKNOWN_TOPIC_OR_PARTITION;
}

/** A short reason for logs and metrics: the Kafka error type when there is one, else the error's name. */
export function failureReason(error: unknown): string {
  const code = kafkaErrorCode(error);
  if (code !== undefined) return FATAL_IDEMPOTENCE_ERRORS.get(code) ?? `KAFKA_ERROR_${code}`;
  return error instanceof Error ? error.name : 'UnknownError';
}
