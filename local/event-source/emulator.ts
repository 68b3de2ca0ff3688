import type { MSKEvent } from 'aws-lambda';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { retryPassingKafkaErrors } from '../kafka-retry';
import { invokeLambda, type LambdaFunction, localFunctionArn } from '../lambda-runtime';
import { BatchAssembler } from './batch-assembler';
import { type BatchOutcome, readBatchResponse } from './batch-response';
import { EventSourceConfigError } from './errors';
import {
  LOCAL_CLUSTER_ARN,
  type PendingRecord,
  partitionKey,
  toMskEvent,
  toPendingRecord,
} from './msk-event';
import type { OnFailureDestination } from './on-failure';

export interface RetryPolicy {
  /**
   * Retries after the first failed invocation (ESM MaximumRetryAttempts); -1 retries until the invocation
   * succeeds, AWS's default for Kafka event sources. @default -1
   */
  readonly maxRetries: number;
  /** Wait before the first retry; doubles with each retry up to maxBackoffMs. @default 200 */
  readonly initialBackoffMs: number;
  /** @default 5000 */
  readonly maxBackoffMs: number;
}

export interface EventSourceOptions {
  readonly kafka: Kafka;
  /** Reported to the handler in the event's bootstrapServers. */
  readonly bootstrapServers: readonly string[];
  /** The one topic the mapping reads (an MSK event source mapping has exactly one). */
  readonly topic: string;
  /** Consumer group id; the ESM uses its own UUID unless one is configured. */
  readonly groupId: string;
  readonly fn: LambdaFunction<MSKEvent, unknown>;
  readonly onFailure: OnFailureDestination;
  /** @default 100 (ESM default; AWS accepts 1 to 10,000) */
  readonly batchSize?: number;
  /** @default 500 (MaximumBatchingWindowInSeconds defaults to 0.5 s for Kafka sources) */
  readonly batchingWindowMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Where a group without committed offsets starts. @default 'TRIM_HORIZON' */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** @default LOCAL_CLUSTER_ARN */
  readonly eventSourceArn?: string;
  /** One line per invocation ('info' when it succeeded, 'warn' otherwise). @default no logging */
  readonly log?: (line: string, level: LogLevel) => void;
  /** Called after each invocation, for counters. */
  readonly onInvocation?: (outcome: InvocationOutcome) => void;
}

export type LogLevel = 'info' | 'warn';

export interface InvocationOutcome {
  readonly records: number;
  /** Records whose partitions moved past them (committed) after this invocation. */
  readonly committed: number;
  readonly kind: BatchOutcome['kind'];
  /** Records handed to the on-failure destination after exhausting their retries. */
  readonly sentToDestination: number;
  readonly durationMs: number;
}

export interface EventSourceStats {
  invocations: number;
  failedInvocations: number;
  recordsCommitted: number;
  recordsSentToDestination: number;
}

export interface EventSource {
  readonly groupId: string;
  readonly stats: Readonly<EventSourceStats>;
  stop(): Promise<void>;
}

/** Synchronous invocation payload quota (Lambda quotas); the ESM also caps Kafka batches at 6 MB. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Fetched records held before the consumer stops fetching, in batches. */
const BUFFERED_BATCHES = 4;
/** Short fetch long-polls so a seek after a failure takes effect quickly. */
const FETCH_MAX_WAIT_MS = 250;

interface RetryState {
  readonly offset: bigint;
  readonly failures: number;
}

function checkRange(setting: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EventSourceConfigError(setting, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** A one-shot wake-up that the invoker loop waits on, fired by new records, seeks and stop. */
class Signal {
  private resolve: (() => void) | undefined;
  private promise: Promise<void> | undefined;

  wait(timeoutMs: number | undefined): Promise<void> {
    this.promise ??= new Promise((resolve) => {
      this.resolve = resolve;
    });
    if (timeoutMs === undefined) return this.promise;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, timeoutMs));
    });
    return Promise.race([this.promise, timeout]).finally(() => clearTimeout(timer));
  }

  fire(): void {
    const resolve = this.resolve;
    this.promise = undefined;
    this.resolve = undefined;
    resolve?.();
  }
}

/**
 * A local stand-in for the MSK event source mapping: a consumer group reads the topic, records become
 * MSK events (batch size, batching window and payload quota like AWS's), the handler is invoked one
 * batch at a time, and its partial batch response decides what is committed. A failed partition is read
 * again from its first failed offset (seek) after a backoff; after maxRetries (unless -1) the failed records go to
 * the on-failure destination and the partition moves on.
 */
export async function startEventSource(options: EventSourceOptions): Promise<EventSource> {
  const batchSize = checkRange('batchSize', options.batchSize ?? 100, 1, 10_000);
  const batchingWindowMs = checkRange('batchingWindowMs', options.batchingWindowMs ?? 500, 0, 300_000);
  const retry: RetryPolicy = {
    maxRetries: checkRange('retry.maxRetries', options.retry?.maxRetries ?? -1, -1, 10_000),
    initialBackoffMs: checkRange('retry.initialBackoffMs', options.retry?.initialBackoffMs ?? 200, 0, 60_000),
    maxBackoffMs: checkRange('retry.maxBackoffMs', options.retry?.maxBackoffMs ?? 5_000, 0, 600_000),
  };
  const identity = {
    eventSourceArn: options.eventSourceArn ?? LOCAL_CLUSTER_ARN,
    bootstrapServers: options.bootstrapServers,
  };
  const functionArn = localFunctionArn(options.fn.name);
  const { topic, log = () => undefined } = options;

  const assembler = new BatchAssembler({ batchSize, batchingWindowMs, maxPayloadBytes: MAX_PAYLOAD_BYTES });
  const stats: EventSourceStats = {
    invocations: 0,
    failedInvocations: 0,
    recordsCommitted: 0,
    recordsSentToDestination: 0,
  };
  /** Next offset each partition expects from the fetcher; records below it were already taken. */
  const nextOffset = new Map<number, bigint>();
  /** After a seek: the offset the partition must restart at; records fetched before the seek are dropped. */
  const resumeAt = new Map<number, bigint>();
  const retries = new Map<number, RetryState>();
  const recordsArrived = new Signal();
  const spaceFreed = new Signal();
  let generation = 0;
  let running = true;

  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
  });

  // A rebalance hands partitions out again from their committed offsets: whatever was buffered is stale.
  consumer.on(consumer.events.GROUP_JOIN, () => {
    generation++;
    assembler.clear();
    nextOffset.clear();
    resumeAt.clear();
    spaceFreed.fire();
  });

  // kafkajs restarts a crashed consumer by itself (restartOnFailure); say so, or the console would go quiet.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const restart = payload.restart ? 'kafkajs restarts it' : 'it stays stopped';
    log(`the consumer of ${topic} crashed (${payload.error.message}); ${restart}`, 'warn');
  });

  async function receive({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    while (assembler.size >= batchSize * BUFFERED_BATCHES && isRunning() && !isStale() && running) {
      await spaceFreed.wait(1_000);
      await heartbeat();
    }
    if (!isRunning() || isStale() || !running) return;

    const accepted: PendingRecord[] = [];
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      const resume = resumeAt.get(batch.partition);
      if (resume !== undefined) {
        if (offset > resume) return; // fetched before the seek took effect
        if (offset < resume) continue;
        resumeAt.delete(batch.partition);
      }
      const expected = nextOffset.get(batch.partition);
      if (expected !== undefined && offset < expected) continue;
      accepted.push(toPendingRecord(topic, batch.partition, message));
      nextOffset.set(batch.partition, offset + 1n);
    }
    if (accepted.length > 0) {
      assembler.add(accepted, Date.now());
      recordsArrived.fire();
    }
    resolveOffset(batch.lastOffset());
  }

  async function commit(partition: number, offset: bigint): Promise<void> {
    await consumer.commitOffsets([{ topic, partition, offset: offset.toString() }]);
  }

  /** Reads the partition again from `offset` once the backoff has passed. */
  function rewind(partition: number, offset: bigint, holdUntil: number): void {
    assembler.drop(partition);
    assembler.hold(partition, holdUntil);
    nextOffset.set(partition, offset);
    resumeAt.set(partition, offset);
    try {
      consumer.seek({ topic, partition, offset: offset.toString() });
    } catch (error) {
      // kafkajs refuses a seek while its consumer rejoins the group (after a coordinator or broker
      // failure). Nothing is lost: it then resumes from the last commit, at or before `offset`, and
      // resumeAt skips what was settled before it.
      log(`could not seek ${partitionKey(topic, partition)} to ${offset}: ${String(error)}`, 'warn');
    }
    spaceFreed.fire();
  }

  async function settle(batch: readonly PendingRecord[], outcome: BatchOutcome, batchGeneration: number) {
    const byPartition = new Map<number, PendingRecord[]>();
    for (const pending of batch) {
      const list = byPartition.get(pending.partition) ?? [];
      list.push(pending);
      byPartition.set(pending.partition, list);
    }
    let committed = 0;
    let sentToDestination = 0;
    const notes: string[] = [];
    for (const [partition, records] of byPartition) {
      const key = partitionKey(topic, partition);
      const last = records.at(-1)?.offset ?? 0n;
      const failedAt =
        outcome.kind === 'success'
          ? undefined
          : outcome.kind === 'failed'
            ? records[0]?.offset
            : outcome.firstFailed.get(key);

      if (failedAt === undefined) {
        await commit(partition, last + 1n);
        committed += records.length;
        const pending = retries.get(partition);
        if (pending && pending.offset <= last) retries.delete(partition);
        continue;
      }
      // The records before the first failure succeeded: commit up to it (AWS checkpoints the same way).
      const succeeded = records.filter((pending) => pending.offset < failedAt).length;
      if (succeeded > 0) await commit(partition, failedAt);
      committed += succeeded;
      if (batchGeneration !== generation) continue; // the partition may belong to someone else now

      const previous = retries.get(partition);
      const failures = previous?.offset === failedAt ? previous.failures + 1 : 1;
      if (retry.maxRetries === -1 || failures <= retry.maxRetries) {
        retries.set(partition, { offset: failedAt, failures });
        const backoff = Math.min(
          retry.maxBackoffMs,
          retry.initialBackoffMs * 2 ** Math.min(failures - 1, 30),
        );
        rewind(partition, failedAt, Date.now() + backoff);
        const of = retry.maxRetries === -1 ? '' : `/${retry.maxRetries}`;
        notes.push(`${key} from ${failedAt} (retry ${failures}${of} in ${backoff} ms)`);
        continue;
      }
      const failed = records.filter((pending) => pending.offset >= failedAt);
      const reason =
        outcome.kind === 'failed' ? outcome.reason : `batchItemFailures named ${key}@${failedAt}`;
      await options.onFailure.send({ functionArn, identity, attempts: failures, reason, records: failed });
      await commit(partition, last + 1n);
      retries.delete(partition);
      sentToDestination += failed.length;
      notes.push(
        `${key} ${failedAt}..${last} sent to ${options.onFailure.description} after ${failures} attempts`,
      );
    }
    return { committed, sentToDestination, notes };
  }

  async function invoke(batch: readonly PendingRecord[]): Promise<void> {
    const batchGeneration = generation;
    const started = performance.now();
    let outcome: BatchOutcome;
    try {
      outcome = readBatchResponse(await invokeLambda(options.fn, toMskEvent(batch, identity)), batch);
    } catch (error) {
      outcome = { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
    }
    const durationMs = performance.now() - started;
    stats.invocations++;
    if (outcome.kind !== 'success') stats.failedInvocations++;

    const { committed, sentToDestination, notes } = await settle(batch, outcome, batchGeneration);
    stats.recordsCommitted += committed;
    stats.recordsSentToDestination += sentToDestination;
    options.onInvocation?.({
      records: batch.length,
      committed,
      kind: outcome.kind,
      sentToDestination,
      durationMs,
    });

    const partitions = [...new Set(batch.map((p) => partitionKey(p.topic, p.partition)))].join(', ');
    const summary = `${options.fn.name}: ${batch.length} record(s) from ${partitions} in ${Math.round(durationMs)} ms`;
    const verdict =
      outcome.kind === 'success'
        ? 'ok'
        : outcome.kind === 'failed'
          ? `failed (${outcome.reason})`
          : `partial failure (${[...outcome.firstFailed].map(([k, o]) => `${k}@${o}`).join(', ')})`;
    log(
      `${summary}: ${verdict}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`,
      outcome.kind === 'success' ? 'info' : 'warn',
    );
  }

  async function invokeLoop(): Promise<void> {
    while (running) {
      const next = assembler.next(Date.now());
      if (next.kind === 'wait') {
        await recordsArrived.wait(next.wakeAt === undefined ? undefined : next.wakeAt - Date.now());
        continue;
      }
      spaceFreed.fire();
      try {
        await invoke(next.records);
      } catch (error) {
        // Committing or writing to the destination failed: read the records again rather than lose them.
        const reason = error instanceof Error ? error.message : String(error);
        log(`could not settle a batch, reading it again: ${reason}`, 'warn');
        for (const partition of new Set(next.records.map((p) => p.partition))) {
          const first = next.records.find((p) => p.partition === partition)?.offset;
          if (first !== undefined) rewind(partition, first, Date.now() + retry.initialBackoffMs);
        }
      }
    }
  }

  await retryPassingKafkaErrors(`subscribing to ${topic}`, async () => {
    await consumer.connect();
    await consumer.subscribe({
      topic,
      fromBeginning: (options.startingPosition ?? 'TRIM_HORIZON') === 'TRIM_HORIZON',
    });
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: receive,
  });
  const loop = invokeLoop();

  return {
    groupId: options.groupId,
    stats,
    async stop() {
      running = false;
      recordsArrived.fire();
      spaceFreed.fire();
      await loop; // lets the invocation in flight finish and commit
      await consumer.disconnect();
      await options.onFailure.close();
    },
  };
}
