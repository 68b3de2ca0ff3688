import { createRequire } from 'node:module';

/**
 * Typed access to the parts of dynalite (a DynamoDB implementation on LevelDB, 4.x) that the embedded store
 * builds on: its store, its request validation, its single-item actions and its key and condition helpers.
 */

const require = createRequire(import.meta.url);

/** dynalite's internal error shape: an HTTP status and the DynamoDB JSON error body. */
export interface StoreError extends Error {
  statusCode?: number;
  body?: Record<string, unknown>;
}
export type Callback<T> = (error: StoreError | null, result?: T) => void;
export type Request = Record<string, unknown>;
export type AttributeMap = Record<string, unknown>;
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: StoreError };

export interface Table {
  TableName: string;
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  GlobalSecondaryIndexes?: unknown[];
  LocalSecondaryIndexes?: unknown[];
}

/** One write of LevelDB's batch, on the store's main database (keys carry their sub-database prefix). */
export interface LevelWrite {
  readonly type: 'put' | 'del';
  readonly key: string;
  readonly value?: AttributeMap;
}

/** A sub-database: dynalite keeps tables, items and indexes under key prefixes of one LevelDB. */
export interface SubDb {
  get(key: string, callback: Callback<AttributeMap>): void;
  put(key: string, item: AttributeMap, callback: (error?: Error | null) => void): void;
  del(key: string, callback: (error?: Error | null) => void): void;
  lock(key: string, work: (release: <F>(callback: F) => F) => void): void;
}

export interface DynaliteStore {
  options: { maxItemSize: number };
  getTable(name: string, callback: Callback<Table>): void;
  getItemDb(name: string): SubDb;
  getIndexDb(indexType: string, tableName: string, indexName: string): SubDb;
  db: {
    close(callback: (error?: Error | null) => void): void;
  };
}

interface DynaliteDb {
  create(options: {
    path?: string;
    createTableMs: number;
    deleteTableMs: number;
    updateTableMs: number;
  }): DynaliteStore;
  createKey(item: AttributeMap, table: Table): string;
  validateItem(item: AttributeMap, table: Table): StoreError | undefined;
  validateKey(key: AttributeMap, table: Table): StoreError | undefined;
  checkConditional(request: Request, existing: AttributeMap | undefined): StoreError | null | undefined;
  /** An item's size as DynamoDB counts it against its limits (names plus values). */
  itemSize(item: AttributeMap): number;
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

export const dynaliteDb = require('dynalite/db') as DynaliteDb;
const validations = require('dynalite/validations') as DynaliteValidations;

/** The operations dynalite implements (its index.js list); TransactWriteItems is added by the store. */
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

export function isOperation(operation: string): boolean {
  return actions.has(operation);
}

function actionOf(operation: string): { run: Action; validation: ActionValidation } {
  const action = actions.get(operation);
  if (!action) throw new Error(`unsupported operation ${operation}`);
  return action;
}

/**
 * Parsed condition expressions by their text, names and values. Parsing dominates validation (~0.1 ms per
 * action) and a ledger step repeats one condition for every event it applies; the parsed form is only read.
 */
const parsedConditions = new Map<string, unknown>();
const MAX_PARSED_CONDITIONS = 1_000;

/** Validates a request the way dynalite's HTTP handler does. */
export function validate(store: DynaliteStore, operation: string, raw: Request): Outcome<Request> {
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

function validateFully(store: DynaliteStore, operation: string, raw: Request): Outcome<Request> {
  const { validation } = actionOf(operation);
  try {
    const request = validations.checkTypes(raw, validation.types);
    validations.checkValidations(request, validation.types, validation.custom, store);
    return { ok: true, value: request };
  } catch (error) {
    return { ok: false, error: error as StoreError };
  }
}

/** Runs a validated request through dynalite's own action. */
export function runValidated(
  store: DynaliteStore,
  operation: string,
  request: Request,
): Promise<Outcome<Request>> {
  const { run } = actionOf(operation);
  return new Promise((resolve) => {
    run(store, request, (error, value) =>
      resolve(error ? { ok: false, error } : { ok: true, value: value ?? {} }),
    );
  });
}

/** Validates, then runs. */
export function runAction(store: DynaliteStore, operation: string, raw: Request): Promise<Outcome<Request>> {
  const validated = validate(store, operation, raw);
  return validated.ok ? runValidated(store, operation, validated.value) : Promise.resolve(validated);
}

export function readItem(
  store: DynaliteStore,
  tableName: string,
  key: string,
): Promise<AttributeMap | undefined> {
  return new Promise((resolve, reject) =>
    store.getItemDb(tableName).get(key, (error, item) => {
      if (error && error.name !== 'NotFoundError') reject(error);
      else resolve(error ? undefined : item);
    }),
  );
}

export function getTable(store: DynaliteStore, name: string): Promise<Outcome<Table>> {
  return new Promise((resolve) =>
    store.getTable(name, (error, table) =>
      resolve(
        error || !table ? { ok: false, error: error ?? new Error('no table') } : { ok: true, value: table },
      ),
    ),
  );
}

/**
 * The prefixes dynalite gives the keys of a table's items and of its secondary indexes in its one LevelDB
 * (dynalite 4 db/index.js: getItemDb, getIndexDb); a write batch on the main database needs them.
 */
export function itemKeyPrefix(tableName: string): string {
  return `item-${tableName}~`;
}
export function indexKeyPrefix(indexType: string, tableName: string, indexName: string): string {
  return `index-${indexType.toLowerCase()}~${tableName}~${indexName}~`;
}

/**
 * A view of the store in which dynalite's single-item actions read the real items but whose writes (items
 * and index entries) are collected, with their LevelDB keys, instead of written. Running PutItem,
 * UpdateItem or DeleteItem through it computes exactly what dynalite would write, with its own update,
 * condition, size and index code.
 */
export function collectingStore(store: DynaliteStore, writes: LevelWrite[]): DynaliteStore {
  const collecting = (real: SubDb | undefined, prefix: string): SubDb => ({
    get: (key, callback) => (real ? real.get(key, callback) : callback(null, undefined)),
    lock: (key, work) => (real ? real.lock(key, work) : work((callback) => callback)),
    put: (key, value, callback) => {
      writes.push({ type: 'put', key: prefix + key, value });
      setImmediate(callback);
    },
    del: (key, callback) => {
      writes.push({ type: 'del', key: prefix + key });
      setImmediate(callback);
    },
  });
  return {
    ...store,
    getItemDb: (name) => collecting(store.getItemDb(name), itemKeyPrefix(name)),
    getIndexDb: (indexType, tableName, indexName) =>
      collecting(undefined, indexKeyPrefix(indexType, tableName, indexName)),
  };
}

/**
 * Writes one LevelDB batch: atomic (one record of LevelDB's write-ahead log) and, with `sync`, on disk before
 * it resolves, so that what the ledger acknowledged survives a power loss as well as a crash. dynalite's
 * callback wrapper of batch drops the options, so this calls LevelDB's own method.
 */
export function writeBatch(store: DynaliteStore, writes: readonly LevelWrite[]): Promise<void> {
  const level = Object.getPrototypeOf(store.db) as {
    batch(this: unknown, writes: readonly LevelWrite[], options: { sync: boolean }): Promise<void>;
  };
  return level.batch.call(store.db, writes, { sync: true });
}
