/** What the ingest function answers a client that sent something it will not publish. */

/** One problem with a request: which field (a path such as `$.field` or `$[2].field`) and what is wrong. */
export interface FieldIssue {
  readonly field: string;
  readonly problem: string;
}

export type RejectionCode =
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_JSON'
  | 'MISSING_IDEMPOTENCY_KEY'
  | 'IDEMPOTENCY_KEY_MISMATCH'
  | 'IDEMPOTENCY_KEY_WITH_BATCH'
  | 'SCHEMA_VIOLATION';

const STATUS: Record<RejectionCode, number> = {
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  INVALID_JSON: 400,
  MISSING_IDEMPOTENCY_KEY: 400,
  IDEMPOTENCY_KEY_MISMATCH: 400,
  IDEMPOTENCY_KEY_WITH_BATCH: 400,
  SCHEMA_VIOLATION: 422,
};

/**
 * The request was rejected before anything was published. A batch is rejected whole: one bad event means
 * no event of it is published, so the client can fix and resend the batch without creating duplicates.
 */
export class RequestRejected extends Error {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    readonly code: RejectionCode,
    message: string,
    readonly issues: readonly FieldIssue[] = [],
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'RequestRejected';
    this.statusCode = STATUS[code];
    this.headers = headers;
  }
}
