/** Errors of the ledger. Each has a stable `code`; both are retriable because the ledger state is unchanged. */

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

/** The ledger could not be read or written (network, throttling, missing table). Nothing was written. */
export class LedgerUnavailableError extends Error {
  readonly code = 'LEDGER_UNAVAILABLE';
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerUnavailableError';
  }
}
