import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { type DynaliteStore, dynaliteDb, isOperation, type Request, runAction } from './dynalite';
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

export interface LedgerStoreOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Folder for a persistent LevelDB store; in memory when omitted. */
  readonly path?: string;
}

/** Which transactions fail on purpose: lets tests stop the ledger at a chosen point of the consume flow. */
export interface TransactionFault {
  /** `before`: nothing is written and the call fails; `after`: everything is written, then the call fails. */
  readonly when: 'before' | 'after';
  /** How many TransactWriteItems calls fail. */
  readonly times: number;
  /** How many calls succeed first (default 0: the next call fails). */
  readonly skip?: number;
}

export interface LedgerStore {
  /** http://127.0.0.1:<port>, for DYNAMODB_ENDPOINT. */
  readonly endpoint: string;
  readonly port: number;
  /** Makes the next TransactWriteItems calls answer a 500 InternalServerError, before or after applying. */
  failTransactions(fault: TransactionFault): void;
  /** How many TransactWriteItems calls were committed (for tests and benchmarks). */
  readonly committedTransactions: number;
  close(): Promise<void>;
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
  let fault: { when: 'before' | 'after'; skip: number; left: number } | undefined;
  let committed = 0;

  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  const handle = async (operation: string, request: Request): Promise<Reply> => {
    if (operation === 'TransactWriteItems') {
      let injected: typeof fault;
      if (fault && fault.skip > 0) fault.skip -= 1;
      else if (fault && fault.left > 0) {
        fault.left -= 1;
        injected = fault;
      }
      if (injected?.when === 'before') return injectedFailure();
      const reply = await transactWriteItems(store, request);
      if (reply.status === 200) committed += 1;
      if (injected?.when === 'after') return injectedFailure();
      return reply;
    }
    if (!isOperation(operation)) {
      return errorReply(400, 'com.amazon.coral.service#UnknownOperationException', operation);
    }
    return toReply(await runAction(store, operation, request));
  };

  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        let request: Request;
        try {
          request = JSON.parse(body || '{}') as Request;
        } catch {
          return send(res, errorReply(400, 'com.amazon.coral.service#SerializationException', 'bad JSON'));
        }
        return serialised(() => handle(operation, request)).then((reply) => send(res, reply));
      })
      .catch((error: unknown) => send(res, errorReply(500, 'InternalServerError', String(error))));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    // EADDRINUSE and the like go to the caller as they are (the local pipeline names the port in use).
    await new Promise<void>((resolve) => store.db.close(() => resolve()));
    throw error;
  }
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    failTransactions(next) {
      fault = { when: next.when, skip: next.skip ?? 0, left: next.times };
    },
    get committedTransactions() {
      return committed;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await serialised(() => new Promise<void>((resolve) => store.db.close(() => resolve())));
    },
  };
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

function injectedFailure(): Reply {
  return errorReply(
    500,
    'com.amazonaws.dynamodb.v20120810#InternalServerError',
    'TransactWriteItems failed on purpose (fault injected by the local ledger store)',
  );
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
