import { describe, expect, it } from 'vitest';
import { decodeKafkaEvent } from '../../../functions/consume/kafka-event';
import { readRecord } from '../../../functions/consume/record-reading';
import { type Verdict, verifyPartition } from '../../../functions/consume/verification';
import type { PartitionSnapshot } from '../../../functions/ledger/ledger';
import { mskEvent, mskRecord, sampleRecord } from './support';

/**
 * Records at or below the partition's progress that the ledger holds nothing for: the event source mapping
 * skipped them and delivers them late. They are handled now, without moving their session or reporting a
 * gap (later records already did both); records the ledger holds are redeliveries.
 */
const ref = { topic: 'payments', partition: 0 };
const S = 'session-a';
const LATE = '(delivered after later offsets of the partition were handled)';

function verify(records: Parameters<typeof mskEvent>[0], known: PartitionSnapshot): Verdict[] {
  const [partition] = decodeKafkaEvent(mskEvent(records));
  if (!partition) throw new Error('no partition');
  return verifyPartition(ref, partition.records.map(readRecord), known);
}

/** Progress at offset 20 and sequence 20 of session-a; the ledger holds items for offsets 10 and 11 only. */
const known: PartitionSnapshot = {
  lastOffset: 20,
  lastSequences: new Map([[S, 20]]),
  applied: new Map([['e-applied', { ...ref, offset: 3 }]]),
  handled: new Set([10, 11]),
};

describe('verifyPartition: records delivered late', () => {
  it('skips a late record the ledger holds as a redelivery', () => {
    const verdicts = verify([sampleRecord({ eventId: 'e-10', session: S, sequence: 10, offset: 10 })], known);
    expect(verdicts.map((verdict) => verdict.kind)).toEqual(['redelivered']);
  });

  it('applies a late event the ledger holds nothing for, without moving its session or reporting a gap', () => {
    const verdicts = verify([sampleRecord({ eventId: 'e-12', session: S, sequence: 5, offset: 12 })], known);
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({
      kind: 'applied',
      eventId: 'e-12',
      advance: undefined,
      gap: undefined,
    });
    expect(verdicts[0]?.kind === 'applied' && verdicts[0].origin).toEqual({
      producerSession: S,
      partitionSequence: 5,
    });
  });

  it('dead-letters a late copy of an applied event as DUPLICATE, saying it came late', () => {
    const [verdict] = verify(
      [sampleRecord({ eventId: 'e-applied', session: S, sequence: 13, offset: 13 })],
      known,
    );
    expect(verdict?.kind === 'dead-lettered' && verdict.anomaly.reason).toBe('DUPLICATE');
    expect(verdict?.kind === 'dead-lettered' && verdict.anomaly.detail).toBe(
      `payments-0@13 ${LATE}: event e-applied was already applied at payments-0@3; this copy was not applied (a client or producer retry published it again).`,
    );
    expect(verdict).toMatchObject({ advance: undefined, gap: undefined });
  });

  it('dead-letters a late undecodable record, saying it came late', () => {
    const [verdict] = verify(
      [
        mskRecord({
          offset: 14,
          value: '{nope',
          headers: { 'producer-session': S, 'partition-sequence': '30' },
        }),
      ],
      known,
    );
    expect(verdict?.kind === 'dead-lettered' && verdict.anomaly.reason).toBe('MALFORMED');
    expect(verdict?.kind === 'dead-lettered' && verdict.anomaly.detail).toContain(`payments-0@14 ${LATE}: `);
    expect(verdict).toMatchObject({ advance: undefined, gap: undefined });
  });

  it('handles a late record and the records after the progress in one batch', () => {
    const verdicts = verify(
      [
        sampleRecord({ eventId: 'e-15', session: S, sequence: 15, offset: 15 }),
        sampleRecord({ eventId: 'e-21', session: S, sequence: 21, offset: 21 }),
        sampleRecord({ eventId: 'e-22', session: S, sequence: 23, offset: 22 }),
      ],
      known,
    );
    expect(verdicts.map((verdict) => verdict.kind)).toEqual(['applied', 'applied', 'applied']);
    expect(
      verdicts.map((verdict) =>
        verdict.kind === 'redelivered' ? undefined : verdict.advance?.partitionSequence,
      ),
    ).toEqual([undefined, 21, 23]);
    expect(verdicts[2]?.kind === 'applied' && verdicts[2].gap?.detail).toContain(
      'payments-0@22: sequence 22 is missing from producer session session-a on payments-0 before this record',
    );
  });

  it('names the offset of the first copy when an event repeats within one batch', () => {
    const verdicts = verify(
      [
        sampleRecord({ eventId: 'e-30', session: S, sequence: 21, offset: 30 }),
        sampleRecord({ eventId: 'e-30', session: S, sequence: 22, offset: 31 }),
      ],
      known,
    );
    expect(verdicts[1]?.kind === 'dead-lettered' && verdicts[1].anomaly.detail).toContain(
      'event e-30 was already applied at payments-0@30;',
    );
  });
});
