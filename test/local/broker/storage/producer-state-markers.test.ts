import { describe, expect, it } from 'vitest';
import {
  PartitionProducerState,
  type ProducerBatchHeader,
} from '../../../../local/broker/storage/producer-state';

// Transaction markers (control batches) of a producer the partition already knows, and producer ids that
// are no idempotent producer's: Apache Kafka's ProducerAppendInfo.appendEndTxnMarker and
// RecordBatch.NO_PRODUCER_ID.
const PID = 2000n;

function header(overrides: Partial<ProducerBatchHeader> = {}): ProducerBatchHeader {
  return {
    producerId: PID,
    producerEpoch: 0,
    baseSequence: 0,
    lastOffsetDelta: 0,
    maxTimestamp: 1_700_000_000_000n,
    isControl: false,
    ...overrides,
  };
}

const marker = (producerEpoch: number) => header({ producerEpoch, baseSequence: -1, isControl: true });

/** Checks then records, as the log does; returns the verdict. */
function append(state: PartitionProducerState, batch: ProducerBatchHeader, baseOffset: bigint) {
  const verdict = state.check(batch);
  if (verdict.outcome === 'append') state.record(batch, baseOffset);
  return verdict;
}

/** A producer at epoch 1 with batches of sequences 0..2 at offsets 10..12. */
function knownProducer(): PartitionProducerState {
  const state = new PartitionProducerState();
  for (let sequence = 0; sequence < 3; sequence++) {
    append(state, header({ producerEpoch: 1, baseSequence: sequence }), BigInt(10 + sequence));
  }
  return state;
}

describe('PartitionProducerState: transaction markers of a known producer', () => {
  it('appends a marker of the current epoch without touching the sequence window', () => {
    const state = knownProducer();
    expect(append(state, marker(1), 13n)).toEqual({ outcome: 'append' });
    expect(state.get(PID)).toEqual({
      epoch: 1,
      batches: [0, 1, 2].map((sequence) => expect.objectContaining({ firstSequence: sequence })),
    });
    // The next batch continues the sequence; a retry of a cached batch is still a duplicate.
    expect(state.check(header({ producerEpoch: 1, baseSequence: 3 }))).toEqual({ outcome: 'append' });
    expect(state.check(header({ producerEpoch: 1, baseSequence: 2 }))).toEqual({
      outcome: 'duplicate',
      baseOffset: 12n,
    });
  });

  it('appends a marker of a newer epoch, which then fences the old epoch and restarts sequences at 0', () => {
    const state = knownProducer();
    expect(append(state, marker(2), 13n)).toEqual({ outcome: 'append' });
    expect(state.get(PID)).toEqual({ epoch: 2, batches: [] });

    expect(state.check(header({ producerEpoch: 1, baseSequence: 3 }))).toMatchObject({
      outcome: 'rejected',
      errorCode: 47,
    });
    const resumed = state.check(header({ producerEpoch: 2, baseSequence: 3 }));
    expect(resumed).toMatchObject({ outcome: 'rejected', errorCode: 45 });
    expect(resumed.outcome === 'rejected' && resumed.reason).toBe(
      `producer ${PID} epoch 2 sent sequence 3, expected 0`,
    );
    expect(append(state, header({ producerEpoch: 2, baseSequence: 0 }), 14n)).toEqual({ outcome: 'append' });
  });

  it('rejects with 47 a marker of an older epoch, naming both epochs', () => {
    const state = knownProducer();
    const verdict = state.check(marker(0));
    expect(verdict).toEqual({
      outcome: 'rejected',
      errorCode: 47,
      reason: `transaction marker of producer ${PID} has epoch 0, older than 1`,
    });
  });

  it('accepts a marker of a producer it does not know and adopts its epoch', () => {
    const state = new PartitionProducerState();
    expect(append(state, marker(3), 0n)).toEqual({ outcome: 'append' });
    expect(state.get(PID)).toEqual({ epoch: 3, batches: [] });
  });
});

describe('PartitionProducerState: producer ids of no idempotent producer', () => {
  it.each([-1n, -2n, -9_223_372_036_854_775_808n])(
    'applies no checks to producer id %s and keeps no state for it',
    (producerId) => {
      const state = new PartitionProducerState();
      const plain = header({ producerId, producerEpoch: -1, baseSequence: -1 });
      expect(append(state, plain, 0n)).toEqual({ outcome: 'append' });
      expect(append(state, plain, 1n)).toEqual({ outcome: 'append' });
      expect(append(state, { ...plain, producerEpoch: 5, baseSequence: 7 }, 2n)).toEqual({
        outcome: 'append',
      });
      expect(state.get(producerId)).toBeUndefined();
      expect([...state.producerIds()]).toEqual([]);
    },
  );

  it('tracks producer id 0, the first id a broker hands out', () => {
    const state = new PartitionProducerState();
    append(state, header({ producerId: 0n, baseSequence: 0 }), 0n);
    expect(state.check(header({ producerId: 0n, baseSequence: 0 }))).toEqual({
      outcome: 'duplicate',
      baseOffset: 0n,
    });
    expect([...state.producerIds()]).toEqual([0n]);
  });
});

describe('PartitionProducerState: what a rejection says and what a batch records', () => {
  const reasonOf = (state: PartitionProducerState, batch: ProducerBatchHeader) => {
    const verdict = state.check(batch);
    return verdict.outcome === 'rejected' ? `${verdict.errorCode} ${verdict.reason}` : verdict.outcome;
  };

  it('names the producer, the epochs and the sequences of a refused batch', () => {
    const state = knownProducer();
    expect(reasonOf(state, header({ producerEpoch: 0, baseSequence: 3 }))).toBe(
      `47 producer ${PID} epoch 0 is older than the current epoch 1`,
    );
    expect(reasonOf(state, header({ producerEpoch: 2, baseSequence: 3 }))).toBe(
      `45 producer ${PID} new epoch 2 starts at sequence 3, expected 0`,
    );
    expect(reasonOf(state, header({ producerEpoch: 1, baseSequence: 7 }))).toBe(
      `45 producer ${PID} epoch 1 sent sequence 7, expected 3`,
    );
  });

  it('expects sequence 0 after the last sequence 2147483647', () => {
    const state = new PartitionProducerState();
    append(state, header({ baseSequence: 2147483647 }), 0n);
    expect(reasonOf(state, header({ baseSequence: 5 }))).toBe(
      `45 producer ${PID} epoch 0 sent sequence 5, expected 0`,
    );
  });

  it('records the first and last offset and sequence of a batch', () => {
    const state = new PartitionProducerState();
    append(state, header({ baseSequence: 4, lastOffsetDelta: 2, maxTimestamp: 7n }), 10n);
    expect(state.get(PID)?.batches).toEqual([
      { firstSequence: 4, lastSequence: 6, baseOffset: 10n, lastOffset: 12n, maxTimestamp: 7n },
    ]);
  });
});
