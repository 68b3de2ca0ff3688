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
 * Publishing failed and the producer session was discarded. Whether the records reached the broker is
 * unknown, so the caller must retry with the same event ids (the consumer catches any duplicate).
 */
export class PublishError extends Error {
  readonly code = 'PUBLISH_FAILED';
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishError';
  }
}
