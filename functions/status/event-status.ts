import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { LedgerUnavailableError } from '../ledger/errors';
import { APPLIED_SORT_KEY, DEAD_LETTER_PREFIX, eventPartitionKey } from '../ledger/keys';

export interface RecordLocation {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface DeadLetterSummary extends RecordLocation {
  readonly reason: string;
  readonly detail: string | undefined;
  readonly recordedAt: string | undefined;
}

/** What the ledger says about one event id. */
export type EventStatus =
  | {
      readonly status: 'applied';
      readonly eventId: string;
      readonly appliedAt: RecordLocation & { readonly at: string | undefined };
      /** Later copies of the same event the consumer caught (duplicates), if any. */
      readonly deadLetters: readonly DeadLetterSummary[];
    }
  | {
      readonly status: 'dead-lettered';
      readonly eventId: string;
      readonly deadLetters: readonly DeadLetterSummary[];
    }
  | { readonly status: 'unknown'; readonly eventId: string };

type Item = Record<string, unknown>;

function location(item: Item): RecordLocation {
  return { topic: String(item.topic), partition: Number(item.partition), offset: Number(item.offset) };
}

/**
 * Reads every ledger item of one event id with a single strongly consistent Query on its partition key: the
 * applied item and any dead letters keyed by the same id (the layout is defined in functions/ledger/keys.ts).
 */
export async function readEventStatus(
  client: DynamoDBDocumentClient,
  tableName: string,
  eventId: string,
): Promise<EventStatus> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    let page: QueryCommandOutput;
    try {
      page = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': eventPartitionKey(eventId) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
    } catch (error) {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new LedgerUnavailableError(`reading event ${eventId} from ${tableName} failed: ${detail}`, {
        cause: error,
      });
    }
    items.push(...((page.Items ?? []) as Item[]));
    startKey = page.LastEvaluatedKey as Item | undefined;
  } while (startKey);

  const deadLetters = items
    .filter((item) => String(item.sk).startsWith(DEAD_LETTER_PREFIX))
    .map(
      (item): DeadLetterSummary => ({
        ...location(item),
        reason: String(item.reason),
        detail: item.detail === undefined ? undefined : String(item.detail),
        recordedAt: item.recordedAt === undefined ? undefined : String(item.recordedAt),
      }),
    );
  const applied = items.find((item) => item.sk === APPLIED_SORT_KEY);
  if (applied) {
    const at = applied.appliedAt === undefined ? undefined : String(applied.appliedAt);
    return { status: 'applied', eventId, appliedAt: { ...location(applied), at }, deadLetters };
  }
  if (deadLetters.length > 0) return { status: 'dead-lettered', eventId, deadLetters };
  return { status: 'unknown', eventId };
}
