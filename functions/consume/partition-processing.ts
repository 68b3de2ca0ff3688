import { eventDefinition } from '../event/definition';
import { effectItemId } from '../ledger/effects';
import { LedgerConflictError, LedgerRejectedError, LedgerUnavailableError } from '../ledger/errors';
import { type PartitionRef, sessionProgressKey } from '../ledger/keys';
import {
  type AppliedEntry,
  appliedEntryBytes,
  type DeadLetterEntry,
  deadLetterEntryBytes,
  effectWriteBytes,
  type Ledger,
  type LedgerCommit,
  MAX_COMMIT_BYTES,
  MAX_COMMIT_ITEMS,
  type PartitionSnapshot,
  type RecordedLetter,
  type SequenceAdvance,
} from '../ledger/ledger';
import type { EventDefinition } from '../shared/event-definition';
import { type Anomaly, anomaly } from './anomaly';
import type { DeadLetter, DeadLetterSink } from './dead-letters';
import type { SourcePartition } from './kafka-event';
import { type ReadRecord, recordReader } from './record-reading';
import { type Verdict, verifyPartition } from './verification';

/**
 * One partition of a batch, end to end: read the ledger, verify, then for each ledger step (at most 100
 * items and 3.5 MB, inside DynamoDB's transaction limits) commit it, then publish the dead letters it recorded.
 *
 * Letters after the commit: the ledger is the record of what happened, and a letter only ever tells what the
 * ledger holds (one id, one reason). Each dead-letter item is written "pending" with its step and marked sent
 * once its letter is published; a redelivery of a record whose letter is still pending publishes it.
 *
 * A crash (or failure) at each point, followed by redelivery:
 * - before the step commits: nothing of it exists; it is redone (nothing was published).
 * - after the commit, before the letters are published or marked sent: the records are at or below the
 *   partition's progress and the ledger holds them, so they are redeliveries; their pending letters are
 *   published then (again, if the first publish got through: same id, same content).
 * - between two steps of one batch: the first step stays, the second is redone.
 * The step is one TransactWriteItems whose conditions (event not applied, dead letter not recorded, progress
 * and session sequences unchanged since read) make a concurrent or repeated writer cancel instead of writing
 * twice. Cancellations are handled by cause (ledger.ts): a condition failure reads again and re-plans;
 * throttling, transaction conflicts and outages wait and retry within the invocation's remaining time; a
 * permanent refusal dead-letters the refused record as REJECTED (found by bisection when DynamoDB does not
 * say which), so one poison record never holds back the valid records around it.
 */

/** Re-reads after condition failures (duplicates found by an event item, concurrent writers). */
const MAX_CONFLICT_RETRIES = 8;
/** Reads of one partition before giving up (each re-read follows progress made by someone else). */
const MAX_PASSES = 32;
const FIRST_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 2_000;

export interface HandledRecord {
  readonly offset: number;
  readonly outcome: 'applied' | 'redelivered' | 'dead-lettered';
  /** The record's own anomaly and, before it, the GAP it revealed, each with its dead letter. */
  readonly anomalies: readonly Anomaly[];
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
  /** @default the pipeline's event definition (functions/event/definition.ts) */
  readonly definition?: EventDefinition;
}

/** Epoch milliseconds after which no more waiting starts (the invocation's remaining time, less a margin). */
export type Deadline = number;

export async function processPartition(
  partition: SourcePartition,
  dependencies: PartitionDependencies,
  deadline: Deadline,
): Promise<PartitionOutcome> {
  const { ledger, deadLetters } = dependencies;
  const definition = dependencies.definition ?? eventDefinition;
  const ref: PartitionRef = { topic: partition.topic, partition: partition.partition };
  const records = partition.records.map(recordReader(definition));
  const byOffset = new Map(records.map((record) => [record.source.offset, record]));
  const handled = new Map<number, HandledRecord>();
  const outcome = (failedAt: number | undefined, error: unknown): PartitionOutcome => ({
    ref,
    name: partition.name,
    handled: [...handled.values()]
      .filter((record) => failedAt === undefined || record.offset < failedAt)
      .sort((a, b) => a.offset - b.offset),
    failedAt,
    error,
  });
  let backoff = FIRST_BACKOFF_MS;
  /** Waits before a retry if the invocation has time for it. */
  const pause = async (error: unknown): Promise<boolean> => {
    if (!(error instanceof LedgerUnavailableError)) return false;
    const wait = backoff * (0.5 + Math.random() / 2);
    if (Date.now() + wait > deadline) return false;
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    await new Promise((resolve) => setTimeout(resolve, wait));
    return true;
  };
  const publish = async (letters: readonly DeadLetter[], recorded: readonly RecordedLetter[]) => {
    if (letters.length === 0) return;
    await deadLetters.publish(letters);
    // Best effort: a letter not marked sent is only published once more by a later redelivery.
    await ledger.markLettersSent(ref, recorded).catch(() => undefined);
  };

  /** Records the ledger refused for good, with why: dead-lettered as REJECTED from then on. */
  const rejected = new Map<number, string>();
  let remaining: ReadRecord[] = records;
  let conflicts = 0;
  // Optimistic first pass: progress and sessions only. An event applied before (a duplicate) is then caught by
  // its event item's condition, which cancels the step; the passes after that read the event ids too, and look
  // up the records at or below the progress (a redelivery, or a range the mapping skipped).
  let readAll = false;
  let lookedUpTo = -1;
  let isolate = false;
  for (let pass = 0; remaining.length > 0; pass += 1) {
    const first = remaining[0]?.source.offset ?? 0;
    if (pass === MAX_PASSES) {
      return outcome(first, new Error(`${partition.name} still moving after ${MAX_PASSES} reads`));
    }
    let known: PartitionSnapshot;
    try {
      known = await ledger.loadPartition(
        ref,
        readAll ? remaining.flatMap((record) => (record.eventId ? [record.eventId] : [])) : [],
        remaining.flatMap((record) => (record.origin ? [record.origin.producerSession] : [])),
        readAll
          ? remaining
              .filter((record) => record.source.offset <= lookedUpTo)
              .map((record) => ({ offset: record.source.offset, eventId: record.eventId }))
          : [],
      );
    } catch (error) {
      if (await pause(error)) continue;
      return outcome(first, error);
    }
    const progress = known.lastOffset ?? -1;
    const unknownBelow = remaining.some(
      (record) => record.source.offset <= progress && record.source.offset > lookedUpTo,
    );
    const verdicts = verifyPartition(ref, remaining, known).map((verdict) =>
      withRejection(verdict, rejected),
    );
    const needsEventIds = verdicts.some(
      (verdict) => verdict.kind === 'dead-lettered' && verdict.anomaly.reason === 'OUT_OF_ORDER',
    );
    if (unknownBelow || (!readAll && needsEventIds)) {
      readAll = true;
      lookedUpTo = progress;
      continue;
    }
    for (const verdict of verdicts) {
      if (verdict.kind === 'redelivered') handled.set(verdict.record.source.offset, describe(verdict));
    }
    // Letters an earlier invocation recorded but did not get to publish.
    const pending = (known.pendingLetters ?? []).filter((letter) => byOffset.has(letter.offset));
    try {
      await publish(
        pending.map((letter) => ({
          record: (byOffset.get(letter.offset) as ReadRecord).source,
          anomaly: { reason: letter.reason as Anomaly['reason'], detail: letter.detail },
        })),
        pending,
      );
    } catch (error) {
      return outcome(pending[0]?.offset, error);
    }

    let position = { lastOffset: known.lastOffset, lastSequences: new Map(known.lastSequences) };
    let retryFrom: number | undefined;
    for (const step of planSteps(ref, verdicts, { isolate, definition })) {
      const stepStart = step[0]?.record.source.offset;
      if (stepStart === undefined) continue;
      const { commit, next, letters } = buildCommit(ref, step, position, definition);
      try {
        await ledger.commit(commit);
      } catch (error) {
        if (error instanceof LedgerConflictError && conflicts < MAX_CONFLICT_RETRIES) {
          conflicts += 1;
          readAll = true;
          retryFrom = stepStart;
          break;
        }
        if (error instanceof LedgerRejectedError) {
          const refused = error.offsets ?? (step.length === 1 ? [stepStart] : undefined);
          if (refused === undefined) {
            isolate = true; // DynamoDB did not say which record: one record per step until it is found
          } else if (refused.every((offset) => byOffset.has(offset) && !rejected.has(offset))) {
            for (const offset of refused) rejected.set(offset, error.message);
          } else {
            return outcome(stepStart, error); // even its dead letter is refused: not the record's fault
          }
          retryFrom = stepStart;
          break;
        }
        if (await pause(error)) {
          retryFrom = stepStart;
          break;
        }
        return outcome(stepStart, error);
      }
      position = next;
      for (const verdict of step) handled.set(verdict.record.source.offset, describe(verdict));
      try {
        await publish(
          letters.map(({ letter }) => letter),
          letters.map(({ recorded }) => recorded),
        );
      } catch (error) {
        // The step is recorded; the redelivery from here publishes what is still pending.
        return outcome(letters[0]?.letter.record.offset, error);
      }
    }
    if (retryFrom === undefined) break;
    const from = retryFrom;
    remaining = remaining.filter((record) => record.source.offset >= from);
  }
  return outcome(undefined, undefined);
}

/** A record the ledger refused: dead-lettered as REJECTED, keeping its gap and session move. */
function withRejection(verdict: Verdict, rejected: ReadonlyMap<number, string>): Verdict {
  const why = rejected.get(verdict.record.source.offset);
  if (why === undefined || verdict.kind === 'redelivered') return verdict;
  return {
    kind: 'dead-lettered',
    record: verdict.record,
    anomaly: anomaly(
      'REJECTED',
      `${verdict.record.source.topic}-${verdict.record.source.partition}@${verdict.record.source.offset}: the ledger refused to store this record for good (${why}); not applied.`,
    ),
    gap: verdict.gap,
    advance: verdict.advance,
  };
}

function anomaliesOf(verdict: Verdict): Anomaly[] {
  if (verdict.kind === 'redelivered') return [];
  const own = verdict.kind === 'dead-lettered' ? [verdict.anomaly] : [];
  return verdict.gap ? [verdict.gap, ...own] : own;
}

function describe(verdict: Verdict): HandledRecord {
  return {
    offset: verdict.record.source.offset,
    outcome: verdict.kind,
    anomalies: anomaliesOf(verdict),
    eventId: verdict.record.eventId,
  };
}

/**
 * The ledger entries one verdict writes: its applied event with its effect's writes, and its dead letters
 * (GAP first).
 */
function entriesOf(
  verdict: Exclude<Verdict, { kind: 'redelivered' }>,
  definition: EventDefinition,
): {
  applied: AppliedEntry | undefined;
  deadLetters: DeadLetterEntry[];
} {
  const source = verdict.record.source;
  const applied =
    verdict.kind === 'applied'
      ? {
          eventId: verdict.eventId,
          event: verdict.event,
          effects: definition.effect(verdict.event),
          offset: source.offset,
          origin: verdict.origin,
          recordTimestamp: source.timestamp,
        }
      : undefined;
  const deadLetters = anomaliesOf(verdict).map(
    (found): DeadLetterEntry => ({
      eventId: verdict.record.eventId,
      offset: source.offset,
      reason: found.reason,
      detail: found.detail,
      origin: verdict.record.origin,
      applied: verdict.kind === 'applied',
    }),
  );
  return { applied, deadLetters };
}

/** Bytes of the progress items of a step (partition and session): small, fixed-size items. */
const PROGRESS_ITEM_BYTES = 512;

/**
 * Cuts the verdicts (redeliveries left out) into steps that fit one transaction with their progress items:
 * at most MAX_COMMIT_ITEMS actions and MAX_COMMIT_BYTES. Each item counts once per step, as DynamoDB lets a
 * transaction touch it once: an effect item several events write is one action (ledger.ts merges them), a
 * session's progress item one however many records move it. With `isolate`, one record per step (to find a
 * record DynamoDB refuses without saying which).
 */
export function planSteps(
  ref: PartitionRef,
  verdicts: readonly Verdict[],
  options: { readonly isolate?: boolean; readonly definition?: EventDefinition } = {},
): Verdict[][] {
  const definition = options.definition ?? eventDefinition;
  const steps: Verdict[][] = [];
  let step: Verdict[] = [];
  let items = 1; // the partition progress item
  let bytes = PROGRESS_ITEM_BYTES;
  let written = new Set<string>();
  for (const verdict of verdicts) {
    if (verdict.kind === 'redelivered') continue;
    const { applied, deadLetters } = entriesOf(verdict, definition);
    const effects = applied?.effects ?? [];
    const entryBytes =
      (applied ? appliedEntryBytes(ref, applied) : 0) +
      effects.reduce((sum, write) => sum + effectWriteBytes(write), 0) +
      deadLetters.reduce((sum, entry) => sum + deadLetterEntryBytes(ref, entry), 0);
    // Items shared within a step, counted the first time the step writes them: the progress item of the
    // record's session and the items of its effect.
    const session = verdict.advance && effectItemId(sessionProgressKey(verdict.advance.producerSession, ref));
    const shared = new Set([
      ...(session ? [session] : []),
      ...effects.map((write) => effectItemId(write.key)),
    ]);
    const fresh = () => [...shared].filter((id) => !written.has(id));
    const sessionBytes = () => (session && !written.has(session) ? PROGRESS_ITEM_BYTES : 0);
    const fits = () =>
      items + (applied ? 1 : 0) + deadLetters.length + fresh().length <= MAX_COMMIT_ITEMS &&
      bytes + entryBytes + sessionBytes() <= MAX_COMMIT_BYTES;
    if (step.length > 0 && (options.isolate || !fits())) {
      steps.push(step);
      step = [];
      items = 1;
      bytes = PROGRESS_ITEM_BYTES;
      written = new Set();
    }
    bytes += entryBytes + sessionBytes();
    const added = fresh();
    items += (applied ? 1 : 0) + deadLetters.length + added.length;
    for (const id of added) written.add(id);
    step.push(verdict);
  }
  if (step.length > 0) steps.push(step);
  return steps;
}

interface Position {
  readonly lastOffset: number | undefined;
  readonly lastSequences: Map<string, number>;
}

/**
 * The ledger step for some consecutive verdicts, moving from `before` to the position after the last one,
 * and the letters to publish once it commits.
 */
export function buildCommit(
  ref: PartitionRef,
  verdicts: readonly Verdict[],
  before: Position,
  definition: EventDefinition = eventDefinition,
): {
  commit: LedgerCommit;
  next: Position;
  letters: { letter: DeadLetter; recorded: RecordedLetter }[];
} {
  const applied: AppliedEntry[] = [];
  const deadLetters: DeadLetterEntry[] = [];
  const letters: { letter: DeadLetter; recorded: RecordedLetter }[] = [];
  const advanced = new Map<string, number>();
  let lastOffset = before.lastOffset ?? -1;
  for (const verdict of verdicts) {
    if (verdict.kind === 'redelivered') continue;
    const source = verdict.record.source;
    lastOffset = Math.max(lastOffset, source.offset);
    if (verdict.advance) advanced.set(verdict.advance.producerSession, verdict.advance.partitionSequence);
    const entries = entriesOf(verdict, definition);
    if (entries.applied) applied.push(entries.applied);
    deadLetters.push(...entries.deadLetters);
    for (const entry of entries.deadLetters) {
      const reason = entry.reason as Anomaly['reason'];
      letters.push({
        letter: { record: source, anomaly: { reason, detail: entry.detail } },
        recorded: entry,
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
  const lastSequences = new Map(before.lastSequences);
  for (const [session, last] of advanced) lastSequences.set(session, last);
  return { commit, next: { lastOffset, lastSequences }, letters };
}
