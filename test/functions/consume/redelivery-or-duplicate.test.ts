import { describe, expect, it } from 'vitest';
import { decodeKafkaEvent } from '../../../functions/consume/kafka-event';
import { readRecord } from '../../../functions/consume/record-reading';
import { type Verdict, verifyPartition } from '../../../functions/consume/verification';
import type { AppliedLocation, PartitionSnapshot } from '../../../functions/ledger/ledger';
import { mskEvent, sampleRecord } from './support';

/**
 * A record is a redelivery only when the ledger applied its event at this very topic, partition and offset.
 * The same offset on another topic or partition is another record: a copy of the event (DUPLICATE).
 */
const ref = { topic: 'payments', partition: 0 };
const S = 'session-a';

/** Verdicts on e1 (sequence 0 at offset 7) and e2 (sequence 1 at offset 8) when e1 was applied at `appliedAt`. */
function verifyAfter(appliedAt: AppliedLocation, lastSequences = new Map<string, number>()): Verdict[] {
  const known: PartitionSnapshot = {
    lastOffset: undefined,
    lastSequences,
    applied: new Map([['e1', appliedAt]]),
  };
  const [partition] = decodeKafkaEvent(
    mskEvent([
      sampleRecord({ eventId: 'e1', session: S, sequence: 0, offset: 7 }),
      sampleRecord({ eventId: 'e2', session: S, sequence: 1, offset: 8 }),
    ]),
  );
  if (!partition) throw new Error('no partition');
  return verifyPartition(ref, partition.records.map(readRecord), known);
}

/** `kind`, then `:REASON` for the record's own anomaly and `+GAP` for a gap before it. */
const summary = (verdicts: Verdict[]) =>
  verdicts.map((v) => {
    if (v.kind === 'redelivered') return v.kind;
    return `${v.kind}${v.kind === 'dead-lettered' ? `:${v.anomaly.reason}` : ''}${v.gap ? '+GAP' : ''}`;
  });

describe('verifyPartition: redelivery or duplicate by exact coordinates', () => {
  it('dead-letters an event applied on another topic at the same partition and offset as DUPLICATE', () => {
    const verdicts = verifyAfter({ topic: 'payments-eu', partition: 0, offset: 7 });
    // The copy takes sequence 0 of its session, so the next record is no false GAP.
    expect(summary(verdicts)).toEqual(['dead-lettered:DUPLICATE', 'applied']);
    const [duplicate] = verdicts;
    expect(duplicate?.kind === 'dead-lettered' && duplicate.anomaly.detail).toContain(
      'already applied at payments-eu-0@7',
    );
  });

  it('dead-letters an event applied on another partition of the topic at the same offset as DUPLICATE', () => {
    const verdicts = verifyAfter({ topic: 'payments', partition: 1, offset: 7 });
    expect(summary(verdicts)).toEqual(['dead-lettered:DUPLICATE', 'applied']);
  });

  it('skips an event applied at this very topic, partition and offset as a redelivery', () => {
    // Applied here, the step also moved the session to sequence 0 on this partition.
    const verdicts = verifyAfter({ topic: 'payments', partition: 0, offset: 7 }, new Map([[S, 0]]));
    expect(summary(verdicts)).toEqual(['redelivered', 'applied']);
  });
});
