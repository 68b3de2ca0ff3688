import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { type DynaliteStore, dynaliteDb, isOperation, type Request, runAction } from './dynalite';
import { type LedgerStore, startFront } from './front';
import { errorReply, type Reply, toReply, transactWriteItems } from './transact-write-items';

/**
 * The embedded ledger store: dynalite (a DynamoDB implementation on LevelDB) run in this process behind a
 * small HTTP front that the real @aws-sdk/client-dynamodb talks to.
 *
 * dynalite implements the single-item operations but not TransactWriteItems, which the ledger needs to apply
 * an event and advance the partition state atomically. The front adds it (transact-write-items.ts): every
 * request runs one at a time (a single queue), so a transaction is isolated, and its writes go to disk in one
 * LevelDB batch, so it is all-or-nothing even across a kill -9. DynamoDB itself is the production store.
 */

export { startForwardingLedgerStore } from './forwarding';
export type { LedgerStore, TransactionFault } from './front';

export interface LedgerStoreOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Folder for a persistent LevelDB store; in memory when omitted. */
  readonly path?: string;
}

export async function startLedgerStore(options: LedgerStoreOptions = {}): Promise<LedgerStore> {
  const store: DynaliteStore = dynaliteDb.create({
    ...(options.path ? { path: options.path } : {}),
    // Tables are usable at once: there is no provisioning to wait for locally.
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  const answer = async (operation: string, request: Request): Promise<Reply> => {
    if (operation === 'TransactWriteItems') return transactWriteItems(store, request);
    if (!isOperation(operation)) {
      return errorReply(400, 'com.amazon.coral.service#UnknownOperationException', operation);
    }
    return toReply(await runAction(store, operation, request));
  };

  return startFront({
    port: options.port ?? 0,
    answer: (operation, request) => serialised(() => answer(operation, request)),
    closed: () => serialised(() => new Promise<void>((resolve) => store.db.close(() => resolve()))),
  });
}

/**
 * Creates the ledger table (partition key `pk`, sort key `sk`, on demand) unless it exists, and waits until
 * it is ACTIVE: CreateTable answers while the table is still CREATING, and items cannot be written before.
 */
export async function ensureLedgerTable(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  let status = await tableStatus(client, tableName);
  if (status === undefined) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
    } catch (error) {
      // Another process created it between the two calls.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (let wait = 5; status !== 'ACTIVE'; wait = Math.min(wait * 2, 500)) {
    if (Date.now() > deadline) {
      throw new Error(
        `table ${tableName} is ${status ?? 'missing'}, not ACTIVE, after ${options.timeoutMs ?? 60_000} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    status = await tableStatus(client, tableName);
  }
}

async function tableStatus(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
): Promise<string | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
