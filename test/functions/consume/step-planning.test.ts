import { describe, expect, it } from 'vitest';
import { decodeKafkaEvent } from '../../../functions/consume/kafka-event';
import { planSteps } from '../../../functions/consume/partition-processing';
import { readRecord } from '../../../functions/consume/record-reading';
import { type Verdict, verifyPartition } from '../../../functions/consume/verification';
import { eventDefinition } from '../../../functions/event/definition';
import type { PartitionSnapshot } from '../../../functions/ledger/ledger';
import { mskEvent, mskRecord, sampleRecord } from './support';

/**
 * How a batch's verdicts are cut into ledger steps: each step one DynamoDB transaction of at most 100
 * actions (its events, dead letters, session progress items and the partition progress item).
 */
const ref = { topic: 'payments', partition: 0 };
/**
 * The pipeline's definition without its effect: these tests count the ledger's own actions, which hold for
 * any event type; event-definition.test.ts counts the items an effect adds.
 */
const withoutEffect = { definition: { ...eventDefinition, effect: () => [] } };
const empty: PartitionSnapshot = { lastOffset: undefined, lastSequences: new Map(), applied: new Map() };

function verdictsOf(records: Parameters<typeof mskEvent>[0], known: PartitionSnapshot = empty): Verdict[] {
  const [partition] = decodeKafkaEvent(mskEvent(records));
  if (!partition) throw new Error('no partition');
  return verifyPartition(ref, partition.records.map(readRecord), known);
}

/** `count` in-order events of one producer session. */
const events = (count: number, session = 'session-a') =>
  Array.from({ length: count }, (_, i) =>
    sampleRecord({ eventId: `${session}-${i}`, session, sequence: i, offset: i }),
  );

const sizes = (steps: Verdict[][]) => steps.map((step) => step.length);

describe('planSteps', () => {
  it('fits 98 events of one session in one step: 98 events, its session and the partition progress are 100 actions', () => {
    expect(sizes(planSteps(ref, verdictsOf(events(98)), withoutEffect))).toEqual([98]);
    expect(sizes(planSteps(ref, verdictsOf(events(99)), withoutEffect))).toEqual([98, 1]);
  });

  it('counts one progress item per session in the step', () => {
    // Two interleaved sessions: 2 session items, so 97 events fill a step.
    const interleaved = Array.from({ length: 98 }, (_, i) => {
      const session = i % 2 === 0 ? 'session-a' : 'session-b';
      return sampleRecord({ eventId: `e-${i}`, session, sequence: Math.floor(i / 2), offset: i });
    });
    expect(sizes(planSteps(ref, verdictsOf(interleaved), withoutEffect))).toEqual([97, 1]);
  });

  it('counts a dead letter and the gap reported before it as two actions', () => {
    // Sequence 1 of the session is missing: the second record is applied with a GAP dead letter.
    const records = [
      sampleRecord({ eventId: 'e-0', session: 'session-a', sequence: 0, offset: 0 }),
      ...Array.from({ length: 96 }, (_, i) =>
        sampleRecord({ eventId: `e-${i + 1}`, session: 'session-a', sequence: i + 2, offset: i + 1 }),
      ),
    ];
    // 1 progress + 1 session + 97 events + 1 GAP = 100 actions: one step; one more event does not fit.
    expect(sizes(planSteps(ref, verdictsOf(records), withoutEffect))).toEqual([97]);
    const more = [
      ...records,
      sampleRecord({ eventId: 'e-97', session: 'session-a', sequence: 98, offset: 97 }),
    ];
    expect(sizes(planSteps(ref, verdictsOf(more), withoutEffect))).toEqual([97, 1]);
  });

  it('puts each record in a step of its own when isolating, and leaves redeliveries out', () => {
    const known = { ...empty, lastOffset: 1, lastSequences: new Map([['session-a', 1]]) };
    const verdicts = verdictsOf([...events(4), mskRecord({ offset: 4, value: 'not json' })], known);
    expect(verdicts.map((verdict) => verdict.kind)).toEqual([
      'redelivered',
      'redelivered',
      'applied',
      'applied',
      'dead-lettered',
    ]);
    expect(sizes(planSteps(ref, verdicts, { ...withoutEffect, isolate: true }))).toEqual([1, 1, 1]);
    expect(sizes(planSteps(ref, verdicts, withoutEffect))).toEqual([3]);
    expect(planSteps(ref, verdicts.slice(0, 2), withoutEffect)).toEqual([]);
  });
});
