import { describe, expect, it } from 'vitest';
import {
  lastSequenceOf,
  MAX_SEQUENCE,
  PartitionProducerState,
  type ProducerBatchHeader,
  rebuildProducerState,
} from '../../../../local/broker/storage/producer-state';

// Scenarios mirror Apache Kafka's ProducerStateManagerTest and UnifiedLogTest (duplicate appends).
const PID = 1000n;

function batch(baseSequence: number, records = 1, epoch = 0, producerId = PID): ProducerBatchHeader {
  return {
    producerId,
    producerEpoch: epoch,
    baseSequence,
    lastOffsetDelta: records - 1,
    maxTimestamp: 1_700_000_000_000n,
    isControl: false,
  };
}

/** Checks then records, as the log does; returns the verdict. */
function append(state: PartitionProducerState, header: ProducerBatchHeader, baseOffset: bigint) {
  const verdict = state.check(header);
  if (verdict.outcome === 'append') state.record(header, baseOffset);
  return verdict;
}

describe('PartitionProducerState', () => {
  it('accepts a producer it has no state for, with any sequence', () => {
    const state = new PartitionProducerState();
    expect(append(state, batch(42, 3), 0n)).toEqual({ outcome: 'append' });
    expect(state.get(PID)?.batches.at(-1)).toMatchObject({ firstSequence: 42, lastSequence: 44 });
  });

  it('appends batches whose base sequence continues the last sequence', () => {
    const state = new PartitionProducerState();
    append(state, batch(0, 2), 0n);
    expect(append(state, batch(2, 3), 2n)).toEqual({ outcome: 'append' });
    expect(append(state, batch(5), 5n)).toEqual({ outcome: 'append' });
    expect(state.get(PID)?.batches.map((b) => b.baseOffset)).toEqual([0n, 2n, 5n]);
  });

  it('answers a retry of any of the last 5 batches as a duplicate with its original base offset', () => {
    const state = new PartitionProducerState();
    for (let i = 0; i < 5; i++) append(state, batch(i * 2, 2), BigInt(10 + i * 2));
    for (let i = 0; i < 5; i++) {
      expect(state.check(batch(i * 2, 2))).toEqual({ outcome: 'duplicate', baseOffset: BigInt(10 + i * 2) });
    }
  });

  it('rejects with 45 a retry older than the 5-batch window', () => {
    const state = new PartitionProducerState();
    for (let i = 0; i < 6; i++) append(state, batch(i), BigInt(i));
    expect(state.get(PID)?.batches).toHaveLength(5);
    expect(state.check(batch(0))).toMatchObject({ outcome: 'rejected', errorCode: 45 });
    expect(state.check(batch(1))).toEqual({ outcome: 'duplicate', baseOffset: 1n });
  });

  it('rejects with 45 a partial duplicate (same first sequence, different last sequence)', () => {
    const state = new PartitionProducerState();
    append(state, batch(0, 3), 0n);
    expect(state.check(batch(0, 2))).toMatchObject({ outcome: 'rejected', errorCode: 45 });
    expect(state.check(batch(1, 2))).toMatchObject({ outcome: 'rejected', errorCode: 45 });
  });

  it('rejects with 45 a gap in the sequence', () => {
    const state = new PartitionProducerState();
    append(state, batch(0), 0n);
    append(state, batch(1), 1n);
    const verdict = state.check(batch(5));
    expect(verdict).toMatchObject({ outcome: 'rejected', errorCode: 45 });
    expect(verdict.outcome === 'rejected' && verdict.reason).toContain('expected 2');
  });

  it('rejects with 47 a batch from an older epoch, even one matching a cached batch of the new epoch', () => {
    const state = new PartitionProducerState();
    append(state, batch(0, 1, 0), 0n);
    append(state, batch(0, 1, 1), 1n);
    expect(state.check(batch(0, 1, 0))).toMatchObject({ outcome: 'rejected', errorCode: 47 });
    expect(state.check(batch(1, 1, 0))).toMatchObject({ outcome: 'rejected', errorCode: 47 });
  });

  it('requires a new epoch to start at sequence 0 (45 otherwise)', () => {
    const state = new PartitionProducerState();
    append(state, batch(0, 1, 0), 0n);
    append(state, batch(1, 1, 0), 1n);
    expect(state.check(batch(2, 1, 1))).toMatchObject({ outcome: 'rejected', errorCode: 45 });
    expect(append(state, batch(0, 1, 1), 2n)).toEqual({ outcome: 'append' });
  });

  it('forgets the old epoch batches once a new epoch is appended', () => {
    const state = new PartitionProducerState();
    append(state, batch(0, 1, 0), 0n);
    append(state, batch(0, 1, 3), 1n);
    expect(state.get(PID)).toEqual({
      epoch: 3,
      batches: [
        {
          firstSequence: 0,
          lastSequence: 0,
          baseOffset: 1n,
          lastOffset: 1n,
          maxTimestamp: 1_700_000_000_000n,
        },
      ],
    });
  });

  it('wraps the sequence from 2147483647 to 0', () => {
    const state = new PartitionProducerState();
    append(state, batch(MAX_SEQUENCE, 1, 15), 735n);
    expect(append(state, batch(0, 1, 15), 1235n)).toEqual({ outcome: 'append' });
    expect(state.get(PID)?.batches.at(-1)).toMatchObject({ firstSequence: 0, lastSequence: 0 });
  });

  it('rejects with 45 a wrong sequence after the wrap', () => {
    const state = new PartitionProducerState();
    append(state, batch(MAX_SEQUENCE, 1, 15), 735n);
    expect(state.check(batch(1, 1, 15))).toMatchObject({ outcome: 'rejected', errorCode: 45 });
  });

  it('computes the last sequence of a batch that spans the wrap', () => {
    expect(lastSequenceOf(MAX_SEQUENCE - 1, 3)).toBe(1);
    const state = new PartitionProducerState();
    append(state, batch(MAX_SEQUENCE - 1, 4), 0n);
    expect(state.get(PID)?.batches.at(-1)).toMatchObject({
      firstSequence: MAX_SEQUENCE - 1,
      lastSequence: 1,
    });
    expect(state.check(batch(MAX_SEQUENCE - 1, 4))).toEqual({ outcome: 'duplicate', baseOffset: 0n });
    expect(append(state, batch(2), 4n)).toEqual({ outcome: 'append' });
  });

  it('applies no checks to non-idempotent batches (producer id -1) and keeps no state for them', () => {
    const state = new PartitionProducerState();
    const plain = batch(-1, 1, -1, -1n);
    expect(append(state, plain, 0n)).toEqual({ outcome: 'append' });
    expect(append(state, plain, 1n)).toEqual({ outcome: 'append' });
    expect(state.get(-1n)).toBeUndefined();
  });

  it('keeps producers apart', () => {
    const state = new PartitionProducerState();
    append(state, batch(0, 1, 0, 1n), 0n);
    append(state, batch(0, 1, 0, 2n), 1n);
    expect(state.check(batch(0, 1, 0, 1n))).toEqual({ outcome: 'duplicate', baseOffset: 0n });
    expect(state.check(batch(0, 1, 0, 2n))).toEqual({ outcome: 'duplicate', baseOffset: 1n });
    expect(state.check(batch(1, 1, 0, 2n))).toEqual({ outcome: 'append' });
  });

  describe('rebuild from the log', () => {
    it('does not validate the first entry it replays', () => {
      const state = rebuildProducerState([{ baseOffset: 735n, header: batch(16, 1, 5) }]);
      expect(state.get(PID)).toMatchObject({
        epoch: 5,
        batches: [{ firstSequence: 16, lastSequence: 16, baseOffset: 735n }],
      });
    });

    it('reconstructs the window, so retries after a restart are duplicates and gaps are 45', () => {
      const stored = Array.from({ length: 8 }, (_, i) => ({
        baseOffset: BigInt(i * 3),
        header: batch(i * 3, 3),
      }));
      const state = rebuildProducerState(stored);
      expect(state.check(batch(21, 3))).toEqual({ outcome: 'duplicate', baseOffset: 21n });
      expect(state.check(batch(9, 3))).toEqual({ outcome: 'duplicate', baseOffset: 9n });
      expect(state.check(batch(6, 3))).toMatchObject({ outcome: 'rejected', errorCode: 45 });
      expect(state.check(batch(24, 1))).toEqual({ outcome: 'append' });
    });

    it('keeps only the latest epoch of each producer', () => {
      const state = rebuildProducerState([
        { baseOffset: 0n, header: batch(0, 1, 0) },
        { baseOffset: 1n, header: batch(1, 1, 0) },
        { baseOffset: 2n, header: batch(0, 1, 1) },
      ]);
      expect(state.get(PID)?.epoch).toBe(1);
      expect(state.check(batch(1, 1, 0))).toMatchObject({ outcome: 'rejected', errorCode: 47 });
    });
  });
});
