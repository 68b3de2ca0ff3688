/**
 * The transactions of one partition, as Apache Kafka's log keeps them (ProducerStateManager's ongoing
 * transactions, the aborted transaction index, the last stable offset): pure, fed by the log in offset
 * order, so it is rebuilt from the stored batches at start-up.
 */
import type { TransactionResult } from '../protocol/control-record';

/** A transaction a read_committed consumer must skip (Fetch: aborted_transactions). */
export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
  /** Offset of the abort marker. */
  readonly lastOffset: bigint;
}

export class PartitionTransactions {
  /** Producer id → first offset of its open transaction, in the order they opened. */
  private readonly ongoing = new Map<bigint, bigint>();
  /** Ordered by the offset of their abort marker. */
  private readonly aborted: AbortedTransaction[] = [];

  /** A transactional data batch at `baseOffset`: opens the producer's transaction if none is open. */
  recordData(producerId: bigint, baseOffset: bigint): void {
    if (!this.ongoing.has(producerId)) this.ongoing.set(producerId, baseOffset);
  }

  /** A marker at `offset` ends the producer's open transaction; an abort is remembered for readers. */
  recordMarker(producerId: bigint, offset: bigint, result: TransactionResult | undefined): void {
    const firstOffset = this.ongoing.get(producerId);
    if (firstOffset === undefined) return;
    this.ongoing.delete(producerId);
    if (result === 'abort') this.aborted.push({ producerId, firstOffset, lastOffset: offset });
  }

  /** Producers with a transaction open on this partition. */
  openProducers(): bigint[] {
    return [...this.ongoing.keys()];
  }

  /** The first offset of the earliest open transaction, or the high watermark when none is open. */
  lastStableOffset(highWatermark: bigint): bigint {
    let stable = highWatermark;
    for (const first of this.ongoing.values()) if (first < stable) stable = first;
    return stable;
  }

  /**
   * Aborted transactions overlapping [fetchOffset, upperBound): their marker is at or after the fetch
   * offset and their first record before the bound (Kafka's collectAbortedTxns).
   */
  abortedBetween(fetchOffset: bigint, upperBound: bigint): AbortedTransaction[] {
    // Markers are in offset order: skip those before the fetch offset by binary search.
    let low = 0;
    let high = this.aborted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.aborted[middle] as AbortedTransaction).lastOffset < fetchOffset) low = middle + 1;
      else high = middle;
    }
    return this.aborted.slice(low).filter((txn) => txn.firstOffset < upperBound);
  }
}
