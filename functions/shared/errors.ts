/** Errors shared by every function. Each has a stable `code` callers and logs can branch on. */

/** A setting is missing or malformed: start-up stops with a message naming the setting. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

/**
 * Publishing failed and the producer session was discarded. Unless `sent` is false, whether the records
 * reached the broker is unknown, so the caller must retry with the same event ids (the consumer catches
 * any duplicate).
 */
export class PublishError extends Error {
  readonly code = 'PUBLISH_FAILED';
  readonly retriable = true;
  /** False when nothing was handed to Kafka (the session was already retired or could not look up the topic). */
  readonly sent: boolean;
  constructor(message: string, options?: { cause?: unknown; sent?: boolean }) {
    super(message, options);
    this.name = 'PublishError';
    this.sent = options?.sent ?? true;
  }
}

/**
 * The topic does not exist on the cluster. Topics are provisioned, never auto-created (MSK does not
 * auto-create them), so this is a deployment fault: retrying does not help and the session stays usable.
 */
export class TopicNotFoundError extends Error {
  readonly code = 'TOPIC_NOT_FOUND';
  readonly retriable = false;
  constructor(
    readonly topic: string,
    options?: { cause?: unknown },
  ) {
    super(`topic "${topic}" does not exist on the cluster; create it before publishing`, options);
    this.name = 'TopicNotFoundError';
  }
}
