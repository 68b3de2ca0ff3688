import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, MSKRecord } from 'aws-lambda';
import type { DeadLetter, DeadLetterSink } from '../../../functions/consume/dead-letters';
import { eventDefinition } from '../../../functions/event/definition';
import { createLedgerClient } from '../../../functions/ledger/client';
import type { Ledger, LedgerCommit } from '../../../functions/ledger/ledger';
import { appNames } from '../../../functions/shared/app-names';
import type { EventOf } from '../../../functions/shared/event-definition';
import { ensureLedgerTable, type LedgerStore } from '../../../local/ledger-store';
import { startLedgerBackend } from '../../helpers/ledger-backend';
import { eventRecord, type RecordPlacement } from '../../helpers/msk-events';

export {
  eventRecord,
  mskEvent,
  mskRecord,
  type RecordPlacement,
  type RecordSpec,
  signedBytes,
} from '../../helpers/msk-events';

/** The pipeline's topic, from its application name: the records of these tests sit on it. */
export const topic = appNames().topic;

/** A partition's name as the event source mapping groups records and the consumer names them: `<topic>-0`. */
export function partitionName(partition: number): string {
  return `${topic}-${partition}`;
}

/** A valid event of the pipeline's own definition with this id (its sample). */
export function sampleEvent(eventId: string): EventOf<typeof eventDefinition> {
  return eventDefinition.sample(eventId, eventId.length % 3);
}

/** An event the definition's schema refuses although it carries its id: the id field alone. */
export function invalidEvent(eventId: string): Record<string, string> {
  return { [eventDefinition.idField]: eventId };
}

/** The first field the schema names when it refuses `invalidEvent`: what an INVALID detail starts with. */
export function invalidEventField(eventId: string): string {
  const result = eventDefinition.schema.safeParse(invalidEvent(eventId));
  const path = result.success ? undefined : result.error.issues[0]?.path.join('.');
  if (path === undefined) throw new Error(`the schema accepts ${JSON.stringify(invalidEvent(eventId))}`);
  return path;
}

/**
 * A record of the pipeline's own event type with this id: its sample event unless one is given, and `value`
 * in place of the event's JSON (a record the consumer must refuse).
 */
export function sampleRecord(
  spec: RecordPlacement & {
    readonly eventId: string;
    readonly event?: EventOf<typeof eventDefinition>;
    readonly value?: string;
  },
): MSKRecord {
  return eventRecord(eventDefinition, spec.event ?? sampleEvent(spec.eventId), spec);
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'consume',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:consume',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/consume',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function quietObservability(): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: 'consume', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: appNames().metricsNamespace, serviceName: 'consume' }),
  };
}

/** An in-process dead-letter sink for tests that do not need a broker; it can be told to fail. */
export class MemoryDeadLetterSink implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  failing = false;
  publishes = 0;

  async publish(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    this.publishes += 1;
    if (this.failing) throw new Error('dead-letter sink unavailable (test)');
    this.letters.push(...letters);
  }
}

export interface TestLedger {
  readonly store: LedgerStore;
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Creates another empty ledger table on the same store and returns its name (a test of its own state). */
  freshTable(): Promise<string>;
  /** Every item of the table (default: this ledger's), sorted by key: two dumps are equal when the ledgers are. */
  dump(tableName?: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** A fresh table on a fresh embedded store (each test file gets its own store on an ephemeral port). */
export async function startTestLedger(options: { maxAttempts?: number } = {}): Promise<TestLedger> {
  const store = await startLedgerBackend();
  const client = createLedgerClient({ endpoint: store.endpoint, maxAttempts: options.maxAttempts ?? 1 });
  const freshTable = async () => {
    const name = `ledger-${randomUUID()}`;
    await ensureLedgerTable(client, name);
    return name;
  };
  const tableName = await freshTable();
  return {
    store,
    client,
    tableName,
    freshTable,
    async dump(table = tableName) {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
    },
    async close() {
      client.destroy();
      await store.close();
    },
  };
}

export function itemsOfKind(
  items: readonly Record<string, unknown>[],
  kind: string,
): Record<string, unknown>[] {
  return items.filter((item) => item.kind === kind);
}

/**
 * The real ledger with a hook that runs before each commit: another writer getting in between, or a failure
 * the embedded store cannot produce (throttling, a refusal) thrown from the hook.
 */
export class InterposedLedger implements Ledger {
  constructor(
    private readonly inner: Ledger,
    private readonly before: (commit: LedgerCommit, count: number) => Promise<void>,
  ) {}
  private commits = 0;
  loadPartition: Ledger['loadPartition'] = (...args) => this.inner.loadPartition(...args);
  markLettersSent: Ledger['markLettersSent'] = (...args) => this.inner.markLettersSent(...args);
  async commit(commit: LedgerCommit): Promise<void> {
    this.commits += 1;
    await this.before(commit, this.commits);
    await this.inner.commit(commit);
  }
}
