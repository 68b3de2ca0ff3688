import { type PartitionRef, partitionName } from '../ledger/keys';
import type { AppliedLocation, Origin, PartitionSnapshot } from '../ledger/ledger';
import { type Anomaly, anomaly } from './anomaly';
import type { ReadRecord } from './record-reading';

/**
 * The per-partition exactly-once check: pure, no I/O. Given what the ledger knows (last processed offset,
 * last sequence per producer session, where event ids were applied, which offsets at or below the progress
 * it holds items for) it classifies each record in offset order:
 *
 * 1. offset at or below the last processed one, and the ledger holds an item for it → redelivered (the event
 *    source mapping retries batches); an offset at or below the progress that the ledger holds nothing for
 *    was skipped (the mapping gave up on it and moved on) and is handled now, late, by rules 2, 3 and 6;
 * 2. not decodable / not an event of the definition → MALFORMED / INVALID;
 * 3. event id applied before at another offset → DUPLICATE;
 * 4. sequence at or below the last one of its producer session on this partition → OUT_OF_ORDER;
 * 5. otherwise → applied.
 * Besides, a sequence beyond last + 1 is a GAP anomaly of its own naming the missing range, whatever the
 * record's own verdict (rules 2, 3 or 5).
 *
 * A producer session numbers its records 0, 1, 2, … per partition (record-headers.ts), so a session first
 * seen at sequence n > 0 is missing 0 … n-1. A record whose headers carry a well-formed session and sequence
 * moves that session forward whatever else is wrong with it (it did take that sequence), except when its
 * sequence is not ahead (OUT_OF_ORDER or a late MALFORMED/INVALID record), which never moves it back.
 */

export type Verdict =
  | { readonly kind: 'redelivered'; readonly record: ReadRecord }
  | {
      readonly kind: 'applied';
      readonly record: ReadRecord;
      readonly eventId: string;
      readonly event: object;
      readonly origin: Origin;
      /** The missing range before this record, if any (its own anomaly). */
      readonly gap: Anomaly | undefined;
      /** The session sequence this record moves forward; none for a late record. */
      readonly advance: Origin | undefined;
    }
  | {
      readonly kind: 'dead-lettered';
      readonly record: ReadRecord;
      readonly anomaly: Anomaly;
      readonly gap: Anomaly | undefined;
      /** The session sequence this record moves forward, if any. */
      readonly advance: Origin | undefined;
    };

export function verifyPartition(
  ref: PartitionRef,
  records: readonly ReadRecord[],
  known: PartitionSnapshot,
): Verdict[] {
  const name = partitionName(ref);
  const progress = known.lastOffset ?? -1;
  // Only what this batch changes is copied; the snapshot stays untouched.
  const sequences = new Map<string, number>();
  const appliedHere = new Map<string, number>();
  const lastSequenceOf = (session: string): number =>
    sequences.get(session) ?? known.lastSequences.get(session) ?? -1;

  const verdicts: Verdict[] = [];
  for (const record of records) {
    const offset = record.source.offset;
    const at = `${name}@${offset}`;
    const late = offset <= progress;
    if (
      (late && (known.handled === undefined || known.handled.has(offset))) ||
      isSameRecord(known.applied.get(record.eventId ?? ''), ref, offset)
    ) {
      verdicts.push({ kind: 'redelivered', record });
      continue;
    }
    const lateNote = late ? ' (delivered after later offsets of the partition were handled)' : '';

    // A late record neither moves its session nor reports a gap: later records already did both.
    const origin = record.origin;
    const last = origin && !late ? lastSequenceOf(origin.producerSession) : -1;
    const ahead = origin !== undefined && !late && origin.partitionSequence > last;
    const advance = ahead ? origin : undefined;
    if (advance) sequences.set(advance.producerSession, advance.partitionSequence);
    const gap =
      origin && ahead && origin.partitionSequence > last + 1 ? missing(origin, last, name, at) : undefined;

    if (!record.content.ok) {
      verdicts.push({
        kind: 'dead-lettered',
        record,
        anomaly: anomaly(record.content.reason, `${at}${lateNote}: ${record.content.detail}; not applied.`),
        gap,
        advance,
      });
      continue;
    }
    // A valid record's id is its event's (record-reading.ts checks the header against it).
    const eventId = record.eventId;
    if (eventId === undefined) throw new Error(`unreachable: a valid record without an event id at ${at}`);
    const earlier = known.applied.get(eventId);
    const earlierHere = appliedHere.get(eventId);
    if (earlier !== undefined || earlierHere !== undefined) {
      const where = earlier ? `${partitionName(earlier)}@${earlier.offset}` : `${name}@${earlierHere}`;
      verdicts.push({
        kind: 'dead-lettered',
        record,
        anomaly: anomaly(
          'DUPLICATE',
          `${at}${lateNote}: event ${eventId} was already applied at ${where}; this copy was not applied (a client or producer retry published it again).`,
        ),
        gap,
        advance,
      });
      continue;
    }
    if (origin === undefined) throw new Error(`unreachable: a valid record without an origin at ${at}`);
    if (!advance && !late) {
      verdicts.push({
        kind: 'dead-lettered',
        record,
        anomaly: anomaly(
          'OUT_OF_ORDER',
          `${at}: event ${eventId} has sequence ${origin.partitionSequence} of producer session ${origin.producerSession}, which already reached ${last} on ${name}; not applied, check the producer and replay it if it is genuine.`,
        ),
        gap: undefined,
        advance: undefined,
      });
      continue;
    }
    appliedHere.set(eventId, offset);
    verdicts.push({
      kind: 'applied',
      record,
      eventId,
      event: record.content.event,
      origin,
      advance,
      gap,
    });
  }
  return verdicts;
}

/** The ledger already holds this very record (same partition and offset): it is a redelivery. */
function isSameRecord(applied: AppliedLocation | undefined, ref: PartitionRef, offset: number): boolean {
  return (
    applied !== undefined &&
    applied.topic === ref.topic &&
    applied.partition === ref.partition &&
    applied.offset === offset
  );
}

function missing(origin: Origin, last: number, name: string, at: string): Anomaly {
  const from = last + 1;
  const to = origin.partitionSequence - 1;
  const range =
    from === to ? `sequence ${from} is` : `sequences ${from} to ${to} (${to - from + 1} records) are`;
  return anomaly(
    'GAP',
    `${at}: ${range} missing from producer session ${origin.producerSession} on ${name} before this record: records were lost or published elsewhere between the producer and this partition. The record itself is handled on its own (its own dead letter, if any, says how).`,
  );
}
