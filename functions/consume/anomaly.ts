/**
 * Why a record was dead-lettered; the value of the `x-dlq-reason` header and of the metric dimension.
 * REJECTED: the ledger refused to store the record permanently (DynamoDB ValidationException), so it can
 * never be applied; it is dead-lettered rather than retried forever.
 */
export const ANOMALY_REASONS = [
  'MALFORMED',
  'INVALID',
  'DUPLICATE',
  'OUT_OF_ORDER',
  'GAP',
  'REJECTED',
] as const;

export type AnomalyReason = (typeof ANOMALY_REASONS)[number];

export interface Anomaly {
  readonly reason: AnomalyReason;
  /** A sentence a person can act on: what was seen, what was expected, what happened to the record. */
  readonly detail: string;
}

/**
 * Bytes of an anomaly detail and of every dead-letter header. A record's own content (an unknown field name,
 * a header) can be megabytes; copied whole into the ledger item and the letter it would break DynamoDB's
 * 400 KB item limit and the broker's message.max.bytes, so it is clipped where everyone can see it.
 */
export const MAX_DETAIL_BYTES = 1024;

/** The anomaly with its detail clipped to MAX_DETAIL_BYTES. */
export function anomaly(reason: AnomalyReason, detail: string): Anomaly {
  return { reason, detail: clipText(detail, MAX_DETAIL_BYTES) };
}

/** UTF-8 text of at most `maxBytes`, ending with a visible note of how long it was when it had to be cut. */
export function clipText(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  return clipBytes(Buffer.from(text), maxBytes).toString('utf8');
}

/** The first bytes of `value` plus "… [clipped: N bytes]", `maxBytes` in all. */
export function clipBytes(value: Buffer, maxBytes: number): Buffer {
  if (value.length <= maxBytes) return value;
  const note = Buffer.from(`… [clipped: ${value.length} bytes]`);
  let keep = Math.max(0, maxBytes - note.length);
  // Do not cut a UTF-8 character in half: back up over continuation bytes (10xxxxxx).
  while (keep > 0 && ((value[keep] ?? 0) & 0xc0) === 0x80) keep -= 1;
  return Buffer.concat([value.subarray(0, keep), note]);
}
