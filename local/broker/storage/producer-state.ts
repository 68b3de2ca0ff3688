import { StorageError } from './types';

/**
 * Idempotent-producer state of one partition, as Apache Kafka 2.5+ keeps it
 * (ProducerStateManager / ProducerStateEntry / ProducerAppendInfo): per producer id, the current
 * epoch and the metadata of its last 5 batches. Pure: no I/O, no clock; the log feeds it.
 */

/** Kafka keeps this many batches per producer (ProducerStateEntry.NUM_BATCHES_TO_RETAIN). */
export const PRODUCER_BATCH_WINDOW = 5;
/** Sequences are int32 and wrap from 2147483647 to 0 (DefaultRecordBatch.incrementSequence). */
export const MAX_SEQUENCE = 2147483647;
/** Non-idempotent batches carry producer id -1 (RecordBatch.NO_PRODUCER_ID). */
export const NO_PRODUCER_ID = -1n;

/** The header fields the sequence checks read; a subset of BatchHeader. */
export interface ProducerBatchHeader {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly lastOffsetDelta: number;
  readonly maxTimestamp: bigint;
  readonly isControl: boolean;
}

export interface ProducerBatchMetadata {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly maxTimestamp: bigint;
}

export interface ProducerEntry {
  readonly epoch: number;
  /**
   * Oldest first; at most PRODUCER_BATCH_WINDOW entries, all from `epoch`. Empty after a transaction
   * marker brought a new epoch: the producer's next batch must then start at sequence 0.
   */
  readonly batches: readonly ProducerBatchMetadata[];
}

export type SequenceVerdict =
  | { readonly outcome: 'append' }
  | { readonly outcome: 'duplicate'; readonly baseOffset: bigint }
  | {
      readonly outcome: 'rejected';
      readonly errorCode:
        | typeof StorageError.OUT_OF_ORDER_SEQUENCE_NUMBER
        | typeof StorageError.INVALID_PRODUCER_EPOCH;
      readonly reason: string;
    };

/** Last sequence of a batch: base + delta, wrapping past MAX_SEQUENCE to 0. */
export function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  return (baseSequence + lastOffsetDelta) % (MAX_SEQUENCE + 1);
}

/** Whether `next` directly follows `last` (ProducerAppendInfo.inSequence). */
export function followsInSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === MAX_SEQUENCE);
}

function isIdempotent(header: ProducerBatchHeader): boolean {
  return header.producerId !== NO_PRODUCER_ID && header.producerId >= 0n;
}

export class PartitionProducerState {
  private readonly producers = new Map<bigint, { epoch: number; batches: ProducerBatchMetadata[] }>();

  get(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  producerIds(): Iterable<bigint> {
    return this.producers.keys();
  }

  /**
   * Decides what to do with an incoming batch, in Kafka's order: duplicate, lower epoch (47),
   * new epoch must start at sequence 0 (45), same epoch must continue the last sequence (45),
   * unknown producer accepted with any sequence. Does not change state: call `record` after appending.
   */
  check(header: ProducerBatchHeader): SequenceVerdict {
    if (!isIdempotent(header)) return { outcome: 'append' };
    const entry = this.producers.get(header.producerId);
    if (!entry) return { outcome: 'append' };
    // A transaction marker carries no sequence; only its epoch is checked (ProducerAppendInfo.appendEndTxnMarker).
    if (header.isControl) {
      return header.producerEpoch < entry.epoch
        ? {
            outcome: 'rejected',
            errorCode: StorageError.INVALID_PRODUCER_EPOCH,
            reason: `transaction marker of producer ${header.producerId} has epoch ${header.producerEpoch}, older than ${entry.epoch}`,
          }
        : { outcome: 'append' };
    }

    const firstSequence = header.baseSequence;
    const lastSequence = lastSequenceOf(firstSequence, header.lastOffsetDelta);
    if (header.producerEpoch === entry.epoch) {
      const cached = entry.batches.find(
        (b) => b.firstSequence === firstSequence && b.lastSequence === lastSequence,
      );
      if (cached) return { outcome: 'duplicate', baseOffset: cached.baseOffset };
    }
    if (header.producerEpoch < entry.epoch) {
      return {
        outcome: 'rejected',
        errorCode: StorageError.INVALID_PRODUCER_EPOCH,
        reason: `producer ${header.producerId} epoch ${header.producerEpoch} is older than the current epoch ${entry.epoch}`,
      };
    }
    if (header.producerEpoch > entry.epoch) {
      if (firstSequence === 0) return { outcome: 'append' };
      return {
        outcome: 'rejected',
        errorCode: StorageError.OUT_OF_ORDER_SEQUENCE_NUMBER,
        reason: `producer ${header.producerId} new epoch ${header.producerEpoch} starts at sequence ${firstSequence}, expected 0`,
      };
    }
    const last = entry.batches.at(-1);
    // No batch yet in an epoch a transaction marker brought: the producer starts again at 0.
    if (!last && firstSequence === 0) return { outcome: 'append' };
    if (last && followsInSequence(last.lastSequence, firstSequence)) return { outcome: 'append' };
    return {
      outcome: 'rejected',
      errorCode: StorageError.OUT_OF_ORDER_SEQUENCE_NUMBER,
      reason: `producer ${header.producerId} epoch ${header.producerEpoch} sent sequence ${firstSequence}, expected ${
        !last || last.lastSequence === MAX_SEQUENCE ? 0 : last.lastSequence + 1
      }`,
    };
  }

  /**
   * Records an appended batch: adopts its epoch (a new epoch clears the cached batches, as
   * ProducerStateEntry.maybeUpdateProducerEpoch does) and keeps the last PRODUCER_BATCH_WINDOW batches.
   * Also used unchecked to replay the stored log at start-up.
   */
  record(header: ProducerBatchHeader, baseOffset: bigint): void {
    if (!isIdempotent(header)) return;
    let entry = this.producers.get(header.producerId);
    if (!entry || entry.epoch !== header.producerEpoch) {
      entry = { epoch: header.producerEpoch, batches: [] };
      this.producers.set(header.producerId, entry);
    }
    // A marker adopts its epoch (fencing older ones) but is no batch of the sequence window.
    if (header.isControl) return;
    entry.batches.push({
      firstSequence: header.baseSequence,
      lastSequence: lastSequenceOf(header.baseSequence, header.lastOffsetDelta),
      baseOffset,
      lastOffset: baseOffset + BigInt(header.lastOffsetDelta),
      maxTimestamp: header.maxTimestamp,
    });
    if (entry.batches.length > PRODUCER_BATCH_WINDOW) entry.batches.shift();
  }
}

/** Rebuilds a partition's producer state from its stored batches, fed in offset order. */
export function rebuildProducerState(
  batches: Iterable<{ readonly baseOffset: bigint; readonly header: ProducerBatchHeader }>,
): PartitionProducerState {
  const state = new PartitionProducerState();
  for (const { baseOffset, header } of batches) state.record(header, baseOffset);
  return state;
}
