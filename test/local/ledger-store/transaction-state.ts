/** The state the crash test's transaction loop (transaction-loop.ts) leaves after its first `last` transactions. */

export const CRASH_TABLE = 'crash';
export const SHARED_ITEMS = ['shared-a', 'shared-b'] as const;
export const PUTS_PER_TRANSACTION = 4;
export const DELETE_DISTANCE = 3;

/** The keys ("pk|sk") that must exist, with the attributes checked on each. */
export function expectedItems(last: number): Map<string, Record<string, unknown>> {
  const expected = new Map<string, Record<string, unknown>>();
  if (last === 0) return expected;
  expected.set('counter|-', { last });
  for (const pk of SHARED_ITEMS) expected.set(`${pk}|-`, { last, writes: last });
  for (let transaction = 1; transaction <= last; transaction++) {
    for (let index = 0; index < PUTS_PER_TRANSACTION; index++) {
      const deleted = index === 0 && transaction <= last - DELETE_DISTANCE;
      if (!deleted) expected.set(`T#${transaction}|${index}`, {});
    }
  }
  return expected;
}
