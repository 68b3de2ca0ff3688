import { describe, expect, it } from 'vitest';
import { decodeKafkaEvent } from '../../../functions/consume/kafka-event';
import { readRecord } from '../../../functions/consume/record-reading';
import { type Verdict, verifyPartition } from '../../../functions/consume/verification';
import type { PartitionSnapshot } from '../../../functions/ledger/ledger';
import { invalidEvent, mskEvent, mskRecord, partitionName, sampleRecord, topic } from './support';

const ref = { topic: topic, partition: 0 };
const S = 'session-a';
const T = 'session-b';
const empty: PartitionSnapshot = { lastOffset: undefined, lastSequences: new Map(), applied: new Map() };

function verify(records: Parameters<typeof mskEvent>[0], known: PartitionSnapshot = empty): Verdict[] {
  const [partition] = decodeKafkaEvent(mskEvent(records));
  if (!partition) throw new Error('no partition');
  return verifyPartition(ref, partition.records.map(readRecord), known);
}

/** `kind`, then `:REASON` for the record's own anomaly and `+GAP` for a gap before it. */
const summary = (verdicts: Verdict[]) =>
  verdicts.map((v) => {
    if (v.kind === 'redelivered') return 'redelivered';
    const own = v.kind === 'dead-lettered' ? `:${v.anomaly.reason}` : '';
    return `${v.kind}${own}${v.gap ? '+GAP' : ''}`;
  });

describe('verifyPartition', () => {
  it('applies consecutive sequences of a session and of two interleaved sessions', () => {
    const verdicts = verify([
      sampleRecord({ eventId: 'e1', session: S, sequence: 0, offset: 10 }),
      sampleRecord({ eventId: 'e2', session: T, sequence: 0, offset: 11 }),
      sampleRecord({ eventId: 'e3', session: S, sequence: 1, offset: 12 }),
      sampleRecord({ eventId: 'e4', session: T, sequence: 1, offset: 13 }),
    ]);
    expect(summary(verdicts)).toEqual(['applied', 'applied', 'applied', 'applied']);
  });

  it('skips offsets at or below the last processed one as redeliveries, without looking further', () => {
    const known = { ...empty, lastOffset: 11, lastSequences: new Map([[S, 1]]) };
    const verdicts = verify(
      [
        sampleRecord({ eventId: 'e1', session: S, sequence: 0, offset: 10 }),
        mskRecord({ offset: 11, value: 'garbage' }),
        sampleRecord({ eventId: 'e3', session: S, sequence: 2, offset: 12 }),
      ],
      known,
    );
    expect(summary(verdicts)).toEqual(['redelivered', 'redelivered', 'applied']);
  });

  it('treats a record the ledger applied at this very offset as a redelivery', () => {
    const known = { ...empty, applied: new Map([['e1', { ...ref, offset: 10 }]]) };
    const verdicts = verify([sampleRecord({ eventId: 'e1', session: S, sequence: 0, offset: 10 })], known);
    expect(summary(verdicts)).toEqual(['redelivered']);
  });

  it('dead-letters an event applied before at another offset as DUPLICATE, naming where it was applied', () => {
    const known = {
      ...empty,
      lastOffset: 4,
      lastSequences: new Map([[S, 4]]),
      applied: new Map([['e1', { ...ref, offset: 3 }]]),
    };
    const verdicts = verify([sampleRecord({ eventId: 'e1', session: S, sequence: 5, offset: 7 })], known);
    expect(summary(verdicts)).toEqual(['dead-lettered:DUPLICATE']);
    const [duplicate] = verdicts;
    expect(duplicate?.kind === 'dead-lettered' && duplicate.anomaly.detail).toContain(
      `already applied at ${partitionName(0)}@3`,
    );
    // The copy still took sequence 5 of its session: the next record is not a gap.
    expect(duplicate?.kind === 'dead-lettered' && duplicate.advance?.partitionSequence).toBe(5);
  });

  it('catches a duplicate inside one batch', () => {
    const verdicts = verify([
      sampleRecord({ eventId: 'e1', session: S, sequence: 0, offset: 0 }),
      sampleRecord({ eventId: 'e1', session: S, sequence: 1, offset: 1 }),
      sampleRecord({ eventId: 'e2', session: S, sequence: 2, offset: 2 }),
    ]);
    expect(summary(verdicts)).toEqual(['applied', 'dead-lettered:DUPLICATE', 'applied']);
  });

  it('dead-letters a new event whose sequence is not ahead of its session as OUT_OF_ORDER', () => {
    const verdicts = verify([
      sampleRecord({ eventId: 'e1', session: S, sequence: 0, offset: 0 }),
      sampleRecord({ eventId: 'e2', session: S, sequence: 1, offset: 1 }),
      sampleRecord({ eventId: 'e3', session: S, sequence: 1, offset: 2 }),
      sampleRecord({ eventId: 'e4', session: S, sequence: 2, offset: 3 }),
    ]);
    expect(summary(verdicts)).toEqual(['applied', 'applied', 'dead-lettered:OUT_OF_ORDER', 'applied']);
    const outOfOrder = verdicts[2];
    expect(outOfOrder?.kind === 'dead-lettered' && outOfOrder.anomaly.detail).toContain('sequence 1');
  });

  it('applies the event after a gap and reports the missing range', () => {
    const known = { ...empty, lastOffset: 20, lastSequences: new Map([[S, 3]]) };
    const verdicts = verify(
      [
        sampleRecord({ eventId: 'e8', session: S, sequence: 8, offset: 21 }),
        sampleRecord({ eventId: 'e9', session: S, sequence: 9, offset: 22 }),
      ],
      known,
    );
    expect(summary(verdicts)).toEqual(['applied+GAP', 'applied']);
    const gap = verdicts[0];
    expect(gap?.kind === 'applied' && gap.gap?.detail).toContain('sequences 4 to 7 (4 records) are missing');
  });

  it('reports a gap when a session is first seen past sequence 0', () => {
    const verdicts = verify([sampleRecord({ eventId: 'e1', session: S, sequence: 1, offset: 0 })]);
    expect(summary(verdicts)).toEqual(['applied+GAP']);
    expect(verdicts[0]?.kind === 'applied' && verdicts[0].gap?.detail).toContain('sequence 0 is missing');
  });

  it('dead-letters undecodable and invalid records and keeps the session sequence moving', () => {
    const verdicts = verify([
      sampleRecord({ eventId: 'e1', session: S, sequence: 0, offset: 0 }),
      mskRecord({
        offset: 1,
        value: '{not json',
        headers: { 'event-id': 'e2', 'producer-session': S, 'partition-sequence': '1' },
      }),
      sampleRecord({
        eventId: 'e3',
        session: S,
        sequence: 2,
        offset: 2,
        value: JSON.stringify(invalidEvent('e3')),
      }),
      sampleRecord({ eventId: 'e4', session: S, sequence: 3, offset: 3 }),
    ]);
    expect(summary(verdicts)).toEqual([
      'applied',
      'dead-lettered:MALFORMED',
      'dead-lettered:INVALID',
      'applied',
    ]);
  });

  it('names only the place in the detail of a record delivered in order, with no note that it came late', () => {
    const known = { ...empty, applied: new Map([['e1', { ...ref, offset: 3 }]]) };
    const verdicts = verify([sampleRecord({ eventId: 'e1', session: S, sequence: 0, offset: 7 })], known);
    expect(verdicts[0]?.kind === 'dead-lettered' && verdicts[0].anomaly.detail).toBe(
      `${partitionName(0)}@7: event e1 was already applied at ${partitionName(0)}@3; this copy was not applied (a client or producer retry published it again).`,
    );
  });

  it('refuses a valid record the reader left without an event id or origin, naming where it is', () => {
    // A reader defect, not bad data: record-reading.ts gives every valid record both.
    const [partition] = decodeKafkaEvent(
      mskEvent([sampleRecord({ eventId: 'e1', session: S, sequence: 0, offset: 4 })]),
    );
    const [read] = (partition?.records ?? []).map(readRecord);
    if (!read) throw new Error('no record');
    expect(() => verifyPartition(ref, [{ ...read, eventId: undefined }], empty)).toThrow(
      `unreachable: a valid record without an event id at ${partitionName(0)}@4`,
    );
    expect(() => verifyPartition(ref, [{ ...read, origin: undefined }], empty)).toThrow(
      `unreachable: a valid record without an origin at ${partitionName(0)}@4`,
    );
  });

  it('does not change the snapshot it was given', () => {
    const known = { lastOffset: undefined, lastSequences: new Map([[S, 0]]), applied: new Map() };
    verify([sampleRecord({ eventId: 'e2', session: S, sequence: 1, offset: 5 })], known);
    expect(known.lastSequences.get(S)).toBe(0);
  });
});
