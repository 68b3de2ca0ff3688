import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { EffectWrite } from '../shared/event-definition';
import { isLedgerOwnedKey, type LedgerKey } from './keys';

/**
 * The effect writes of one ledger step, merged per item. DynamoDB refuses a transaction that touches an item
 * twice (TransactWriteItems: "multiple operations on one item"), so the writes of all events of a step to one
 * item become one Update: `add` amounts summed, `set` values of the later event kept.
 */
export interface MergedEffect {
  readonly key: LedgerKey;
  readonly add: Readonly<Record<string, number>>;
  readonly set: Readonly<Record<string, unknown>>;
  /** Offsets of the records whose events wrote to this item, in order. */
  readonly offsets: readonly number[];
}

/** One item, one id: the same item written by two events of a step is one action. */
export function effectItemId(key: LedgerKey): string {
  return `${key.pk}\u0000${key.sk}`;
}

/** Refuses a write the ledger could not store as meant: on the ledger's own items, or without anything to do. */
export function checkEffectWrite(write: EffectWrite): void {
  const { pk, sk } = write.key;
  const where = `effect write to ${JSON.stringify(write.key)}`;
  if (typeof pk !== 'string' || pk === '' || typeof sk !== 'string' || sk === '') {
    throw new Error(`${where}: pk and sk must be non-empty strings`);
  }
  if (isLedgerOwnedKey(pk)) {
    throw new Error(`${where}: pk "${pk}" uses a prefix the ledger keeps for its own items (keys.ts)`);
  }
  const added = Object.keys(write.add ?? {});
  const set = Object.keys(write.set ?? {});
  if (added.length + set.length === 0) throw new Error(`${where}: neither add nor set names an attribute`);
  for (const name of [...added, ...set]) {
    if (name === 'pk' || name === 'sk')
      throw new Error(`${where}: the key attribute "${name}" cannot be written`);
  }
  const both = added.filter((name) => set.includes(name));
  if (both.length > 0) throw new Error(`${where}: "${both.join('", "')}" both added to and set`);
  for (const [name, amount] of Object.entries(write.add ?? {})) {
    if (!Number.isFinite(amount)) throw new Error(`${where}: add.${name} is ${amount}, not a finite number`);
  }
}

/** Merges the writes of a step's events (in offset order) into one per item. */
export function mergeEffects(
  writes: readonly { readonly offset: number; readonly write: EffectWrite }[],
): MergedEffect[] {
  const merged = new Map<
    string,
    { key: LedgerKey; add: Record<string, number>; set: Record<string, unknown>; offsets: number[] }
  >();
  for (const { offset, write } of writes) {
    checkEffectWrite(write);
    const id = effectItemId(write.key);
    const item = merged.get(id) ?? {
      key: { pk: write.key.pk, sk: write.key.sk },
      add: {},
      set: {},
      offsets: [],
    };
    for (const [name, amount] of Object.entries(write.add ?? {}))
      item.add[name] = (item.add[name] ?? 0) + amount;
    Object.assign(item.set, write.set);
    const both = Object.keys(item.add).filter((name) => Object.hasOwn(item.set, name));
    if (both.length > 0) {
      throw new Error(
        `effect writes to ${JSON.stringify(write.key)}: "${both.join('", "')}" both added to and set`,
      );
    }
    if (item.offsets.at(-1) !== offset) item.offsets.push(offset);
    merged.set(id, item);
  }
  return [...merged.values()];
}

/** The Update action of one merged effect: `SET` the values, `ADD` the amounts (created at 0). */
export function effectAction(
  tableName: string,
  effect: MergedEffect,
): NonNullable<TransactWriteCommandInput['TransactItems']>[number] {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clause = (kind: 's' | 'a', entries: [string, unknown][], join: (n: string, v: string) => string) =>
    entries.map(([name, value], index) => {
      names[`#${kind}${index}`] = name;
      values[`:${kind}${index}`] = value;
      return join(`#${kind}${index}`, `:${kind}${index}`);
    });
  const sets = clause('s', Object.entries(effect.set), (n, v) => `${n} = ${v}`);
  const adds = clause('a', Object.entries(effect.add), (n, v) => `${n} ${v}`);
  const expression = [
    sets.length > 0 ? `SET ${sets.join(', ')}` : '',
    adds.length > 0 ? `ADD ${adds.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    Update: {
      TableName: tableName,
      Key: effect.key,
      UpdateExpression: expression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}
