/** Errors of the consume function. Each has a stable `code`. */

/**
 * The invocation event is not a Kafka event-source batch as AWS documents it. Not retriable: the same event
 * would fail again, so the whole batch fails and the event source mapping's retry policy takes over.
 */
export class KafkaEventError extends Error {
  readonly code = 'KAFKA_EVENT_INVALID';
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaEventError';
  }
}
