import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { LedgerUnavailableError } from './errors';
import { APPLIED_SORT_KEY, DEAD_LETTER_PREFIX, eventPartitionKey } from './keys';
import { type AppliedLocation, itemLocation } from './ledger';

export interface DeadLetterSummary extends AppliedLocation {
  readonly reason: string;
  readonly detail: string | undefined;
  readonly recordedAt: string | undefined;
}

/** What the ledger says about one event id. */
export type EventStatus =
  | {
      readonly status: 'applied';
      readonly eventId: string;
      readonly appliedAt: AppliedLocation & { readonly at: string | undefined };
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

/**
 * Reads every ledger item of one event id with a single strongly consistent Query on its partition key: the
 * applied item and any dead letters keyed by the same id (the layout is defined in keys.ts and ledger.ts).
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
        ...itemLocation(item),
        reason: String(item.reason),
        detail: item.detail === undefined ? undefined : String(item.detail),
        recordedAt: item.recordedAt === undefined ? undefined : String(item.recordedAt),
      }),
    );
  const applied = items.find((item) => item.sk === APPLIED_SORT_KEY);
  if (applied) {
    const at = applied.appliedAt === undefined ? undefined : String(applied.appliedAt);
    return { status: 'applied', eventId, appliedAt: { ...itemLocation(applied), at }, deadLetters };
  }
  if (deadLetters.length > 0) return { status: 'dead-lettered', eventId, deadLetters };
  return { status: 'unknown', eventId };
}
