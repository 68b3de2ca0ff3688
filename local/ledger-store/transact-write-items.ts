import {
  type AttributeMap,
  collectingStore,
  type DynaliteStore,
  dynaliteDb,
  getTable,
  type LevelWrite,
  type Outcome,
  type Request,
  readItem,
  runValidated,
  type Table,
  validate,
} from './dynalite';

/**
 * TransactWriteItems on dynalite, held against DynamoDB's API reference (TransactWriteItems) and its
 * observable behaviour. The caller runs one request at a time, so nothing interleaves with a transaction.
 *
 * 1. Validate every action with dynalite's own validation, and reject what DynamoDB rejects as a whole.
 * 2. Read the items the actions name and evaluate every condition: any failure cancels the transaction,
 *    answered like DynamoDB (TransactionCanceledException, one cancellation reason per action).
 * 3. Compute every new item image and index entry by running dynalite's own PutItem / UpdateItem /
 *    DeleteItem against a view of the store that collects the writes instead of making them.
 * 4. Write everything in ONE LevelDB batch. A LevelDB batch is one record of its write-ahead log, so a
 *    crash (kill -9) at any instant leaves either the whole transaction on disk or none of it.
 */

/** DynamoDB's limit on actions in one TransactWriteItems call (AWS DynamoDB API reference). */
export const MAX_TRANSACTION_ACTIONS = 100;

export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

export function errorReply(status: number, type: string, message: string): Reply {
  return { status, body: { __type: type, message } };
}

export function validationError(message: string): Reply {
  return errorReply(400, 'com.amazon.coral.validate#ValidationException', message);
}

export function toReply(result: Outcome<unknown>): Reply {
  if (result.ok) return { status: 200, body: result.value };
  if (result.error.statusCode && result.error.body) {
    return { status: result.error.statusCode, body: result.error.body };
  }
  return errorReply(500, 'InternalServerError', result.error.message);
}

type Kind = 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
const KINDS: readonly Kind[] = ['Put', 'Update', 'Delete', 'ConditionCheck'];
/** The single-item operation whose validation and action serve each kind (ConditionCheck has DeleteItem's shape). */
const OPERATION: Record<Kind, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'DeleteItem',
};

/** One action, validated, with the key of the item it names. */
interface PlannedAction {
  readonly kind: Kind;
  readonly tableName: string;
  readonly table: Table;
  readonly key: string;
  readonly request: Request;
}

export async function transactWriteItems(store: DynaliteStore, request: Request): Promise<Reply> {
  const planned = await plan(store, request);
  if (!Array.isArray(planned)) return planned;

  const existing = await Promise.all(planned.map((action) => readItem(store, action.tableName, action.key)));
  const failures = planned.map((action, index) =>
    dynaliteDb.checkConditional(action.request, existing[index]),
  );
  if (failures.some((failure) => failure)) {
    return cancelled(failures.map((failure) => (failure ? conditionalCheckFailed() : { Code: 'None' })));
  }

  const writes: LevelWrite[] = [];
  const collector = collectingStore(store, writes);
  for (const action of planned) {
    if (action.kind === 'ConditionCheck') continue;
    const computed = await runValidated(collector, OPERATION[action.kind], action.request);
    if (!computed.ok) return toReply(computed);
  }
  if (writes.length > 0) {
    await new Promise<void>((resolve, reject) =>
      store.db.batch(writes, (error) => (error ? reject(error) : resolve())),
    );
  }
  return { status: 200, body: {} };
}

/** Validates the request and each action; a Reply when the request is rejected as a whole. */
async function plan(store: DynaliteStore, request: Request): Promise<PlannedAction[] | Reply> {
  const items = request.TransactItems;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_TRANSACTION_ACTIONS) {
    return validationError(
      `TransactItems must hold 1 to ${MAX_TRANSACTION_ACTIONS} actions, got ${Array.isArray(items) ? items.length : 'none'}`,
    );
  }
  const tables = new Map<string, Table>();
  const planned: PlannedAction[] = [];
  const seen = new Set<string>();
  for (const item of items as Record<string, Request | undefined>[]) {
    const kind = KINDS.find((name) => item[name]);
    const action = kind ? item[kind] : undefined;
    if (!kind || !action) return validationError('an action has no operation');
    const tableName = String(action.TableName);
    let table = tables.get(tableName);
    if (!table) {
      const found = await getTable(store, tableName);
      if (!found.ok) return toReply(found);
      table = found.value;
      tables.set(tableName, table);
    }
    const validated = validate(store, OPERATION[kind], { ...action });
    if (!validated.ok) return toReply(validated);
    const key = dynaliteDb.createKey((kind === 'Put' ? action.Item : action.Key) as AttributeMap, table);
    if (seen.has(`${tableName}/${key}`)) {
      return validationError('Transaction request cannot include multiple operations on one item');
    }
    seen.add(`${tableName}/${key}`);
    planned.push({ kind, tableName, table, key, request: validated.value });
  }
  return planned;
}

interface CancellationReason {
  readonly Code: string;
  readonly Message?: string;
}

function conditionalCheckFailed(): CancellationReason {
  return { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' };
}

function cancelled(reasons: readonly CancellationReason[]): Reply {
  return {
    status: 400,
    body: {
      __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
      CancellationReasons: reasons,
    },
  };
}
