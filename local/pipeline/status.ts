import { type DynamoDBDocumentClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Admin } from 'kafkajs';
import { APPLIED_SORT_KEY, DEAD_LETTER_PREFIX } from '../../functions/ledger/keys';
import { consumerLag, type TopicOffsets } from '../event-source';
import { retryPassingKafkaErrors } from '../kafka-retry';

export interface LedgerCounts {
  readonly applied: number;
  readonly deadLettered: number;
  /** Dead letters per anomaly reason (DUPLICATE, MALFORMED, …). */
  readonly deadLetteredByReason: Readonly<Record<string, number>>;
}

export interface LedgerTally extends LedgerCounts {
  readonly appliedEventIds: ReadonlySet<string>;
  /** Dead letters whose event id is applied: later copies of an event, caught by the consumer. */
  readonly deadLetteredCopies: number;
}

/**
 * Tallies applied events and dead letters with a paginated Scan that reads only the sort key, the event id
 * and the reason. A Scan reads the whole table: fine for a local store, a status line and the demo, never
 * for the deployed ledger.
 */
export async function tallyLedger(client: DynamoDBDocumentClient, tableName: string): Promise<LedgerTally> {
  const appliedEventIds = new Set<string>();
  const deadLetterEventIds: string[] = [];
  const deadLetteredByReason: Record<string, number> = {};
  let applied = 0;
  let deadLettered = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page: ScanCommandOutput = await client.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: 'sk, eventId, #reason',
        ExpressionAttributeNames: { '#reason': 'reason' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const sortKey = String(item.sk);
      if (sortKey === APPLIED_SORT_KEY) {
        applied++;
        appliedEventIds.add(String(item.eventId));
      } else if (sortKey.startsWith(DEAD_LETTER_PREFIX)) {
        deadLettered++;
        if (item.eventId !== undefined) deadLetterEventIds.push(String(item.eventId));
        const reason = String(item.reason ?? 'UNKNOWN');
        deadLetteredByReason[reason] = (deadLetteredByReason[reason] ?? 0) + 1;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const deadLetteredCopies = deadLetterEventIds.filter((eventId) => appliedEventIds.has(eventId)).length;
  return { applied, deadLettered, deadLetteredByReason, appliedEventIds, deadLetteredCopies };
}

/** Records still in the log: high watermark minus log start, summed over the partitions. */
function recordCount(offsets: TopicOffsets): number {
  return offsets.reduce((sum, partition) => sum + Number(BigInt(partition.high) - BigInt(partition.low)), 0);
}

/** Records ever written to the topic that are still in the log. */
export async function recordsInTopic(admin: Admin, topic: string): Promise<number> {
  return recordCount(await admin.fetchTopicOffsets(topic));
}

export interface PipelineStatus extends LedgerCounts {
  /** Records in the payments topic. */
  readonly ingested: number;
  /** Records of the payments topic the event source has not committed yet. */
  readonly consumerLag: number;
  /** HTTP requests answered since start, by class. */
  readonly requests: { readonly ok: number; readonly rejected: number; readonly failed: number };
  /** Records sent to the on-failure destination since start. */
  readonly sentToDestination: number;
}

export interface StatusSources {
  readonly admin: Admin;
  readonly ledger: DynamoDBDocumentClient;
  readonly ledgerTable: string;
  readonly topic: string;
  readonly groupId: string;
  readonly requests: () => PipelineStatus['requests'];
  readonly sentToDestination: () => number;
}

/** A ledger count is reused while the topic and the group's commits stay the same, at most this long. */
const LEDGER_COUNT_MAX_AGE_MS = 10_000;

/**
 * Reads the pipeline's counts. The ledger Scan runs again only when the topic grew or the group committed
 * (the ledger only changes before a commit), or when the last count is old, so an idle status line costs
 * two small Kafka requests. The offsets are read before the Scan so a count is never older than them.
 */
export function statusReader(sources: StatusSources): () => Promise<PipelineStatus> {
  let cached: { key: string; at: number; counts: LedgerCounts } | undefined;
  return async () => {
    const [ingested, lag] = await retryPassingKafkaErrors('reading the topic and group offsets', () => {
      // One offsets lookup serves both counts, so they describe the same moment.
      const topicOffsets = sources.admin.fetchTopicOffsets(sources.topic);
      return Promise.all([
        topicOffsets.then(recordCount),
        consumerLag(sources.admin, sources.groupId, sources.topic, topicOffsets),
      ]);
    });
    const key = `${ingested}/${lag}`;
    if (!cached || cached.key !== key || Date.now() - cached.at > LEDGER_COUNT_MAX_AGE_MS) {
      const { applied, deadLettered, deadLetteredByReason } = await tallyLedger(
        sources.ledger,
        sources.ledgerTable,
      );
      cached = { key, at: Date.now(), counts: { applied, deadLettered, deadLetteredByReason } };
    }
    return {
      ingested,
      consumerLag: Number(lag),
      ...cached.counts,
      requests: { ...sources.requests() },
      sentToDestination: sources.sentToDestination(),
    };
  };
}

/** One line: "ingested 120 · applied 118 · dead-lettered 2 · lag 0 · HTTP 2xx 130 4xx 1 5xx 0". */
export function formatStatusLine(status: PipelineStatus): string {
  const parts = [
    `ingested ${status.ingested}`,
    `applied ${status.applied}`,
    `dead-lettered ${status.deadLettered}`,
    `lag ${status.consumerLag}`,
    `HTTP 2xx ${status.requests.ok} 4xx ${status.requests.rejected} 5xx ${status.requests.failed}`,
  ];
  if (status.sentToDestination > 0) parts.push(`on-failure ${status.sentToDestination}`);
  return parts.join(' · ');
}
