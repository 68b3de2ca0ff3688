import {
  encodeTransactionMarker,
  type TransactionMarker,
  transactionResultOf,
} from '../protocol/control-record';
import { decodeRecordBatch, validateRecordBatch } from '../protocol/record-batch';
import { BROKER_PREFIX_SIZE, batchShapeProblem, brokerPrefix, stampLogAppendTime } from './batch-layout';
import { PartitionProducerState } from './producer-state';
import type { Segment, StoredBytes } from './segment';
import type { LogSettings } from './topic-configs';
import { PartitionTransactions } from './transaction-index';
import {
  type AppendResult,
  type BatchHeader,
  failedRead,
  type IsolationLevel,
  type ReadResult,
  StorageError,
  type StorageErrorCode,
  type StoredBatch,
} from './types';

/** One segment of the log: the offsets from `baseOffset` on, up to the next segment's base offset. */
interface LogSegment {
  readonly baseOffset: bigint;
  readonly bytes: Segment;
  /** The first batch's max timestamp: what segment.ms counts from (Kafka's rollingBasedTimestamp). */
  rollingTimestamp: bigint | undefined;
  /** When the segment was created or opened: segment.ms counts from it when no batch carries a timestamp. */
  readonly createdAt: bigint;
  /** The largest batch max timestamp: what retention.ms compares with. */
  largestTimestamp: bigint;
}

/** Where one stored batch lives. Every batch is indexed (batches, not records). */
interface BatchPosition {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly segment: LogSegment;
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

/** What a partition log needs from its topic and its engine. */
export interface PartitionLogContext {
  readonly mustFlush: (durable: boolean) => boolean;
  readonly onAppend: () => void;
  /** The topic's settings now (they change with AlterConfigs). */
  readonly settings: () => LogSettings;
  /** A new, empty segment whose first offset will be `baseOffset`. */
  readonly newSegment: (baseOffset: bigint) => Segment;
  readonly now: () => number;
}

/**
 * One partition: its segments (the last one is active), an index of batch positions, the next offset
 * and the idempotent-producer state. Offsets and sequence checks are decided synchronously in `append`,
 * so concurrent appends are ordered by arrival; only the flush is awaited. Segments roll on
 * segment.bytes / segment.ms and whole segments are deleted by retention (Kafka's UnifiedLog), which
 * moves the log start offset.
 */
export class PartitionLog {
  private readonly segments: LogSegment[] = [];
  private readonly batches: BatchPosition[] = [];
  private readonly producers = new PartitionProducerState();
  private readonly transactions = new PartitionTransactions();
  private logEndOffset = 0n;

  constructor(private readonly context: PartitionLogContext) {}

  get highWatermark(): bigint {
    return this.logEndOffset;
  }

  get lastStableOffset(): bigint {
    return this.transactions.lastStableOffset(this.logEndOffset);
  }

  get logStartOffset(): bigint {
    return this.segments[0]?.baseOffset ?? this.logEndOffset;
  }

  /**
   * Adds a segment found at open (in offset order). Returns false when it does not continue the log
   * (an earlier segment lost its tail): the caller removes it and every later one.
   */
  restoreSegment(baseOffset: bigint, bytes: Segment): boolean {
    if (this.segments.length > 0 && baseOffset !== this.logEndOffset) return false;
    this.segments.push({
      baseOffset,
      bytes,
      rollingTimestamp: undefined,
      createdAt: BigInt(this.context.now()),
      largestTimestamp: -1n,
    });
    this.logEndOffset = baseOffset;
    return true;
  }

  /** Indexes a batch already in the last restored segment and replays its producer state. */
  restore({ position, bytes, header }: StoredBytes): void {
    const baseOffset = this.logEndOffset;
    this.index(this.activeSegment(), baseOffset, position, bytes.length, header);
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
    // Size limits come before the producer checks, as in Kafka's UnifiedLog.analyzeAndValidateRecords.
    const settings = this.context.settings();
    if (batch.length > settings.maxMessageBytes) return this.failure(StorageError.MESSAGE_TOO_LARGE);
    if (batch.length > settings.segmentBytes) return this.failure(StorageError.RECORD_LIST_TOO_LARGE);

    const verdict = this.producers.check(header);
    if (verdict.outcome === 'rejected') return this.failure(verdict.errorCode);
    if (verdict.outcome === 'duplicate') {
      // The original may not be flushed yet: a retry is acknowledged on the same terms as the original.
      if (this.context.mustFlush(durable)) await this.activeSegment().bytes.flush();
      return {
        errorCode: StorageError.NONE,
        baseOffset: verdict.baseOffset,
        logStartOffset: this.logStartOffset,
        logAppendTime: -1n,
        duplicate: true,
      };
    }

    const now = BigInt(this.context.now());
    const logAppendTime = settings.logAppendTime ? now : -1n;
    const stored = settings.logAppendTime ? stampLogAppendTime(batch, now) : batch;
    const storedHeader = settings.logAppendTime ? { ...header, maxTimestamp: now } : header;
    const segment = this.segmentFor(stored.length, storedHeader.maxTimestamp, settings, now);
    const baseOffset = this.logEndOffset;
    const position = segment.bytes.append([
      brokerPrefix(stored, baseOffset),
      stored.subarray(BROKER_PREFIX_SIZE),
    ]);
    this.index(segment, baseOffset, position, stored.length, storedHeader);
    this.producers.record(header, baseOffset);
    this.recordTransaction(header, baseOffset, stored);
    this.context.onAppend();
    if (this.context.mustFlush(durable)) await segment.bytes.flush();
    return {
      errorCode: StorageError.NONE,
      baseOffset,
      logStartOffset: this.logStartOffset,
      logAppendTime,
      duplicate: false,
    };
  }

  /**
   * Whole batches from the one holding `fetchOffset`, up to `maxBytes` but always at least one, from one segment;
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
      return failedRead(StorageError.OFFSET_OUT_OF_RANGE);
    }
    const readCommitted = isolation === 'read_committed';
    const upperBound = readCommitted ? lastStableOffset : this.logEndOffset;
    const first = this.batchIndexOf(fetchOffset);
    if (first === undefined || this.batchAt(first).baseOffset >= upperBound) {
      return { ...base, errorCode: StorageError.NONE, batches: [] };
    }

    const firstEntry = this.batchAt(first);
    let last = first;
    let bytes = firstEntry.size;
    while (last + 1 < this.batches.length) {
      const next = this.batchAt(last + 1);
      if (
        next.segment !== firstEntry.segment ||
        bytes + next.size > maxBytes ||
        next.baseOffset >= upperBound
      )
        break;
      bytes += next.size;
      last++;
    }
    const start = firstEntry.position;
    // Batches are contiguous in a segment: one read, then views per batch.
    const range = firstEntry.segment.bytes.read(start, bytes);
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
      const bytes = entry.segment.bytes.read(entry.position, entry.size);
      // Kafka answers with the first record at or after the timestamp (LogSegment.findOffsetByTimestamp),
      // decompressing the batch if needed. A batch whose compressed records cannot be read answers with
      // its base offset and max timestamp.
      const record = firstRecordAtOrAfter(bytes, timestamp);
      if (record === 'undecodable') {
        return { errorCode: StorageError.NONE, offset: entry.baseOffset, timestamp: entry.maxTimestamp };
      }
      if (record) return { errorCode: StorageError.NONE, offset: record.offset, timestamp: record.timestamp };
    }
    return { errorCode: StorageError.NONE, offset: -1n, timestamp: -1n };
  }

  /**
   * Deletes the oldest segments that retention.ms or retention.bytes no longer keeps (Kafka's
   * UnifiedLog.deleteOldSegments). When every segment goes, an empty one is rolled at the log end first,
   * so the log start offset becomes the log end offset and offsets are never reused.
   */
  async applyRetention(): Promise<void> {
    const settings = this.context.settings();
    const now = BigInt(this.context.now());
    let excessBytes =
      settings.retentionBytes < 0
        ? -1
        : this.segments.reduce((sum, s) => sum + s.bytes.size, 0) - settings.retentionBytes;
    let expired = 0;
    for (const segment of this.segments) {
      if (segment.bytes.size === 0) break;
      const tooOld =
        settings.retentionMs >= 0 && now - segment.largestTimestamp > BigInt(settings.retentionMs);
      const tooBig = excessBytes >= 0 && excessBytes - segment.bytes.size >= 0;
      if (!tooOld && !tooBig) break;
      if (tooBig) excessBytes -= segment.bytes.size;
      expired++;
    }
    if (expired === 0) return;
    if (expired === this.segments.length) this.roll();
    const removed = this.segments.splice(0, expired);
    const start = this.logStartOffset;
    const kept = this.batches.findIndex((entry) => entry.baseOffset >= start);
    this.batches.splice(0, kept === -1 ? this.batches.length : kept);
    await Promise.all(removed.map((segment) => segment.bytes.remove()));
  }

  async close(): Promise<void> {
    await Promise.all(this.segments.map((segment) => segment.bytes.close()));
  }

  /**
   * The segment a batch goes to, rolling a new one when segment.bytes or segment.ms says so. Time is
   * measured as Kafka's LogSegment.shouldRoll does: from the segment's first batch timestamp to this
   * batch's, or from the segment's creation when timestamps are missing.
   */
  private segmentFor(size: number, maxTimestamp: bigint, settings: LogSettings, now: bigint): LogSegment {
    const active = this.activeSegment();
    if (active.bytes.size === 0) return active;
    const full = active.bytes.size + size > settings.segmentBytes;
    const rolling = active.rollingTimestamp;
    const waited = rolling !== undefined && rolling >= 0n ? maxTimestamp - rolling : now - active.createdAt;
    return full || waited > BigInt(settings.segmentMs) ? this.roll() : active;
  }

  private roll(): LogSegment {
    const previous = this.segments.at(-1);
    // Kafka flushes a segment when it rolls; appends already acknowledged with acks=-1 are flushed anyway.
    previous?.bytes.flush().catch(() => undefined);
    const segment: LogSegment = {
      baseOffset: this.logEndOffset,
      bytes: this.context.newSegment(this.logEndOffset),
      rollingTimestamp: undefined,
      createdAt: BigInt(this.context.now()),
      largestTimestamp: -1n,
    };
    this.segments.push(segment);
    return segment;
  }

  private activeSegment(): LogSegment {
    return this.segments.at(-1) ?? this.roll();
  }

  private index(
    segment: LogSegment,
    baseOffset: bigint,
    position: number,
    size: number,
    header: BatchHeader,
  ): void {
    const lastOffset = baseOffset + BigInt(header.lastOffsetDelta);
    this.batches.push({ baseOffset, lastOffset, segment, position, size, maxTimestamp: header.maxTimestamp });
    segment.rollingTimestamp ??= header.maxTimestamp;
    if (header.maxTimestamp > segment.largestTimestamp) segment.largestTimestamp = header.maxTimestamp;
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
    return {
      errorCode,
      baseOffset: -1n,
      logStartOffset: this.logStartOffset,
      logAppendTime: -1n,
      duplicate: false,
    };
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

/** The batch's first record at or after `timestamp`, or 'undecodable' for a malformed compressed payload. */
function firstRecordAtOrAfter(
  bytes: Buffer,
  timestamp: bigint,
): { offset: bigint; timestamp: bigint } | undefined | 'undecodable' {
  try {
    return decodeRecordBatch(bytes).find((record) => record.timestamp >= timestamp);
  } catch {
    // The producer's CRC covered these bytes, but a compressed stream can still be malformed.
    return 'undecodable';
  }
}
