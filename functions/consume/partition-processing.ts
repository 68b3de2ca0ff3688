import { LedgerConflictError } from '../ledger/errors';
import type { PartitionRef } from '../ledger/keys';
import {
  type AppliedEntry,
  commitItemCount,
  type DeadLetterEntry,
  type Ledger,
  type LedgerCommit,
  MAX_COMMIT_ITEMS,
  type PartitionSnapshot,
  type SequenceAdvance,
} from '../ledger/ledger';
import type { Anomaly } from './anomaly';
import { type DeadLetter, type DeadLetterSink, deadLetterId } from './dead-letters';
import type { SourcePartition, SourceRecord } from './kafka-event';
import { type ReadRecord, readRecord } from './record-reading';
import { type Verdict, verifyPartition } from './verification';

/**
 * One partition of a batch, end to end: read the ledger, verify, then for each ledger step (at most 100
 * items, DynamoDB's transaction limit) publish its dead letters and commit it.
 *
 * Ordering: a dead letter is published before the step that moves the partition past its offset, so no
 * acknowledged offset is an anomaly nobody was told about. A failure stops the partition at the first record
 * not handled; that offset goes to batchItemFailures and the mapping redelivers from there.
 *
 * A crash (or failure) at each point, followed by redelivery:
 * - before the dead letters of a step are published: nothing of the step exists; it is redone.
 * - after they are published, before the step commits: the step is redone and its dead letters are
 *   published again, carrying the same x-dlq-id (`<topic>-<partition>@<offset>`) so readers can drop the
 *   copy; the ledger records each dead letter once, keyed by the same coordinates.
 * - after the step commits, before the answer: its records are at or below the partition's progress and are
 *   skipped as redeliveries (if the SDK itself retried the lost answer, the retry's conditions fail and the
 *   step is recognised as done the same way).
 * - between two steps of one batch: the first step stays, the second is redone.
 * The step is one TransactWriteItems whose conditions (event not applied, progress and session sequences
 * unchanged since read) make a concurrent or repeated writer cancel instead of applying twice.
 */

/**
 * A cancelled ledger step is read again and redone this often: once for a duplicate found by an event item's
 * condition, more for concurrent writers (an event applied from another partition, a racing invocation).
 */
const MAX_CONFLICT_RETRIES = 4;

export interface HandledRecord {
  readonly offset: number;
  readonly outcome: 'applied' | 'redelivered' | 'dead-lettered';
  readonly anomaly: Anomaly | undefined;
  readonly eventId: string | undefined;
}

export interface PartitionOutcome {
  readonly ref: PartitionRef;
  readonly name: string;
  /** Records handled, in offset order (all of them unless `failedAt` is set). */
  readonly handled: readonly HandledRecord[];
  /** First offset not handled: report it in batchItemFailures so the mapping redelivers from there. */
  readonly failedAt: number | undefined;
  readonly error: unknown;
}

export interface PartitionDependencies {
  readonly ledger: Ledger;
  readonly deadLetters: DeadLetterSink;
}

export async function processPartition(
  partition: SourcePartition,
  dependencies: PartitionDependencies,
): Promise<PartitionOutcome> {
  const ref: PartitionRef = { topic: partition.topic, partition: partition.partition };
  const handled = new Map<number, HandledRecord>();
  const published = new Set<string>();
  const outcome = (failedAt: number | undefined, error: unknown): PartitionOutcome => ({
    ref,
    name: partition.name,
    handled: [...handled.values()]
      .filter((record) => failedAt === undefined || record.offset < failedAt)
      .sort((a, b) => a.offset - b.offset),
    failedAt,
    error,
  });

  let remaining: ReadRecord[] = partition.records.map(readRecord);
  let conflicts = 0;
  // Optimistic first pass: progress and sessions only. An event applied before (a duplicate) is then caught by
  // its event item's condition, which cancels the step; the passes after that read the event ids too.
  let readEventIds = false;
  while (remaining.length > 0) {
    const first = remaining[0];
    if (!first) break;
    let known: PartitionSnapshot;
    try {
      known = await dependencies.ledger.loadPartition(
        ref,
        readEventIds ? remaining.flatMap((record) => (record.eventId ? [record.eventId] : [])) : [],
        remaining.flatMap((record) => (record.origin ? [record.origin.producerSession] : [])),
      );
    } catch (error) {
      return outcome(first.source.offset, error);
    }
    const verdicts = verifyPartition(ref, remaining, known);
    if (!readEventIds && verdicts.some((verdict) => verdict.kind !== 'redelivered' && verdict.anomaly)) {
      // Dead letters cannot be taken back: publish them only from a verification that knew every event id.
      readEventIds = true;
      continue;
    }
    for (const verdict of verdicts) {
      if (verdict.kind === 'redelivered') handled.set(verdict.record.source.offset, describe(verdict));
    }

    let position = { lastOffset: known.lastOffset, lastSequences: new Map(known.lastSequences) };
    let retry: ReadRecord[] | undefined;
    for (const step of planSteps(verdicts)) {
      const stepStart = step[0]?.record.source.offset;
      if (stepStart === undefined) continue;
      // 1. Dead letters first (those this invocation has not published yet, e.g. before a conflict retry).
      const letters = step.flatMap((verdict): DeadLetter[] =>
        verdict.kind !== 'redelivered' &&
        verdict.anomaly &&
        !published.has(letterKey(verdict.record.source, verdict.anomaly))
          ? [{ record: verdict.record.source, anomaly: verdict.anomaly }]
          : [],
      );
      let publishFailure: { offset: number; error: unknown } | undefined;
      let writable = step;
      try {
        await dependencies.deadLetters.publish(letters);
        for (const letter of letters) published.add(letterKey(letter.record, letter.anomaly));
      } catch (error) {
        const offset = letters[0]?.record.offset ?? stepStart;
        publishFailure = { offset, error };
        writable = step.filter((verdict) => verdict.record.source.offset < offset);
      }

      // 2. Then the ledger step that records them and moves the partition past them.
      if (writable.length > 0) {
        const { commit, next } = buildCommit(ref, writable, position);
        try {
          await dependencies.ledger.commit(commit);
        } catch (error) {
          if (error instanceof LedgerConflictError && conflicts < MAX_CONFLICT_RETRIES) {
            conflicts += 1;
            readEventIds = true;
            retry = remaining.filter((record) => record.source.offset >= stepStart);
            break;
          }
          return outcome(stepStart, error);
        }
        position = next;
        for (const verdict of writable) handled.set(verdict.record.source.offset, describe(verdict));
      }
      if (publishFailure) return outcome(publishFailure.offset, publishFailure.error);
    }
    if (!retry) break;
    remaining = retry;
  }
  return outcome(undefined, undefined);
}

/** A dead letter already published by this invocation: the same record with the same reason. */
function letterKey(record: SourceRecord, anomaly: Anomaly): string {
  return `${deadLetterId(record)}/${anomaly.reason}`;
}

function describe(verdict: Verdict): HandledRecord {
  return {
    offset: verdict.record.source.offset,
    outcome: verdict.kind,
    anomaly: verdict.kind === 'redelivered' ? undefined : verdict.anomaly,
    eventId: verdict.record.eventId,
  };
}

/** Cuts the verdicts (redeliveries left out) into steps that fit one transaction with their progress items. */
export function planSteps(verdicts: readonly Verdict[]): Verdict[][] {
  const steps: Verdict[][] = [];
  let step: Verdict[] = [];
  let items = 1; // the partition progress item
  let sessions = new Set<string>();
  // Ledger items a verdict adds to a step: its event or dead-letter item (both for an applied GAP), plus its
  // session's progress item the first time the step sees that session.
  const itemsOf = (verdict: Exclude<Verdict, { kind: 'redelivered' }>): number =>
    (verdict.kind === 'applied' && verdict.anomaly ? 2 : 1) +
    (verdict.advance && !sessions.has(verdict.advance.producerSession) ? 1 : 0);
  for (const verdict of verdicts) {
    if (verdict.kind === 'redelivered') continue;
    if (items + itemsOf(verdict) > MAX_COMMIT_ITEMS && step.length > 0) {
      steps.push(step);
      step = [];
      items = 1;
      sessions = new Set();
    }
    step.push(verdict);
    items += itemsOf(verdict);
    if (verdict.advance) sessions.add(verdict.advance.producerSession);
  }
  if (step.length > 0) steps.push(step);
  return steps;
}

interface Position {
  readonly lastOffset: number | undefined;
  readonly lastSequences: Map<string, number>;
}

/** The ledger step for some consecutive verdicts, moving from `before` to the position after the last one. */
export function buildCommit(
  ref: PartitionRef,
  verdicts: readonly Verdict[],
  before: Position,
): { commit: LedgerCommit; next: Position } {
  const applied: AppliedEntry[] = [];
  const deadLetters: DeadLetterEntry[] = [];
  const advanced = new Map<string, number>();
  let lastOffset = before.lastOffset ?? -1;
  for (const verdict of verdicts) {
    if (verdict.kind === 'redelivered') continue;
    const source = verdict.record.source;
    lastOffset = Math.max(lastOffset, source.offset);
    if (verdict.advance) advanced.set(verdict.advance.producerSession, verdict.advance.partitionSequence);
    if (verdict.kind === 'applied') {
      applied.push({
        eventId: verdict.eventId,
        event: verdict.event,
        offset: source.offset,
        origin: verdict.origin,
        recordTimestamp: source.timestamp,
      });
    }
    if (verdict.anomaly) {
      deadLetters.push({
        eventId: verdict.record.eventId,
        offset: source.offset,
        reason: verdict.anomaly.reason,
        detail: verdict.anomaly.detail,
        origin: verdict.record.origin,
        applied: verdict.kind === 'applied',
      });
    }
  }
  const sessions: SequenceAdvance[] = [...advanced].map(([producerSession, last]) => ({
    producerSession,
    expected: before.lastSequences.get(producerSession),
    last,
  }));
  const commit: LedgerCommit = {
    ref,
    expectedLastOffset: before.lastOffset,
    lastOffset,
    sessions,
    applied,
    deadLetters,
  };
  if (commitItemCount(commit) > MAX_COMMIT_ITEMS) {
    throw new Error(`a ledger step of ${commitItemCount(commit)} items exceeds ${MAX_COMMIT_ITEMS}`);
  }
  const lastSequences = new Map(before.lastSequences);
  for (const [session, last] of advanced) lastSequences.set(session, last);
  return { commit, next: { lastOffset, lastSequences } };
}
