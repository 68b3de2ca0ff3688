/**
 * Item keys of the ledger table (partition key `pk`, sort key `sk`, both strings). One module owns them so the
 * consume function that writes the ledger and the status function that reads it can never disagree.
 *
 * | item                 | pk                          | sk                                    |
 * |----------------------|-----------------------------|---------------------------------------|
 * | applied event        | `EVENT#<eventId>`           | `APPLIED`                             |
 * | dead letter (by id)  | `EVENT#<eventId>`           | `DEAD_LETTER#<topic>-<n>#<offset>`    |
 * | dead letter (no id)  | `PARTITION#<topic>-<n>`     | `DEAD_LETTER#<offset>`                |
 * | gap before a record  | as its dead letter          | its dead letter's sort key + `#GAP`   |
 * | partition progress   | `PARTITION#<topic>-<n>`     | `PROGRESS`                            |
 * | session progress     | `SESSION#<producerSession>` | `PARTITION#<topic>-<n>`               |
 *
 * Items an event's effect writes (functions/shared/event-definition.ts) have keys of their own choosing,
 * outside these prefixes.
 *
 * A record has at most one dead letter of its own (its verdict) and one GAP (the range missing before it),
 * so a record's items are found by its coordinates alone.
 *
 * Offsets in sort keys are zero-padded to 20 digits (the width of the largest Kafka offset, 2^63 - 1) so
 * that they sort in offset order.
 */

export interface LedgerKey {
  readonly pk: string;
  readonly sk: string;
}

/** A topic partition, named like the MSK event names it: `<topic>-<partition>`. */
export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export const APPLIED_SORT_KEY = 'APPLIED';
export const PROGRESS_SORT_KEY = 'PROGRESS';
export const DEAD_LETTER_PREFIX = 'DEAD_LETTER#';

const LEDGER_OWNED_PREFIXES = ['EVENT#', 'PARTITION#', 'SESSION#'] as const;

/** Whether a partition key is one of the ledger's own (effects keep clear of them). */
export function isLedgerOwnedKey(pk: string): boolean {
  return LEDGER_OWNED_PREFIXES.some((prefix) => pk.startsWith(prefix));
}

/**
 * Event ids that may key ledger items: the identifier rule of functions/shared/schema-fields.ts. An id read from a record that
 * failed validation can be anything (megabytes, any characters); DynamoDB rejects keys over 2048 bytes, which
 * would block the partition, so such records are keyed by their coordinates instead.
 */
const USABLE_EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function isUsableEventId(value: string | undefined): value is string {
  return value !== undefined && USABLE_EVENT_ID.test(value);
}

export function partitionName(ref: PartitionRef): string {
  return `${ref.topic}-${ref.partition}`;
}

export function paddedOffset(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function appliedEventKey(eventId: string): LedgerKey {
  return { pk: `EVENT#${eventId}`, sk: APPLIED_SORT_KEY };
}

export function eventPartitionKey(eventId: string): string {
  return `EVENT#${eventId}`;
}

/** The record's own dead letter, or with `gap` the GAP reported before it. */
export function deadLetterKey(
  eventId: string | undefined,
  ref: PartitionRef,
  offset: number,
  gap = false,
): LedgerKey {
  const suffix = gap ? '#GAP' : '';
  if (isUsableEventId(eventId)) {
    return {
      pk: eventPartitionKey(eventId),
      sk: `${DEAD_LETTER_PREFIX}${partitionName(ref)}#${paddedOffset(offset)}${suffix}`,
    };
  }
  return {
    pk: `PARTITION#${partitionName(ref)}`,
    sk: `${DEAD_LETTER_PREFIX}${paddedOffset(offset)}${suffix}`,
  };
}

export function partitionProgressKey(ref: PartitionRef): LedgerKey {
  return { pk: `PARTITION#${partitionName(ref)}`, sk: PROGRESS_SORT_KEY };
}

export function sessionProgressKey(producerSession: string, ref: PartitionRef): LedgerKey {
  return { pk: `SESSION#${producerSession}`, sk: `PARTITION#${partitionName(ref)}` };
}
