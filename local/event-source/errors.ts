/** Errors of the local event-source emulator. Each has a stable `code`. */

/** A setting of the event source mapping is out of the range AWS accepts. */
export class EventSourceConfigError extends Error {
  readonly code = 'EVENT_SOURCE_CONFIG_INVALID';
  constructor(setting: string, expected: string, received: unknown) {
    super(`${setting} must be ${expected}, got ${JSON.stringify(received)}`);
    this.name = 'EventSourceConfigError';
  }
}
