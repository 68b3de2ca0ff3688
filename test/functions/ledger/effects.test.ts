import { describe, expect, it } from 'vitest';
import { checkEffectWrite, effectAction, mergeEffects } from '../../../functions/ledger/effects';

describe('effect writes', () => {
  it('merges the writes of a step to one item: amounts summed, the later value set', () => {
    const key = { pk: 'CUSTOMER#c-1', sk: 'ORDERS' };
    const merged = mergeEffects([
      { offset: 3, write: { key, add: { orderCount: 1 }, set: { lastOrderId: 'o-1' } } },
      { offset: 4, write: { key: { pk: 'CUSTOMER#c-2', sk: 'ORDERS' }, add: { orderCount: 1 } } },
      { offset: 5, write: { key, add: { orderCount: 1 }, set: { lastOrderId: 'o-3' } } },
    ]);
    expect(merged).toEqual([
      { key, add: { orderCount: 2 }, set: { lastOrderId: 'o-3' }, offsets: [3, 5] },
      { key: { pk: 'CUSTOMER#c-2', sk: 'ORDERS' }, add: { orderCount: 1 }, set: {}, offsets: [4] },
    ]);
    expect(effectAction('ledger', merged[0] as (typeof merged)[number])).toEqual({
      Update: {
        TableName: 'ledger',
        Key: key,
        UpdateExpression: 'SET #s0 = :s0 ADD #a0 :a0',
        ExpressionAttributeNames: { '#s0': 'lastOrderId', '#a0': 'orderCount' },
        ExpressionAttributeValues: { ':s0': 'o-3', ':a0': 2 },
      },
    });
  });

  it.each([
    ['the ledger own items', { key: { pk: 'EVENT#e-1', sk: 'X' }, add: { n: 1 } }, /prefix the ledger keeps/],
    ['progress items', { key: { pk: 'PARTITION#t-0', sk: 'X' }, add: { n: 1 } }, /prefix the ledger keeps/],
    ['nothing to write', { key: { pk: 'A', sk: 'B' } }, /neither add nor set/],
    ['a key attribute', { key: { pk: 'A', sk: 'B' }, set: { pk: 'C' } }, /key attribute "pk"/],
    [
      'one attribute added and set',
      { key: { pk: 'A', sk: 'B' }, add: { n: 1 }, set: { n: 2 } },
      /both added/,
    ],
    [
      'an amount that is not a number',
      { key: { pk: 'A', sk: 'B' }, add: { n: Number.NaN } },
      /add\.n is NaN/,
    ],
  ])('refuses a write to %s, naming it', (_, write, message) => {
    expect(() => checkEffectWrite(write)).toThrow(message);
  });
});
