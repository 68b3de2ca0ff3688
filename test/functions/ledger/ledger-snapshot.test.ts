import { describe, expect, it } from 'vitest';
import { LedgerConflictError } from '../../../functions/ledger/errors';
import { sampleEvent } from '../consume/support';
import { ledgerWithSteps, origin, ref, step } from './support';

/**
 * What a partition snapshot tells a redelivery about the records at or below the progress (handled or not,
 * letters still to send), read back from steps written to the embedded store.
 */
const letter = (offset: number, reason: string, eventId: string | undefined, applied = false) => ({
  eventId,
  offset,
  reason,
  detail: `${reason} at ${offset}`,
  origin: eventId === undefined ? undefined : origin(offset),
  applied,
});

/** A first step of another partition applying one event at its offset. */
const appliedElsewhere = (topic: string, partition: number, eventId: string, offset: number) =>
  step({
    ref: { topic, partition },
    lastOffset: offset,
    applied: [{ eventId, event: sampleEvent(eventId), offset, origin: origin(offset), recordTimestamp: 1 }],
  });

describe('DynamoDbLedger snapshot of records below the progress', () => {
  // Each test on a table of its own holding one step of payments-3 up to offset 15, r-5 applied on
  // payments-4 at offset 13, and r-6 applied on refunds-3 at offset 14 (same partition, another topic).
  const fixture = ledgerWithSteps(
    step({
      lastOffset: 15,
      sessions: [{ producerSession: 'session-a', expected: undefined, last: 15 }],
      applied: [
        { eventId: 'r-1', event: sampleEvent('r-1'), offset: 10, origin: origin(10), recordTimestamp: 1 },
      ],
      deadLetters: [
        letter(11, 'INVALID', 'r-2'),
        letter(10, 'GAP', 'r-1', true),
        letter(12, 'MALFORMED', undefined),
        letter(15, 'GAP', 'r-7'),
      ],
    }),
    appliedElsewhere('payments', 4, 'r-5', 13),
    appliedElsewhere('refunds', 3, 'r-6', 14),
  );

  const lookups = [
    // r-1 was applied here, but at offset 10: the record at offset 9 with its id is not handled.
    { offset: 9, eventId: 'r-1' },
    { offset: 10, eventId: 'r-1' },
    { offset: 11, eventId: 'r-2' },
    { offset: 12, eventId: undefined },
    { offset: 13, eventId: 'r-5' },
    { offset: 14, eventId: 'r-6' },
    { offset: 15, eventId: 'r-7' },
  ];

  it('counts a record as handled when applied at these coordinates or dead-lettered there, not for a GAP alone', async () => {
    const known = await fixture.ledger.loadPartition(ref, [], [], lookups);
    expect([...(known.handled ?? [])].sort()).toEqual([10, 11, 12]);
    // The lookups' event ids are read too: r-5 and r-6 are known as applied, at the same offset on another
    // partition or another topic, so the records at 13 and 14 here are not handled.
    expect(known.applied.get('r-5')).toEqual({ topic: 'payments', partition: 4, offset: 13 });
    expect(known.applied.get('r-6')).toEqual({ topic: 'refunds', partition: 3, offset: 14 });
  });

  it('reads the progress and sessions alongside the dead letters of the records asked about', async () => {
    // The letter of offset 12 has no event id: it lives under the partition key, next to the progress item.
    const known = await fixture.ledger.loadPartition(ref, [], ['session-a'], lookups);
    expect(known.lastOffset).toBe(15);
    expect([...known.lastSequences]).toEqual([['session-a', 15]]);
    expect([...known.applied.keys()].sort()).toEqual(['r-1', 'r-5', 'r-6']);
  });

  it('records a record verdict once: a second step recording it again conflicts and writes nothing', async () => {
    const before = await fixture.store.dump(fixture.tableName);
    const again = fixture.ledger.commit(
      step({ expectedLastOffset: 15, lastOffset: 16, deadLetters: [letter(11, 'INVALID', 'r-2')] }),
    );
    await expect(again).rejects.toBeInstanceOf(LedgerConflictError);
    await expect(again).rejects.toThrow(/INVALID dead letter of payments-3@11 is already recorded/);
    expect(await fixture.store.dump(fixture.tableName)).toEqual(before);
  });

  it('lists the letters not sent yet in offset order, a GAP before the letter of its own record', async () => {
    const known = await fixture.ledger.loadPartition(ref, [], [], lookups);
    expect(known.pendingLetters).toEqual([
      { eventId: 'r-1', offset: 10, reason: 'GAP', detail: 'GAP at 10' },
      { eventId: 'r-2', offset: 11, reason: 'INVALID', detail: 'INVALID at 11' },
      { eventId: undefined, offset: 12, reason: 'MALFORMED', detail: 'MALFORMED at 12' },
      { eventId: 'r-7', offset: 15, reason: 'GAP', detail: 'GAP at 15' },
    ]);
  });

  it('orders a GAP before its record letter at the same offset', async () => {
    await fixture.ledger.commit(
      step({
        expectedLastOffset: 15,
        lastOffset: 16,
        deadLetters: [letter(16, 'DUPLICATE', 'r-8'), letter(16, 'GAP', 'r-8')],
      }),
    );
    const known = await fixture.ledger.loadPartition(ref, [], [], [{ offset: 16, eventId: 'r-8' }]);
    expect(known.pendingLetters?.map((pending) => pending.reason)).toEqual(['GAP', 'DUPLICATE']);
  });

  it('leaves out the letters marked sent', async () => {
    const first = await fixture.ledger.loadPartition(ref, [], [], lookups);
    await fixture.ledger.markLettersSent(ref, first.pendingLetters?.slice(0, 3) ?? []);
    const known = await fixture.ledger.loadPartition(ref, [], [], lookups);
    expect(known.pendingLetters?.map((pending) => pending.offset)).toEqual([15]);
    expect([...(known.handled ?? [])].sort()).toEqual([10, 11, 12]);
    const letters = (await fixture.store.dump(fixture.tableName)).filter(
      (item) => item.kind === 'dead-letter',
    );
    expect(letters.map((item) => [item.offset, item.reason, item.letter])).toEqual(
      expect.arrayContaining([
        [10, 'GAP', 'sent'],
        [11, 'INVALID', 'sent'],
        [12, 'MALFORMED', 'sent'],
        [15, 'GAP', 'pending'],
      ]),
    );
    expect(letters.length).toBe(4);
  });

  it('says nothing of handled records when asked about none, and reads the sessions asked for', async () => {
    const known = await fixture.ledger.loadPartition(ref, ['r-1'], ['session-a', 'session-a', 'session-b']);
    expect(known.handled).toBeUndefined();
    expect(known.pendingLetters).toEqual([]);
    expect([...known.lastSequences]).toEqual([['session-a', 15]]);
    expect(known.lastOffset).toBe(15);
  });

  it('refuses to mark a letter the ledger does not hold', async () => {
    await expect(
      fixture.ledger.markLettersSent(ref, [{ eventId: 'r-9', offset: 20, reason: 'INVALID', detail: 'x' }]),
    ).rejects.toThrow(/conditional request failed/i);
  });

  it('writes each item with its kind, its source coordinates and the origin of its record', async () => {
    const items = await fixture.store.dump(fixture.tableName);
    const at = (pk: string, sk: string) => items.find((item) => item.pk === pk && item.sk === sk);
    expect(at('EVENT#r-1', 'APPLIED')).toMatchObject({
      kind: 'applied',
      eventId: 'r-1',
      topic: 'payments',
      partition: 3,
      offset: 10,
      producerSession: 'session-a',
      partitionSequence: 10,
      recordTimestamp: 1,
    });
    expect(at('EVENT#r-2', 'DEAD_LETTER#payments-3#00000000000000000011')).toMatchObject({
      kind: 'dead-letter',
      eventId: 'r-2',
      topic: 'payments',
      partition: 3,
      offset: 11,
      reason: 'INVALID',
      detail: 'INVALID at 11',
      applied: false,
      letter: 'pending',
      producerSession: 'session-a',
      partitionSequence: 11,
    });
    expect(at('EVENT#r-1', 'DEAD_LETTER#payments-3#00000000000000000010#GAP')).toMatchObject({
      applied: true,
    });
    expect(at('PARTITION#payments-3', 'PROGRESS')).toMatchObject({
      topic: 'payments',
      partition: 3,
      lastOffset: 15,
    });
    expect(at('SESSION#session-a', 'PARTITION#payments-3')).toMatchObject({
      producerSession: 'session-a',
      topic: 'payments',
      partition: 3,
      lastSequence: 15,
    });
  });

  it('refuses a first step of a partition or a session the ledger already holds, writing nothing', async () => {
    const before = await fixture.store.dump(fixture.tableName);
    const again = fixture.ledger.commit(step({ lastOffset: 20 }));
    await expect(again).rejects.toThrow(/payments-3 progress moved past offset undefined/);
    const newSession = fixture.ledger.commit(
      step({
        expectedLastOffset: 15,
        lastOffset: 20,
        sessions: [{ producerSession: 'session-a', expected: undefined, last: 20 }],
      }),
    );
    await expect(newSession).rejects.toThrow(/producer session session-a on payments-3 moved past undefined/);
    expect(await fixture.store.dump(fixture.tableName)).toEqual(before);
  });
});
