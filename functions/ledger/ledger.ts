import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { EffectWrite } from '../shared/event-definition';
import { effectAction, mergeEffects } from './effects';
import { LedgerConflictError, LedgerRejectedError, LedgerUnavailableError } from './errors';
import {
  APPLIED_SORT_KEY,
  appliedEventKey,
  deadLetterKey,
  type LedgerKey,
  type PartitionRef,
  PROGRESS_SORT_KEY,
  partitionName,
  partitionProgressKey,
  sessionProgressKey,
} from './keys';

/** Where a record came from according to its headers: its producer session and sequence in the partition. */
export interface Origin {
  readonly producerSession: string;
  readonly partitionSequence: number;
}

export interface AppliedLocation extends PartitionRef {
  readonly offset: number;
}

/** The source coordinates every applied and dead-letter item carries. */
export function itemLocation(item: Readonly<Record<string, unknown>>): AppliedLocation {
  return { topic: String(item.topic), partition: Number(item.partition), offset: Number(item.offset) };
}

/** What the ledger knows about one partition, as far as the records of a batch need it. */
export interface PartitionSnapshot {
  /** The last offset whose record was applied or dead-lettered; undefined before the first. */
  readonly lastOffset: number | undefined;
  /** Last sequence seen per producer session on this partition (only the sessions asked for). */
  readonly lastSequences: ReadonlyMap<string, number>;
  /** Where each event id asked for was applied (absent: never applied). */
  readonly applied: ReadonlyMap<string, AppliedLocation>;
  /**
   * Of the records asked about (`RecordLookup`), the offsets the ledger holds an item for: applied there or
   * dead-lettered. Undefined when none were asked about.
   */
  readonly handled?: ReadonlySet<number> | undefined;
  /** Dead letters the ledger recorded for the records asked about whose letters were not sent yet. */
  readonly pendingLetters?: readonly RecordedLetter[] | undefined;
}

/** A record at or below the partition's progress, to find out whether the ledger holds it. */
export interface RecordLookup {
  readonly offset: number;
  readonly eventId: string | undefined;
}

/** A dead letter as the ledger holds it: the letter is sent after the step that records it commits. */
export interface RecordedLetter {
  readonly eventId: string | undefined;
  readonly offset: number;
  readonly reason: string;
  readonly detail: string;
}

export interface AppliedEntry {
  readonly eventId: string;
  /** The event as validated; the applied item keeps it whole under its `event` attribute. */
  readonly event: object;
  /** The writes of the event's effect, merged per item with the rest of the step's (none if absent). */
  readonly effects?: readonly EffectWrite[] | undefined;
  readonly offset: number;
  readonly origin: Origin;
  readonly recordTimestamp: number;
}

export interface DeadLetterEntry {
  readonly eventId: string | undefined;
  readonly offset: number;
  readonly reason: string;
  readonly detail: string;
  readonly origin: Origin | undefined;
  /** Whether the record at these coordinates was applied (a GAP's record can be; its own anomaly cannot). */
  readonly applied: boolean;
}

export interface SequenceAdvance {
  readonly producerSession: string;
  /** The value read before this commit (undefined: the session was new on this partition). */
  readonly expected: number | undefined;
  readonly last: number;
}

/**
 * One atomic step of a partition: the events applied, the dead letters recorded, and the partition and
 * session progress moved from the values read (`expected…`) to the new ones. Either all of it is written or
 * none, so a crash at any point leaves the ledger at a step boundary and a redelivery resumes from there.
 */
export interface LedgerCommit {
  readonly ref: PartitionRef;
  readonly expectedLastOffset: number | undefined;
  readonly lastOffset: number;
  readonly sessions: readonly SequenceAdvance[];
  readonly applied: readonly AppliedEntry[];
  readonly deadLetters: readonly DeadLetterEntry[];
}

/** DynamoDB's limit on actions in one TransactWriteItems call (DynamoDB API reference, TransactWriteItems). */
export const MAX_COMMIT_ITEMS = 100;
/**
 * DynamoDB's limit on the aggregate size of one transaction's items (4 MB), with room for the estimate. A
 * single item over DynamoDB's 400 KB cannot be split: DynamoDB refuses it, and that record is dead-lettered.
 */
export const MAX_COMMIT_BYTES = 3_500_000;
/** DynamoDB's limit on keys in one BatchGetItem call. */
const MAX_BATCH_GET_KEYS = 100;
const MAX_UNPROCESSED_ROUNDS = 8;

/**
 * Bytes a step's entries take in DynamoDB (attribute names and values, DynamoDB developer guide, "Item
 * sizes"), estimated from the items the commit writes; numbers count as their worst case, 21 bytes.
 */
export function appliedEntryBytes(ref: PartitionRef, entry: AppliedEntry): number {
  return itemBytes(appliedItem(ref, entry, ESTIMATE_TIME));
}

/** Bytes one effect write adds to a step at most (an item written by several events counts each time). */
export function effectWriteBytes(write: EffectWrite): number {
  return itemBytes({ ...write.key, ...write.add, ...write.set });
}

export function deadLetterEntryBytes(ref: PartitionRef, entry: DeadLetterEntry): number {
  return itemBytes(deadLetterItem(ref, entry, ESTIMATE_TIME));
}

const ESTIMATE_TIME = '2000-01-01T00:00:00.000Z';

function itemBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return 21;
  if (typeof value === 'boolean' || value === undefined || value === null) return 1;
  let size = 3;
  for (const [name, inner] of Object.entries(value as Record<string, unknown>)) {
    size += Buffer.byteLength(name) + itemBytes(inner);
  }
  return size;
}

export interface Ledger {
  /** The partition's progress and sessions, the event ids asked for, and what it holds of `lookups`. */
  loadPartition(
    ref: PartitionRef,
    eventIds: readonly string[],
    producerSessions: readonly string[],
    lookups?: readonly RecordLookup[],
  ): Promise<PartitionSnapshot>;
  /**
   * Writes the step atomically. LedgerConflictError when the state moved since it was read,
   * LedgerUnavailableError when it may succeed later (throttling, conflicts, network), LedgerRejectedError
   * when DynamoDB refuses it for good.
   */
  commit(commit: LedgerCommit): Promise<void>;
  /** Records that the letters of these dead letters were published (so a redelivery does not send them again). */
  markLettersSent(ref: PartitionRef, letters: readonly RecordedLetter[]): Promise<void>;
}

/** The ledger on a DynamoDB table with string keys `pk` and `sk` (see keys.ts for the item layout). */
export class DynamoDbLedger implements Ledger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async loadPartition(
    ref: PartitionRef,
    eventIds: readonly string[],
    producerSessions: readonly string[],
    lookups: readonly RecordLookup[] = [],
  ): Promise<PartitionSnapshot> {
    const ids = new Set(eventIds);
    for (const lookup of lookups) if (lookup.eventId !== undefined) ids.add(lookup.eventId);
    const keys = [
      partitionProgressKey(ref),
      ...[...new Set(producerSessions)].map((session) => sessionProgressKey(session, ref)),
      ...[...ids].map(appliedEventKey),
      ...lookups.flatMap((lookup) => [
        deadLetterKey(lookup.eventId, ref, lookup.offset),
        deadLetterKey(lookup.eventId, ref, lookup.offset, true),
      ]),
    ];
    const chunks: LedgerKey[][] = [];
    for (let start = 0; start < keys.length; start += MAX_BATCH_GET_KEYS) {
      chunks.push(keys.slice(start, start + MAX_BATCH_GET_KEYS));
    }
    const items = (await Promise.all(chunks.map((chunk) => this.getItems(chunk)))).flat();

    let lastOffset: number | undefined;
    const lastSequences = new Map<string, number>();
    const applied = new Map<string, AppliedLocation>();
    const deadLettered = new Set<number>();
    const pendingLetters: RecordedLetter[] = [];
    const progress = partitionProgressKey(ref);
    for (const item of items) {
      if (item.pk === progress.pk && item.sk === PROGRESS_SORT_KEY) {
        lastOffset = Number(item.lastOffset);
      } else if (item.sk === APPLIED_SORT_KEY) {
        applied.set(String(item.eventId), itemLocation(item));
      } else if (String(item.pk).startsWith('SESSION#')) {
        lastSequences.set(String(item.producerSession), Number(item.lastSequence));
      } else if (item.kind === 'dead-letter') {
        const offset = Number(item.offset);
        if (item.reason !== 'GAP') deadLettered.add(offset);
        if (item.letter === LETTER_PENDING) {
          pendingLetters.push({
            eventId: item.eventId === undefined ? undefined : String(item.eventId),
            offset,
            reason: String(item.reason),
            detail: String(item.detail),
          });
        }
      }
    }
    const handled = new Set<number>();
    for (const lookup of lookups) {
      const at = lookup.eventId === undefined ? undefined : applied.get(lookup.eventId);
      const appliedHere =
        at?.topic === ref.topic && at.partition === ref.partition && at.offset === lookup.offset;
      if (appliedHere || deadLettered.has(lookup.offset)) handled.add(lookup.offset);
    }
    // In offset order, a record's GAP before its own letter (the order the step published them in).
    pendingLetters.sort(
      (a, b) => a.offset - b.offset || Number(b.reason === 'GAP') - Number(a.reason === 'GAP'),
    );
    return {
      lastOffset,
      lastSequences,
      applied,
      handled: lookups.length > 0 ? handled : undefined,
      pendingLetters,
    };
  }

  async commit(commit: LedgerCommit): Promise<void> {
    const described: string[] = [];
    /** The record offset each action writes for (undefined: a progress item). */
    const offsets: (number | undefined)[] = [];
    const actions: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
    const now = new Date().toISOString();
    const name = partitionName(commit.ref);

    for (const entry of commit.applied) {
      described.push(`event ${entry.eventId} is already applied`);
      offsets.push(entry.offset);
      actions.push({
        Put: {
          TableName: this.tableName,
          Item: appliedItem(commit.ref, entry, now),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    for (const entry of commit.deadLetters) {
      described.push(`${entry.reason} dead letter of ${name}@${entry.offset} is already recorded`);
      offsets.push(entry.offset);
      // Conditional: a record's verdict is recorded once; a second writer re-reads and finds it handled.
      actions.push({
        Put: {
          TableName: this.tableName,
          Item: deadLetterItem(commit.ref, entry, now),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    const effects = mergeEffects(
      commit.applied.flatMap((entry) =>
        (entry.effects ?? []).map((write) => ({ offset: entry.offset, write })),
      ),
    );
    for (const effect of effects) {
      described.push(`effect on ${effect.key.pk} / ${effect.key.sk} (offsets ${effect.offsets.join(', ')})`);
      // A refusal names the record only when one record wrote the item; otherwise the step is bisected.
      offsets.push(effect.offsets.length === 1 ? effect.offsets[0] : undefined);
      actions.push(effectAction(this.tableName, effect));
    }
    for (const session of commit.sessions) {
      described.push(`producer session ${session.producerSession} on ${name} moved past ${session.expected}`);
      offsets.push(undefined);
      actions.push(
        progressWrite(this.tableName, sessionProgressKey(session.producerSession, commit.ref), {
          attribute: 'lastSequence',
          expected: session.expected,
          next: session.last,
          item: {
            producerSession: session.producerSession,
            topic: commit.ref.topic,
            partition: commit.ref.partition,
          },
          now,
        }),
      );
    }
    described.push(`${name} progress moved past offset ${commit.expectedLastOffset}`);
    offsets.push(undefined);
    actions.push(
      progressWrite(this.tableName, partitionProgressKey(commit.ref), {
        attribute: 'lastOffset',
        expected: commit.expectedLastOffset,
        next: commit.lastOffset,
        item: { topic: commit.ref.topic, partition: commit.ref.partition },
        now,
      }),
    );

    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: actions }));
    } catch (error) {
      throw commitError(
        error,
        `ledger step for ${name} up to offset ${commit.lastOffset}`,
        described,
        offsets,
      );
    }
  }

  async markLettersSent(ref: PartitionRef, letters: readonly RecordedLetter[]): Promise<void> {
    await Promise.all(
      letters.map((letter) =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: deadLetterKey(letter.eventId, ref, letter.offset, letter.reason === 'GAP'),
            UpdateExpression: 'SET letter = :sent',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':sent': LETTER_SENT },
          }),
        ),
      ),
    );
  }

  private async getItems(keys: readonly LedgerKey[]): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    let pending: readonly LedgerKey[] = keys;
    for (let round = 0; pending.length > 0; round += 1) {
      if (round === MAX_UNPROCESSED_ROUNDS) {
        throw new LedgerUnavailableError(
          `ledger read left ${pending.length} key(s) unprocessed after ${MAX_UNPROCESSED_ROUNDS} rounds`,
        );
      }
      if (round > 0) await delay(10 * 2 ** round); // BatchGetItem: retry unprocessed keys with back-off
      let answer: BatchGetCommandOutput;
      try {
        answer = await this.client.send(
          new BatchGetCommand({
            // Strongly consistent: a read that missed the last commit could apply an event twice.
            RequestItems: { [this.tableName]: { Keys: [...pending], ConsistentRead: true } },
          }),
        );
      } catch (error) {
        throw new LedgerUnavailableError(`ledger read failed: ${errorMessage(error)}`, { cause: error });
      }
      found.push(...(answer.Responses?.[this.tableName] ?? []));
      pending = (answer.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as unknown as LedgerKey[];
    }
    return found;
  }
}

/**
 * The item that proves an event applied: the ledger's own attributes (id, coordinates, origin) and the event
 * nested under `event`, so no event field can overwrite them whatever it is called.
 */
function appliedItem(ref: PartitionRef, entry: AppliedEntry, now: string): Record<string, unknown> {
  return {
    ...appliedEventKey(entry.eventId),
    kind: 'applied',
    eventId: entry.eventId,
    topic: ref.topic,
    partition: ref.partition,
    offset: entry.offset,
    producerSession: entry.origin.producerSession,
    partitionSequence: entry.origin.partitionSequence,
    recordTimestamp: entry.recordTimestamp,
    appliedAt: now,
    event: entry.event,
  };
}

/** A dead letter's `letter` attribute: pending until its letter is published after the commit. */
const LETTER_PENDING = 'pending';
const LETTER_SENT = 'sent';

function deadLetterItem(ref: PartitionRef, entry: DeadLetterEntry, now: string): Record<string, unknown> {
  return {
    ...deadLetterKey(entry.eventId, ref, entry.offset, entry.reason === 'GAP'),
    kind: 'dead-letter',
    eventId: entry.eventId,
    topic: ref.topic,
    partition: ref.partition,
    offset: entry.offset,
    reason: entry.reason,
    detail: entry.detail,
    applied: entry.applied,
    letter: LETTER_PENDING,
    producerSession: entry.origin?.producerSession,
    partitionSequence: entry.origin?.partitionSequence,
    recordedAt: now,
  };
}

/** Moves a progress counter with optimistic concurrency: from exactly the value read, or from nothing. */
function progressWrite(
  tableName: string,
  key: LedgerKey,
  change: {
    attribute: 'lastOffset' | 'lastSequence';
    expected: number | undefined;
    next: number;
    item: Record<string, unknown>;
    now: string;
  },
): NonNullable<TransactWriteCommandInput['TransactItems']>[number] {
  if (change.expected === undefined) {
    return {
      Put: {
        TableName: tableName,
        Item: { ...key, ...change.item, [change.attribute]: change.next, updatedAt: change.now },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }
  return {
    Update: {
      TableName: tableName,
      Key: key,
      UpdateExpression: 'SET #counter = :next, updatedAt = :now',
      ConditionExpression: '#counter = :expected',
      ExpressionAttributeNames: { '#counter': change.attribute },
      ExpressionAttributeValues: { ':next': change.next, ':expected': change.expected, ':now': change.now },
    },
  };
}

/** Cancellation reason codes that pass: wait, read again and redo (DynamoDB API reference, TransactWriteItems). */
const TRANSIENT_CANCELLATIONS = new Set([
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'TransactionConflict',
]);

/**
 * A failed TransactWriteItems by cause: ValidationError reasons or a ValidationException are permanent
 * (LedgerRejectedError naming the records when DynamoDB said which action); throttling and transaction
 * conflicts are transient (LedgerUnavailableError); ConditionalCheckFailed means the state moved
 * (LedgerConflictError); anything else (network, 5xx, a missing table) is transient too.
 */
function commitError(
  error: unknown,
  step: string,
  described: readonly string[],
  offsets: readonly (number | undefined)[],
): Error {
  if (error instanceof TransactionCanceledException) {
    const reasons = error.CancellationReasons ?? [];
    const named = (code: (c: string) => boolean) =>
      reasons.flatMap((reason, index) =>
        reason.Code && code(reason.Code)
          ? [
              {
                index,
                text: `${described[index] ?? `action ${index}`} (${reason.Code}${reason.Message ? `: ${reason.Message}` : ''})`,
              },
            ]
          : [],
      );
    const invalid = named((code) => code === 'ValidationError');
    if (invalid.length > 0) {
      const refused = invalid.map(({ index }) => offsets[index]);
      return new LedgerRejectedError(
        `${step} was refused: ${invalid.map((r) => r.text).join('; ')}`,
        refused.every((offset) => offset !== undefined) ? (refused as number[]) : undefined,
        { cause: error },
      );
    }
    const transient = named((code) => TRANSIENT_CANCELLATIONS.has(code));
    const conflicts = named((code) => code === 'ConditionalCheckFailed');
    if (transient.length > 0 || conflicts.length === 0) {
      return new LedgerUnavailableError(
        `${step} was cancelled for now: ${transient.map((r) => r.text).join('; ') || error.message}`,
        { cause: error },
      );
    }
    const texts = conflicts.map((r) => r.text);
    return new LedgerConflictError(`${step} was cancelled: ${texts.join('; ')}`, texts, { cause: error });
  }
  if (error instanceof Error && error.name === 'ValidationException') {
    return new LedgerRejectedError(`${step} was refused: ${errorMessage(error)}`, undefined, {
      cause: error,
    });
  }
  return new LedgerUnavailableError(`${step} failed: ${errorMessage(error)}`, { cause: error });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
