/** Errors of the ledger. Each has a stable `code` and says whether trying again can succeed. */

/**
 * A conditional write found the ledger in another state than the one the writer read: another invocation
 * applied an event or advanced the partition in between (or an earlier attempt of this very write succeeded
 * and its answer was lost). Nothing of the failed transaction was written; read the state again and redo.
 */
export class LedgerConflictError extends Error {
  readonly code = 'LEDGER_CONFLICT';
  readonly retriable = true;
  constructor(
    message: string,
    readonly conflicts: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LedgerConflictError';
  }
}

/**
 * The ledger could not be read or written for now (network, throttling, a transaction conflict, a missing
 * table). Nothing was written; trying again after a pause can succeed.
 */
export class LedgerUnavailableError extends Error {
  readonly code = 'LEDGER_UNAVAILABLE';
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerUnavailableError';
  }
}

/**
 * DynamoDB refused the write for good (ValidationException, or a ValidationError cancellation reason: an item
 * over 400 KB, a transaction over 4 MB, a malformed value). The same write fails every time, so it is never
 * retried as it is. `offsets` names the records whose items were refused, when DynamoDB said which.
 */
export class LedgerRejectedError extends Error {
  readonly code = 'LEDGER_REJECTED';
  readonly retriable = false;
  constructor(
    message: string,
    readonly offsets: readonly number[] | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LedgerRejectedError';
  }
}
