import {
  encodeTransactionMarker,
  type TransactionMarker,
  transactionResultOf,
} from '../protocol/control-record';
import { decodeRecordBatch, validateRecordBatch } from '../protocol/record-batch';
import { BROKER_PREFIX_SIZE, batchShapeProblem, brokerPrefix, isCompressed } from './batch-layout';
import { PartitionProducerState } from './producer-state';
import type { Segment, StoredBytes } from './segment';
import { PartitionTransactions } from './transaction-index';
import {
  type AppendResult,
  type BatchHeader,
  type IsolationLevel,
  type ReadResult,
  StorageError,
  type StorageErrorCode,
  type StoredBatch,
} from './types';

/** Where one stored batch lives in its segment. Every batch is indexed (batches, not records). */
interface BatchPosition {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly position: number;
  readonly size: number;
  readonly maxTimestamp: bigint;
}

export interface OffsetLookup {
  readonly errorCode: StorageErrorCode;
  readonly offset: bigint;
  readonly timestamp: bigint;
}

/** ListOffsets special timestamps (Kafka protocol: ListOffsets request). */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;

/**
 * One partition: the segment bytes, an index of batch positions, the next offset and the
 * idempotent-producer state. Offsets and sequence checks are decided synchronously in `append`,
 * so concurrent appends are ordered by arrival; only the flush is awaited.
 */
export class PartitionLog {
  private readonly batches: BatchPosition[] = [];
  private readonly producers = new PartitionProducerState();
  private readonly transactions = new PartitionTransactions();
  private logEndOffset = 0n;
  readonly logStartOffset = 0n;

  constructor(
    private readonly segment: Segment,
    private readonly mustFlush: (durable: boolean) => boolean,
    private readonly onAppend: () => void,
  ) {}

  get highWatermark(): bigint {
    return this.logEndOffset;
  }

  get lastStableOffset(): bigint {
    return this.transactions.lastStableOffset(this.logEndOffset);
  }

  /** Indexes a batch already in the segment (start-up replay, in offset order) and replays its producer state. */
  restore({ position, bytes, header }: StoredBytes): void {
    const baseOffset = this.logEndOffset;
    this.index(baseOffset, position, bytes.length, header);
    this.producers.record(header, baseOffset);
    this.recordTransaction(header, baseOffset, bytes);
  }

  producerIds(): Iterable<bigint> {
    return this.producers.producerIds();
  }

  /** Producers whose transaction on this partition has no marker yet, with their current epoch. */
  openTransactions(): { producerId: bigint; producerEpoch: number }[] {
    return this.transactions.openProducers().map((producerId) => ({
      producerId,
      producerEpoch: this.producers.get(producerId)?.epoch ?? 0,
    }));
  }

  /** Writes a commit or abort marker for the producer's transaction (KIP-98 WriteTxnMarkers). */
  appendTransactionMarker(marker: Omit<TransactionMarker, 'timestamp'>): Promise<AppendResult> {
    const batch = encodeTransactionMarker({ ...marker, timestamp: BigInt(Date.now()) });
    const validation = validateRecordBatch(batch);
    if (!validation.ok) throw new Error(`transaction marker does not validate: ${validation.reason}`);
    return this.append(batch, validation.header, true);
  }

  async append(batch: Buffer, header: BatchHeader, durable: boolean): Promise<AppendResult> {
    const shapeProblem = batchShapeProblem(batch);
    if (shapeProblem !== undefined || header.lastOffsetDelta < 0)
      return this.failure(StorageError.CORRUPT_MESSAGE);

    const verdict = this.producers.check(header);
    if (verdict.outcome === 'rejected') return this.failure(verdict.errorCode);
    if (verdict.outcome === 'duplicate') {
      // The original may not be flushed yet: a retry is acknowledged on the same terms as the original.
      if (this.mustFlush(durable)) await this.segment.flush();
      return {
        errorCode: StorageError.NONE,
        baseOffset: verdict.baseOffset,
        logStartOffset: this.logStartOffset,
        duplicate: true,
      };
    }

    const baseOffset = this.logEndOffset;
    const position = this.segment.append([
      brokerPrefix(batch, baseOffset),
      batch.subarray(BROKER_PREFIX_SIZE),
    ]);
    this.index(baseOffset, position, batch.length, header);
    this.producers.record(header, baseOffset);
    this.recordTransaction(header, baseOffset, batch);
    this.onAppend();
    if (this.mustFlush(durable)) await this.segment.flush();
    return {
      errorCode: StorageError.NONE,
      baseOffset,
      logStartOffset: this.logStartOffset,
      duplicate: false,
    };
  }

  /**
   * Whole batches from the one holding `fetchOffset`, up to `maxBytes` but always at least one;
   * read_committed stops at the last stable offset and lists the aborted transactions it overlaps.
   */
  read(fetchOffset: bigint, maxBytes: number, isolation: IsolationLevel = 'read_uncommitted'): ReadResult {
    const { lastStableOffset } = this;
    const base = {
      highWatermark: this.logEndOffset,
      lastStableOffset,
      logStartOffset: this.logStartOffset,
      abortedTransactions: [],
    };
    if (fetchOffset < this.logStartOffset || fetchOffset > this.logEndOffset) {
      return { ...base, errorCode: StorageError.OFFSET_OUT_OF_RANGE, batches: [] };
    }
    const readCommitted = isolation === 'read_committed';
    const upperBound = readCommitted ? lastStableOffset : this.logEndOffset;
    const first = this.batchIndexOf(fetchOffset);
    if (first === undefined || this.batchAt(first).baseOffset >= upperBound) {
      return { ...base, errorCode: StorageError.NONE, batches: [] };
    }

    let last = first;
    let bytes = this.batchAt(first).size;
    while (last + 1 < this.batches.length) {
      const next = this.batchAt(last + 1);
      if (bytes + next.size > maxBytes || next.baseOffset >= upperBound) break;
      bytes += next.size;
      last++;
    }
    const start = this.batchAt(first).position;
    // Batches are contiguous in the segment: one read, then views per batch.
    const range = this.segment.read(start, bytes);
    const batches: StoredBatch[] = [];
    for (let i = first; i <= last; i++) {
      const entry = this.batchAt(i);
      const from = entry.position - start;
      batches.push({
        baseOffset: entry.baseOffset,
        lastOffset: entry.lastOffset,
        bytes: range.subarray(from, from + entry.size),
      });
    }
    const abortedTransactions = readCommitted
      ? this.transactions.abortedBetween(fetchOffset, this.batchAt(last).lastOffset + 1n)
      : [];
    return { ...base, errorCode: StorageError.NONE, batches, abortedTransactions };
  }

  listOffset(timestamp: bigint): OffsetLookup {
    if (timestamp === EARLIEST_TIMESTAMP) {
      return { errorCode: StorageError.NONE, offset: this.logStartOffset, timestamp: -1n };
    }
    if (timestamp === LATEST_TIMESTAMP) {
      return { errorCode: StorageError.NONE, offset: this.logEndOffset, timestamp: -1n };
    }
    for (const entry of this.batches) {
      if (entry.maxTimestamp < timestamp) continue;
      const bytes = this.segment.read(entry.position, entry.size);
      // Kafka answers with the first record at or after the timestamp (LogSegment.findOffsetByTimestamp).
      // Storage never decompresses, so a compressed batch answers with its base offset and max timestamp.
      if (isCompressed(bytes)) {
        return { errorCode: StorageError.NONE, offset: entry.baseOffset, timestamp: entry.maxTimestamp };
      }
      const record = decodeRecordBatch(bytes).find((r) => r.timestamp >= timestamp);
      if (record) return { errorCode: StorageError.NONE, offset: record.offset, timestamp: record.timestamp };
    }
    return { errorCode: StorageError.NONE, offset: -1n, timestamp: -1n };
  }

  close(): Promise<void> {
    return this.segment.close();
  }

  private index(baseOffset: bigint, position: number, size: number, header: BatchHeader): void {
    const lastOffset = baseOffset + BigInt(header.lastOffsetDelta);
    this.batches.push({ baseOffset, lastOffset, position, size, maxTimestamp: header.maxTimestamp });
    this.logEndOffset = lastOffset + 1n;
  }

  private recordTransaction(header: BatchHeader, baseOffset: bigint, batch: Buffer): void {
    if (!header.isTransactional) return;
    if (header.isControl) {
      this.transactions.recordMarker(header.producerId, baseOffset, transactionResultOf(batch));
    } else {
      this.transactions.recordData(header.producerId, baseOffset);
    }
  }

  private failure(errorCode: StorageErrorCode): AppendResult {
    return { errorCode, baseOffset: -1n, logStartOffset: this.logStartOffset, duplicate: false };
  }

  private batchAt(i: number): BatchPosition {
    const entry = this.batches[i];
    if (!entry) throw new RangeError(`batch index ${i} outside 0..${this.batches.length - 1}`);
    return entry;
  }

  /** Binary search for the batch whose offset range holds `offset`. */
  private batchIndexOf(offset: bigint): number | undefined {
    let low = 0;
    let high = this.batches.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const entry = this.batchAt(middle);
      if (entry.lastOffset < offset) low = middle + 1;
      else if (entry.baseOffset > offset) high = middle - 1;
      else return middle;
    }
    return undefined;
  }
}
