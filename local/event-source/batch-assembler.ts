import type { PendingRecord } from './msk-event';

export interface BatchPolicy {
  /** Most records per invocation (ESM BatchSize: default 100, at most 10,000). */
  readonly batchSize: number;
  /** How long to gather records before invoking with fewer than batchSize (MaximumBatchingWindowInSeconds). */
  readonly batchingWindowMs: number;
  /** Invocation payload quota: a batch stops growing before its event would pass it. */
  readonly maxPayloadBytes: number;
}

interface Queued {
  readonly pending: PendingRecord;
  readonly arrivedAt: number;
}

interface PartitionQueue {
  readonly records: Queued[];
  bytes: number;
  /** Retry backoff: the partition's records wait until this time. */
  heldUntil: number;
}

export type NextBatch =
  | { readonly kind: 'batch'; readonly records: readonly PendingRecord[] }
  /** Nothing is due yet; look again at wakeAt, or when records arrive if wakeAt is undefined. */
  | { readonly kind: 'wait'; readonly wakeAt: number | undefined };

/** Room for the event's own fields around the records ("eventSource", ARN, bootstrap servers, keys). */
const EVENT_ENVELOPE_BYTES = 1024;

/**
 * Gathers fetched records per partition and decides when a batch is due, as the event source mapping
 * does: when batchSize records are waiting, when the payload quota is reached, or when the batching
 * window has passed since the oldest waiting record arrived. Records keep their order per partition;
 * a batch takes records from the partitions in turn so no partition starves.
 */
export class BatchAssembler {
  private readonly queues = new Map<number, PartitionQueue>();
  private count = 0;

  constructor(private readonly policy: BatchPolicy) {}

  /** Records waiting, in every partition. */
  get size(): number {
    return this.count;
  }

  add(records: readonly PendingRecord[], now: number): void {
    for (const pending of records) {
      const queue = this.queueOf(pending.partition);
      queue.records.push({ pending, arrivedAt: now });
      queue.bytes += pending.size;
      this.count++;
    }
  }

  /** Forgets a partition's waiting records: it is about to be read again from an earlier offset. */
  drop(partition: number): void {
    const queue = this.queues.get(partition);
    if (!queue) return;
    this.count -= queue.records.length;
    queue.records.length = 0;
    queue.bytes = 0;
  }

  clear(): void {
    this.queues.clear();
    this.count = 0;
  }

  /** Keeps a partition out of batches until the given time (retry backoff). */
  hold(partition: number, until: number): void {
    this.queueOf(partition).heldUntil = until;
  }

  next(now: number): NextBatch {
    const eligible: PartitionQueue[] = [];
    let heldWake: number | undefined;
    for (const queue of this.queues.values()) {
      if (queue.records.length === 0) continue;
      if (queue.heldUntil > now) heldWake = Math.min(heldWake ?? queue.heldUntil, queue.heldUntil);
      else eligible.push(queue);
    }
    if (eligible.length === 0) return { kind: 'wait', wakeAt: heldWake };

    let waiting = 0;
    let bytes = EVENT_ENVELOPE_BYTES;
    let windowStart = Number.POSITIVE_INFINITY;
    for (const queue of eligible) {
      waiting += queue.records.length;
      bytes += queue.bytes;
      const head = queue.records[0];
      if (head) windowStart = Math.min(windowStart, Math.max(head.arrivedAt, queue.heldUntil));
    }
    const windowEnd = windowStart + this.policy.batchingWindowMs;
    if (waiting < this.policy.batchSize && bytes < this.policy.maxPayloadBytes && now < windowEnd) {
      return { kind: 'wait', wakeAt: Math.min(windowEnd, heldWake ?? windowEnd) };
    }
    return { kind: 'batch', records: this.take(eligible) };
  }

  private take(eligible: PartitionQueue[]): PendingRecord[] {
    const batch: PendingRecord[] = [];
    let bytes = EVENT_ENVELOPE_BYTES;
    let open = eligible.filter((queue) => queue.records.length > 0);
    while (batch.length < this.policy.batchSize && open.length > 0) {
      for (const queue of open) {
        const head = queue.records[0];
        if (!head || batch.length >= this.policy.batchSize) continue;
        // The first record always goes, so one record larger than the quota cannot block the partition.
        if (batch.length > 0 && bytes + head.pending.size > this.policy.maxPayloadBytes) return batch;
        queue.records.shift();
        queue.bytes -= head.pending.size;
        this.count--;
        bytes += head.pending.size;
        batch.push(head.pending);
      }
      open = open.filter((queue) => queue.records.length > 0);
    }
    return batch;
  }

  private queueOf(partition: number): PartitionQueue {
    let queue = this.queues.get(partition);
    if (!queue) {
      queue = { records: [], bytes: 0, heldUntil: 0 };
      this.queues.set(partition, queue);
    }
    return queue;
  }
}
