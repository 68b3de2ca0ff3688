import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';

/**
 * The embedded ledger store: dynalite (a DynamoDB implementation on LevelDB) run in this process behind a
 * small HTTP front that the real @aws-sdk/client-dynamodb talks to.
 *
 * dynalite implements the single-item operations but not TransactWriteItems, which the ledger needs to apply
 * an event and advance the partition state atomically. The front adds it: every request runs one at a time
 * (a single queue), so a transaction applies its items through dynalite's own conditional operations and, if
 * any condition fails, restores the images it replaced before anyone else can read or write. This is atomic
 * and isolated for the clients of this process; a kill -9 in the middle of a transaction on a persistent store
 * could leave it half applied, which is acceptable for a development store (DynamoDB itself is the production
 * store).
 */

const require = createRequire(import.meta.url);

/** dynalite's internal error shape: an HTTP status and the DynamoDB JSON error body. */
interface StoreError extends Error {
  statusCode?: number;
  body?: Record<string, unknown>;
}
type Callback<T> = (error: StoreError | null, result?: T) => void;
type Request = Record<string, unknown>;
type AttributeMap = Record<string, unknown>;
interface Table {
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  GlobalSecondaryIndexes?: unknown[];
  LocalSecondaryIndexes?: unknown[];
}
interface DynaliteStore {
  getTable(name: string, callback: Callback<Table>): void;
  getItemDb(name: string): {
    get(key: string, callback: Callback<AttributeMap>): void;
    put(key: string, item: AttributeMap, callback: (error?: Error | null) => void): void;
    del(key: string, callback: (error?: Error | null) => void): void;
    batch(
      operations: readonly { type: 'put' | 'del'; key: string; value?: AttributeMap }[],
      callback: (error?: Error | null) => void,
    ): void;
  };
  db: { close(callback: (error?: Error | null) => void): void };
}
interface DynaliteDb {
  create(options: {
    path?: string;
    createTableMs: number;
    deleteTableMs: number;
    updateTableMs: number;
  }): DynaliteStore;
  createKey(item: AttributeMap, table: Table): string;
  checkConditional(request: Request, existing: AttributeMap | undefined): StoreError | null | undefined;
  updateIndexes(
    store: DynaliteStore,
    table: Table,
    existing: AttributeMap | undefined,
    item: AttributeMap | undefined,
    callback: (error?: Error | null) => void,
  ): void;
}
interface DynaliteValidations {
  checkTypes(request: Request, types: unknown): Request;
  checkValidations(request: Request, types: unknown, custom: unknown, store: DynaliteStore): void;
}
type Action = (store: DynaliteStore, request: Request, callback: Callback<Request>) => void;
interface ActionValidation {
  types: unknown;
  custom: unknown;
}

const db = require('dynalite/db') as DynaliteDb;
const validations = require('dynalite/validations') as DynaliteValidations;

/** The operations dynalite implements (its index.js list); TransactWriteItems is added here. */
const OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
] as const;

const actions = new Map<string, { run: Action; validation: ActionValidation }>(
  OPERATIONS.map((operation) => {
    const name = operation.charAt(0).toLowerCase() + operation.slice(1);
    return [
      operation,
      {
        run: require(`dynalite/actions/${name}`) as Action,
        validation: require(`dynalite/validations/${name}`) as ActionValidation,
      },
    ];
  }),
);

/** DynamoDB's limit on actions in one TransactWriteItems call (AWS DynamoDB API reference). */
const MAX_TRANSACTION_ITEMS = 100;

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
  const store = db.create({
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
    const action = actions.get(operation);
    if (!action) return errorReply(400, 'com.amazon.coral.service#UnknownOperationException', operation);
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

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

function toReply(result: { ok: true; value: Request } | { ok: false; error: StoreError }): Reply {
  if (result.ok) return { status: 200, body: result.value };
  if (result.error.statusCode && result.error.body) {
    return { status: result.error.statusCode, body: result.error.body };
  }
  return errorReply(500, 'InternalServerError', result.error.message);
}

function errorReply(status: number, type: string, message: string): Reply {
  return { status, body: { __type: type, message } };
}

function injectedFailure(): Reply {
  return errorReply(
    500,
    'com.amazonaws.dynamodb.v20120810#InternalServerError',
    'TransactWriteItems failed on purpose (fault injected by the local ledger store)',
  );
}

/** Validates a request the way dynalite's HTTP handler does, then runs the operation. */
function runAction(
  store: DynaliteStore,
  operation: string,
  raw: Request,
): Promise<{ ok: true; value: Request } | { ok: false; error: StoreError }> {
  const validated = validate(store, operation, raw);
  return validated.ok ? runValidated(store, operation, validated.value) : Promise.resolve(validated);
}

interface TransactItem {
  Put?: Request & { TableName: string; Item: AttributeMap };
  Update?: Request & { TableName: string; Key: AttributeMap };
  Delete?: Request & { TableName: string; Key: AttributeMap };
  ConditionCheck?: Request & { TableName: string; Key: AttributeMap };
}

/** One action, validated, with the item it names as it is before the transaction. */
interface CheckedAction {
  readonly kind: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  readonly tableName: string;
  readonly table: Table;
  readonly key: string;
  readonly request: Request;
  readonly existing: AttributeMap | undefined;
}

/**
 * TransactWriteItems on top of dynalite (the caller serialises every request, so nothing interleaves).
 * 1. Validate every action and evaluate its condition against the current item, with dynalite's own
 *    validation and condition code; any failure cancels the transaction before anything is written,
 *    answered like DynamoDB: TransactionCanceledException with one cancellation reason per action.
 * 2. Write: updates first through dynalite's UpdateItem (the only writes that can still fail, e.g. on a
 *    type mismatch; earlier ones are then restored), then puts and deletes.
 */
async function transactWriteItems(store: DynaliteStore, request: Request): Promise<Reply> {
  const items = request.TransactItems;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_TRANSACTION_ITEMS) {
    return errorReply(
      400,
      'com.amazon.coral.validate#ValidationException',
      `TransactItems must hold 1 to ${MAX_TRANSACTION_ITEMS} actions, got ${Array.isArray(items) ? items.length : 'none'}`,
    );
  }
  const tables = new Map<string, Table>();
  const planned: Omit<CheckedAction, 'existing'>[] = [];
  const seen = new Set<string>();
  for (const item of items as TransactItem[]) {
    const kind = (['Put', 'Update', 'Delete', 'ConditionCheck'] as const).find((name) => item[name]);
    const action = kind ? item[kind] : undefined;
    if (!kind || !action) {
      return errorReply(400, 'com.amazon.coral.validate#ValidationException', 'an action has no operation');
    }
    let table = tables.get(action.TableName);
    if (!table) {
      const found = await getTable(store, action.TableName);
      if (!found.ok) return toReply(found);
      table = found.value;
      tables.set(action.TableName, table);
    }
    // ConditionCheck has DeleteItem's shape (Key + condition), so DeleteItem's validation serves it.
    const operation = kind === 'Put' ? 'PutItem' : kind === 'Update' ? 'UpdateItem' : 'DeleteItem';
    const validated = validate(store, operation, { ...action });
    if (!validated.ok) return toReply(validated);
    const keyItem = kind === 'Put' ? (action as { Item: AttributeMap }).Item : (action.Key as AttributeMap);
    const key = db.createKey(keyItem, table);
    if (seen.has(`${action.TableName}/${key}`)) {
      return errorReply(
        400,
        'com.amazon.coral.validate#ValidationException',
        'Transaction request cannot include multiple operations on one item',
      );
    }
    seen.add(`${action.TableName}/${key}`);
    planned.push({ kind, tableName: action.TableName, table, key, request: validated.value });
  }
  const existing = await Promise.all(planned.map((action) => readItem(store, action.tableName, action.key)));
  const checked: CheckedAction[] = planned.map((action, index) => ({ ...action, existing: existing[index] }));
  const failures = checked.map((action) => db.checkConditional(action.request, action.existing) ?? undefined);
  if (failures.some((failure) => failure !== undefined)) {
    const reasons = failures.map((failure) =>
      failure
        ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
        : { Code: 'None' },
    );
    return {
      status: 400,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      },
    };
  }

  const restore: (() => Promise<unknown>)[] = [];
  for (const action of checked.filter((candidate) => candidate.kind === 'Update')) {
    const result = await runValidated(store, 'UpdateItem', action.request);
    if (!result.ok) {
      for (const undo of restore.reverse()) await undo();
      return toReply(result);
    }
    const { tableName, existing } = action;
    const key = keyOf(action.request.Key as AttributeMap, action.table);
    restore.push(() =>
      existing
        ? runAction(store, 'PutItem', { TableName: tableName, Item: existing })
        : runAction(store, 'DeleteItem', { TableName: tableName, Key: key }),
    );
  }
  await writeItems(
    store,
    checked.flatMap((action): { action: CheckedAction; item: AttributeMap | undefined }[] =>
      action.kind === 'Put'
        ? [{ action, item: action.request.Item as AttributeMap }]
        : action.kind === 'Delete' && action.existing
          ? [{ action, item: undefined }]
          : [],
    ),
  );
  return { status: 200, body: {} };
}

/**
 * Parsed condition expressions by their text, names and values. Parsing dominates validation (~0.1 ms per
 * action) and a ledger step repeats one condition for every event it applies; the parsed form is only read.
 */
const parsedConditions = new Map<string, unknown>();
const MAX_PARSED_CONDITIONS = 1_000;

function validate(
  store: DynaliteStore,
  operation: string,
  raw: Request,
): { ok: true; value: Request } | { ok: false; error: StoreError } {
  if (typeof raw.ConditionExpression !== 'string' || operation === 'UpdateItem') {
    return validateFully(store, operation, raw);
  }
  const { ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues, ...rest } = raw;
  const cacheKey = JSON.stringify([ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues]);
  const parsed = parsedConditions.get(cacheKey);
  if (parsed === undefined) {
    const result = validateFully(store, operation, raw);
    if (result.ok && result.value._condition !== undefined) {
      if (parsedConditions.size >= MAX_PARSED_CONDITIONS) parsedConditions.clear();
      parsedConditions.set(cacheKey, result.value._condition);
    }
    return result;
  }
  const result = validateFully(store, operation, rest);
  if (result.ok) result.value._condition = parsed;
  return result;
}

function validateFully(
  store: DynaliteStore,
  operation: string,
  raw: Request,
): { ok: true; value: Request } | { ok: false; error: StoreError } {
  const action = actions.get(operation);
  if (!action) throw new Error(`unsupported operation ${operation}`);
  try {
    const request = validations.checkTypes(raw, action.validation.types);
    validations.checkValidations(request, action.validation.types, action.validation.custom, store);
    return { ok: true, value: request };
  } catch (error) {
    return { ok: false, error: error as StoreError };
  }
}

function runValidated(
  store: DynaliteStore,
  operation: string,
  request: Request,
): Promise<{ ok: true; value: Request } | { ok: false; error: StoreError }> {
  const action = actions.get(operation);
  if (!action) throw new Error(`unsupported operation ${operation}`);
  return new Promise((resolve) => {
    action.run(store, request, (error, value) =>
      resolve(error ? { ok: false, error } : { ok: true, value: value ?? {} }),
    );
  });
}

function readItem(store: DynaliteStore, tableName: string, key: string): Promise<AttributeMap | undefined> {
  return new Promise((resolve, reject) =>
    store.getItemDb(tableName).get(key, (error, item) => {
      if (error && error.name !== 'NotFoundError') reject(error);
      else resolve(error ? undefined : item);
    }),
  );
}

/**
 * Writes (or deletes) items the way dynalite's PutItem / DeleteItem do: secondary indexes, then the item.
 * Items of tables without secondary indexes go to LevelDB in one batch per table.
 */
async function writeItems(
  store: DynaliteStore,
  writes: readonly { action: CheckedAction; item: AttributeMap | undefined }[],
): Promise<void> {
  const batches = new Map<string, { type: 'put' | 'del'; key: string; value?: AttributeMap }[]>();
  for (const { action, item } of writes) {
    if (action.table.GlobalSecondaryIndexes?.length || action.table.LocalSecondaryIndexes?.length) {
      await new Promise<void>((resolve, reject) =>
        db.updateIndexes(store, action.table, action.existing, item, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
    }
    const batch = batches.get(action.tableName) ?? [];
    batch.push(item ? { type: 'put', key: action.key, value: item } : { type: 'del', key: action.key });
    batches.set(action.tableName, batch);
  }
  for (const [tableName, operations] of batches) {
    await new Promise<void>((resolve, reject) =>
      store.getItemDb(tableName).batch(operations, (error) => (error ? reject(error) : resolve())),
    );
  }
}

function keyOf(item: AttributeMap, table: Table): AttributeMap {
  return Object.fromEntries(table.KeySchema.map(({ AttributeName }) => [AttributeName, item[AttributeName]]));
}

function getTable(
  store: DynaliteStore,
  name: string,
): Promise<{ ok: true; value: Table } | { ok: false; error: StoreError }> {
  return new Promise((resolve) =>
    store.getTable(name, (error, table) =>
      resolve(
        error || !table ? { ok: false, error: error ?? new Error('no table') } : { ok: true, value: table },
      ),
    ),
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
