import type { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LedgerUnavailableError } from '../../../functions/ledger/errors';
import {
  appliedEventKey,
  deadLetterKey,
  type LedgerKey,
  partitionProgressKey,
} from '../../../functions/ledger/keys';
import { DynamoDbLedger } from '../../../functions/ledger/ledger';
import { ref } from './support';

/**
 * How the ledger reads under DynamoDB's BatchGetItem behaviour the embedded store never shows: at most 100
 * keys a call, UnprocessedKeys to retry with back-off (DynamoDB API reference, BatchGetItem), and strongly
 * consistent reads. A stub table answers, one branch of AWS behaviour per test.
 */
const table = 'ledger';

interface BatchGetCall {
  readonly keys: LedgerKey[];
  readonly consistentRead: boolean | undefined;
}

/** A table of items answering BatchGetItem; `unprocessed` picks the keys of a call it leaves for later. */
function stubTable(
  items: Record<string, unknown>[],
  unprocessed: (keys: LedgerKey[], call: number) => LedgerKey[] = () => [],
) {
  const calls: BatchGetCall[] = [];
  const client = {
    send: async (command: BatchGetCommand) => {
      const request = command.input.RequestItems?.[table];
      const keys = (request?.Keys ?? []) as LedgerKey[];
      calls.push({ keys, consistentRead: request?.ConsistentRead });
      const left = unprocessed(keys, calls.length);
      const answered = keys.filter((key) => !left.includes(key));
      const found = items.filter((item) => answered.some((key) => key.pk === item.pk && key.sk === item.sk));
      return {
        Responses: { [table]: found },
        UnprocessedKeys: left.length > 0 ? { [table]: { Keys: left } } : {},
      };
    },
  };
  return { calls, ledger: new DynamoDbLedger(client as unknown as DynamoDBDocumentClient, table) };
}

const progress = { ...partitionProgressKey(ref), lastOffset: 41 };
const appliedItem = (eventId: string, offset: number) => ({
  ...appliedEventKey(eventId),
  eventId,
  topic: ref.topic,
  partition: ref.partition,
  offset,
});
const ids = (count: number) => Array.from({ length: count }, (_, i) => `e-${i}`);

afterEach(() => {
  vi.useRealTimers();
});

describe('DynamoDbLedger reads: chunks of at most 100 keys', () => {
  it.each([
    [99, [100]],
    [199, [100, 100]],
    [200, [100, 100, 1]],
  ])('reads %i event ids and the progress item in calls of %j keys', async (count, sizes) => {
    const { calls, ledger } = stubTable([
      progress,
      appliedItem('e-0', 40),
      appliedItem(`e-${count - 1}`, 41),
    ]);
    const known = await ledger.loadPartition(ref, ids(count), []);
    expect(calls.map((call) => call.keys.length)).toEqual(sizes);
    // Every key is asked for once, and what each chunk found is kept.
    expect(new Set(calls.flatMap((call) => call.keys.map((key) => key.pk))).size).toBe(count + 1);
    expect(known.lastOffset).toBe(41);
    expect([...known.applied.keys()].sort()).toEqual(['e-0', `e-${count - 1}`].sort());
  });

  it('asks for each key once: a session however often named, a record without id only by its coordinates', async () => {
    const { calls, ledger } = stubTable([progress]);
    await ledger.loadPartition(
      ref,
      ['e-1', 'e-1'],
      ['session-a', 'session-a'],
      [
        { offset: 7, eventId: 'e-1' },
        { offset: 8, eventId: undefined },
      ],
    );
    expect(calls.map((call) => call.keys.map((key) => `${key.pk} ${key.sk}`))).toEqual([
      [
        'PARTITION#payments-3 PROGRESS',
        'SESSION#session-a PARTITION#payments-3',
        'EVENT#e-1 APPLIED',
        'EVENT#e-1 DEAD_LETTER#payments-3#00000000000000000007',
        'EVENT#e-1 DEAD_LETTER#payments-3#00000000000000000007#GAP',
        'PARTITION#payments-3 DEAD_LETTER#00000000000000000008',
        'PARTITION#payments-3 DEAD_LETTER#00000000000000000008#GAP',
      ],
    ]);
  });

  it('reads an answer that leaves out empty Responses and UnprocessedKeys', async () => {
    let call = 0;
    const client = {
      send: async (command: BatchGetCommand) => {
        call += 1;
        const keys = command.input.RequestItems?.[table]?.Keys ?? [];
        // First nothing read, every key left for later; then every item found and nothing left.
        return call === 1
          ? { UnprocessedKeys: { [table]: { Keys: keys } } }
          : { Responses: { [table]: [progress] } };
      },
    };
    const ledger = new DynamoDbLedger(client as unknown as DynamoDBDocumentClient, table);
    await expect(ledger.loadPartition(ref, [], [])).resolves.toMatchObject({ lastOffset: 41 });
    expect(call).toBe(2);
  });

  it('lists a GAP before the letter of its own record, whichever DynamoDB returns first', async () => {
    const pending = (reason: string) => ({
      ...deadLetterKey('e-8', ref, 16, reason === 'GAP'),
      kind: 'dead-letter',
      eventId: 'e-8',
      offset: 16,
      reason,
      detail: reason,
      letter: 'pending',
    });
    for (const items of [
      [pending('DUPLICATE'), pending('GAP')],
      [pending('GAP'), pending('DUPLICATE')],
    ]) {
      const { ledger } = stubTable([progress, ...items]);
      const known = await ledger.loadPartition(ref, [], [], [{ offset: 16, eventId: 'e-8' }]);
      expect(known.pendingLetters?.map((letter) => letter.reason)).toEqual(['GAP', 'DUPLICATE']);
    }
  });

  it('reads strongly consistently, so a read never misses the last commit and applies an event twice', async () => {
    const { calls, ledger } = stubTable([progress]);
    await ledger.loadPartition(ref, ids(150), ['session-a']);
    expect(calls.length).toBe(2);
    expect(calls.every((call) => call.consistentRead === true)).toBe(true);
  });
});

describe('DynamoDbLedger reads: UnprocessedKeys', () => {
  it('asks again for the keys DynamoDB left unprocessed, and only for those', async () => {
    // The first call leaves the applied item of e-1 unprocessed.
    const { calls, ledger } = stubTable([progress, appliedItem('e-1', 40)], (keys, call) =>
      call === 1 ? keys.filter((key) => key.pk === 'EVENT#e-1') : [],
    );
    const known = await ledger.loadPartition(ref, ['e-0', 'e-1'], []);
    expect(calls.map((call) => call.keys.map((key) => key.pk))).toEqual([
      ['PARTITION#payments-3', 'EVENT#e-0', 'EVENT#e-1'],
      ['EVENT#e-1'],
    ]);
    expect(calls[1]?.consistentRead).toBe(true);
    expect(known.applied.get('e-1')).toEqual({ ...ref, offset: 40 });
    expect(known.lastOffset).toBe(41);
  });

  it('backs off before each retry, 20 ms doubling each round, and not before the first call', async () => {
    vi.useFakeTimers();
    const { calls, ledger } = stubTable([progress], (keys, call) => (call <= 3 ? keys : []));
    const read = ledger.loadPartition(ref, [], []);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.length).toBe(1);
    // Round n waits 10 * 2^n ms: 20, 40, 80.
    for (const [wait, callsAfter] of [
      [20, 2],
      [40, 3],
      [80, 4],
    ] as const) {
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(calls.length).toBe(callsAfter - 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls.length).toBe(callsAfter);
    }
    await expect(read).resolves.toMatchObject({ lastOffset: 41 });
  });

  it('gives up after 8 rounds with a retriable error naming the keys left', async () => {
    vi.useFakeTimers();
    const { calls, ledger } = stubTable([progress], (keys) => keys);
    const read = ledger.loadPartition(ref, ['e-0'], []).catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    const error = await read;
    expect(error).toBeInstanceOf(LedgerUnavailableError);
    expect((error as Error).message).toBe('ledger read left 2 key(s) unprocessed after 8 rounds');
    expect(calls.length).toBe(8);
  });

  it('succeeds when the last keys come back in the eighth and last round', async () => {
    vi.useFakeTimers();
    const { calls, ledger } = stubTable([progress], (keys, call) => (call < 8 ? keys : []));
    const read = ledger.loadPartition(ref, [], []);
    await vi.runAllTimersAsync();
    await expect(read).resolves.toMatchObject({ lastOffset: 41 });
    expect(calls.length).toBe(8);
  });

  it('turns a failed call into a retriable error naming the cause', async () => {
    const failure = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    const ledger = new DynamoDbLedger(
      { send: async () => Promise.reject(failure) } as unknown as DynamoDBDocumentClient,
      table,
    );
    const error = await ledger.loadPartition(ref, [], []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerUnavailableError);
    expect((error as Error).message).toBe(
      'ledger read failed: ProvisionedThroughputExceededException: Rate exceeded',
    );
    expect((error as Error).cause).toBe(failure);
  });
});
