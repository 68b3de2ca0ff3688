import {
  type AttributeMap,
  collectingStore,
  type DynaliteStore,
  dynaliteDb,
  getTable,
  itemKeyPrefix,
  type LevelWrite,
  type Outcome,
  type Request,
  readItem,
  runValidated,
  type Table,
  validate,
  writeBatch,
} from './dynalite';

/**
 * TransactWriteItems on dynalite, held against DynamoDB (its API reference for TransactWriteItems and
 * TransactionCanceledException, and answers captured from the service). The caller runs one request at a
 * time, so nothing interleaves with a transaction.
 *
 * 1. Validate the request and every action with dynalite's own validation; what DynamoDB can reject from the
 *    request alone (action count, two actions on one item, a Put item over 400 KB, bad syntax) is a
 *    ValidationException for the whole call.
 * 2. Per action, read the item it names, evaluate its condition, and compute the new item image and index
 *    entries by running dynalite's own PutItem / UpdateItem / DeleteItem against a view of the store that
 *    collects the writes instead of making them. A failed condition or an error that depends on the stored
 *    item (an Update that makes it too large or applies to the wrong type) cancels the transaction, answered
 *    like DynamoDB: TransactionCanceledException with one reason per action (None for the others).
 * 3. Write everything in ONE LevelDB batch. A LevelDB batch is one record of its write-ahead log, so a crash
 *    (kill -9) at any instant leaves either the whole transaction on disk or none of it.
 */

/** DynamoDB's limits on one TransactWriteItems call (AWS DynamoDB API reference): actions, aggregate size. */
export const MAX_TRANSACTION_ACTIONS = 100;
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;

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
  readonly key: string;
  readonly request: Request;
  /** ReturnValuesOnConditionCheckFailure ALL_OLD: a failed condition's reason carries the stored item. */
  readonly returnOldItem: boolean;
  /** Why the action cancels the transaction whatever is stored (a key of the wrong type). */
  readonly invalid?: string;
}

export async function transactWriteItems(store: DynaliteStore, request: Request): Promise<Reply> {
  const planned = await plan(store, request);
  if (!Array.isArray(planned)) return planned;

  const writes: LevelWrite[] = [];
  const collector = collectingStore(store, writes);
  const reasons: CancellationReason[] = [];
  let transactionBytes = 0;
  const stored = await Promise.all(
    planned.map((action) => (action.invalid ? undefined : readItem(store, action.tableName, action.key))),
  );
  for (const [index, action] of planned.entries()) {
    if (action.invalid) {
      reasons.push({ Code: 'ValidationError', Message: action.invalid });
      continue;
    }
    const existing = stored[index];
    if (dynaliteDb.checkConditional(action.request, existing)) {
      reasons.push({
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        ...(action.returnOldItem && existing ? { Item: existing } : {}),
      });
      continue;
    }
    const before = writes.length;
    const computed =
      action.kind === 'ConditionCheck'
        ? undefined
        : await runValidated(collector, OPERATION[action.kind], action.request);
    if (computed && !computed.ok) {
      // Only what the stored item makes invalid cancels the transaction; anything else is the store failing.
      if (!String(computed.error.body?.__type).endsWith('#ValidationException')) return toReply(computed);
      reasons.push({ Code: 'ValidationError', Message: String(computed.error.body?.message) });
      continue;
    }
    reasons.push({ Code: 'None' });
    const image = writes
      .slice(before)
      .find((write) => write.key === itemKeyPrefix(action.tableName) + action.key);
    transactionBytes += dynaliteDb.itemSize(image?.value ?? keyOf(action));
  }
  if (reasons.some((reason) => reason.Code !== 'None')) return cancelled(reasons);
  if (transactionBytes > MAX_TRANSACTION_BYTES) {
    // DynamoDB documents the limit, not its message; code must not depend on the wording.
    return validationError(
      `Transaction size has exceeded the maximum allowed size of 4 MB (${transactionBytes} bytes of items)`,
    );
  }
  if (writes.length > 0) await writeBatch(store, writes);
  return { status: 200, body: {} };
}

function keyOf(action: PlannedAction): AttributeMap {
  return (action.request.Key ?? action.request.Item ?? {}) as AttributeMap;
}

/** Validates the request and each action; a Reply when the request is rejected as a whole. */
async function plan(store: DynaliteStore, request: Request): Promise<PlannedAction[] | Reply> {
  const items = request.TransactItems;
  if (!Array.isArray(items))
    return validationError(
      "1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null",
    );
  // DynamoDB's wording for a list outside its length constraint.
  if (items.length === 0) return validationError(lengthConstraint('greater than or equal to 1'));
  if (items.length > MAX_TRANSACTION_ACTIONS) {
    return validationError(lengthConstraint(`less than or equal to ${MAX_TRANSACTION_ACTIONS}`));
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
    const { ReturnValuesOnConditionCheckFailure, ...single } = action;
    const validated = validate(store, OPERATION[kind], single);
    if (!validated.ok) return toReply(validated);
    const keyItem = (kind === 'Put' ? action.Item : action.Key) as AttributeMap;
    const invalidKey =
      kind === 'Put' ? dynaliteDb.validateItem(keyItem, table) : dynaliteDb.validateKey(keyItem, table);
    if (invalidKey) {
      const message = String(invalidKey.body?.message ?? invalidKey.message);
      // DynamoDB cancels a key of the wrong type (a ValidationError reason); other key faults (empty, too
      // long) it rejects up front.
      if (!/Type mismatch for key|does not match the schema/.test(message))
        return toReply({ ok: false, error: invalidKey });
      planned.push({
        kind,
        tableName,
        key: '',
        request: validated.value,
        returnOldItem: false,
        invalid: message,
      });
      continue;
    }
    const key = dynaliteDb.createKey(keyItem, table);
    if (seen.has(`${tableName}/${key}`)) {
      return validationError('Transaction request cannot include multiple operations on one item');
    }
    seen.add(`${tableName}/${key}`);
    planned.push({
      kind,
      tableName,
      key,
      request: validated.value,
      returnOldItem: ReturnValuesOnConditionCheckFailure === 'ALL_OLD',
    });
  }
  return planned;
}

interface CancellationReason {
  readonly Code: 'None' | 'ConditionalCheckFailed' | 'ValidationError';
  readonly Message?: string;
  readonly Item?: AttributeMap;
}

function lengthConstraint(constraint: string): string {
  return `1 validation error detected: Value at 'TransactItems' failed to satisfy constraint: Member must have length ${constraint}`;
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
