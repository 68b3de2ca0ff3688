import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { PaymentEvent } from '../shared/payment-event';
import { LedgerConflictError, LedgerUnavailableError } from './errors';
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
}

export interface AppliedEntry {
  readonly eventId: string;
  readonly event: PaymentEvent;
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
  /** True for a gap: the record itself was applied, the anomaly is the missing range before it. */
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
/** DynamoDB's limit on keys in one BatchGetItem call. */
const MAX_BATCH_GET_KEYS = 100;
const MAX_UNPROCESSED_ROUNDS = 8;

export function commitItemCount(commit: Pick<LedgerCommit, 'sessions' | 'applied' | 'deadLetters'>): number {
  return 1 + commit.sessions.length + commit.applied.length + commit.deadLetters.length;
}

export interface Ledger {
  loadPartition(
    ref: PartitionRef,
    eventIds: readonly string[],
    producerSessions: readonly string[],
  ): Promise<PartitionSnapshot>;
  /** Writes the step atomically; LedgerConflictError when the state moved since it was read. */
  commit(commit: LedgerCommit): Promise<void>;
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
  ): Promise<PartitionSnapshot> {
    const keys = [
      partitionProgressKey(ref),
      ...[...new Set(producerSessions)].map((session) => sessionProgressKey(session, ref)),
      ...[...new Set(eventIds)].map(appliedEventKey),
    ];
    const chunks: LedgerKey[][] = [];
    for (let start = 0; start < keys.length; start += MAX_BATCH_GET_KEYS) {
      chunks.push(keys.slice(start, start + MAX_BATCH_GET_KEYS));
    }
    const items = (await Promise.all(chunks.map((chunk) => this.getItems(chunk)))).flat();

    let lastOffset: number | undefined;
    const lastSequences = new Map<string, number>();
    const applied = new Map<string, AppliedLocation>();
    const progress = partitionProgressKey(ref);
    for (const item of items) {
      if (item.pk === progress.pk && item.sk === PROGRESS_SORT_KEY) {
        lastOffset = Number(item.lastOffset);
      } else if (item.sk === APPLIED_SORT_KEY) {
        applied.set(String(item.eventId), itemLocation(item));
      } else if (String(item.pk).startsWith('SESSION#')) {
        lastSequences.set(String(item.producerSession), Number(item.lastSequence));
      }
    }
    return { lastOffset, lastSequences, applied };
  }

  async commit(commit: LedgerCommit): Promise<void> {
    const described: string[] = [];
    const actions: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
    const now = new Date().toISOString();
    const name = partitionName(commit.ref);

    for (const entry of commit.applied) {
      described.push(`event ${entry.eventId} is already applied`);
      actions.push({
        Put: {
          TableName: this.tableName,
          Item: appliedItem(commit.ref, entry, now),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    for (const entry of commit.deadLetters) {
      described.push(`dead letter of ${name}@${entry.offset}`);
      // No condition: the key is the record's coordinates, so writing it again writes the same thing.
      actions.push({ Put: { TableName: this.tableName, Item: deadLetterItem(commit.ref, entry, now) } });
    }
    for (const session of commit.sessions) {
      described.push(`producer session ${session.producerSession} on ${name} moved past ${session.expected}`);
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
      if (error instanceof TransactionCanceledException) {
        const conflicts = (error.CancellationReasons ?? []).flatMap((reason, index) =>
          reason.Code && reason.Code !== 'None'
            ? [`${described[index] ?? `action ${index}`} (${reason.Code})`]
            : [],
        );
        throw new LedgerConflictError(
          `ledger step for ${name} up to offset ${commit.lastOffset} was cancelled: ${conflicts.join('; ') || error.message}`,
          conflicts,
          { cause: error },
        );
      }
      throw new LedgerUnavailableError(
        `ledger step for ${name} up to offset ${commit.lastOffset} failed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
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

function appliedItem(ref: PartitionRef, entry: AppliedEntry, now: string): Record<string, unknown> {
  return {
    ...appliedEventKey(entry.eventId),
    kind: 'applied',
    topic: ref.topic,
    partition: ref.partition,
    offset: entry.offset,
    producerSession: entry.origin.producerSession,
    partitionSequence: entry.origin.partitionSequence,
    recordTimestamp: entry.recordTimestamp,
    appliedAt: now,
    ...entry.event,
  };
}

function deadLetterItem(ref: PartitionRef, entry: DeadLetterEntry, now: string): Record<string, unknown> {
  return {
    ...deadLetterKey(entry.eventId, ref, entry.offset),
    kind: 'dead-letter',
    eventId: entry.eventId,
    topic: ref.topic,
    partition: ref.partition,
    offset: entry.offset,
    reason: entry.reason,
    detail: entry.detail,
    applied: entry.applied,
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

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
