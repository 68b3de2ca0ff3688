import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  LedgerConflictError,
  LedgerRejectedError,
  LedgerUnavailableError,
} from '../../../functions/ledger/errors';
import { readEventStatus } from '../../../functions/ledger/event-status';
import { DynamoDbLedger, type LedgerCommit } from '../../../functions/ledger/ledger';
import { sampleEvent, startTestLedger, type TestLedger } from '../consume/support';

const ref = { topic: 'payments', partition: 3 };
const origin = (sequence: number) => ({ producerSession: 'session-a', partitionSequence: sequence });

function step(overrides: Partial<LedgerCommit> & Pick<LedgerCommit, 'lastOffset'>): LedgerCommit {
  return { ref, expectedLastOffset: undefined, sessions: [], applied: [], deadLetters: [], ...overrides };
}

describe('DynamoDbLedger on the embedded store', () => {
  let store: TestLedger;
  let ledger: DynamoDbLedger;
  let tableName: string;
  const dump = () => store.dump(tableName);
  beforeAll(async () => {
    store = await startTestLedger();
  });
  afterAll(() => store.close());
  // Each test on a table of its own holding one first step: r-1 and r-2 applied at offsets 10 and 11.
  beforeEach(async () => {
    tableName = await store.freshTable();
    ledger = new DynamoDbLedger(store.client, tableName);
    await ledger.commit(
      step({
        lastOffset: 11,
        sessions: [{ producerSession: 'session-a', expected: undefined, last: 1 }],
        applied: [
          { eventId: 'r-1', event: sampleEvent('r-1'), offset: 10, origin: origin(0), recordTimestamp: 1 },
          { eventId: 'r-2', event: sampleEvent('r-2'), offset: 11, origin: origin(1), recordTimestamp: 2 },
        ],
      }),
    );
  });

  it('reads back what a step wrote: progress, session sequence and where each event was applied', async () => {
    const known = await ledger.loadPartition(ref, ['r-1', 'r-2', 'r-3'], ['session-a', 'session-b']);
    expect(known.lastOffset).toBe(11);
    expect([...known.lastSequences]).toEqual([['session-a', 1]]);
    expect(known.applied.get('r-2')).toEqual({ ...ref, offset: 11 });
    expect(known.applied.has('r-3')).toBe(false);
  });

  it('writes nothing of a step whose event was applied meanwhile, and says which', async () => {
    const before = await dump();
    const attempt = ledger.commit(
      step({
        expectedLastOffset: 11,
        lastOffset: 13,
        sessions: [{ producerSession: 'session-a', expected: 1, last: 3 }],
        applied: [
          { eventId: 'r-4', event: sampleEvent('r-4'), offset: 12, origin: origin(2), recordTimestamp: 3 },
          { eventId: 'r-1', event: sampleEvent('r-1'), offset: 13, origin: origin(3), recordTimestamp: 4 },
        ],
      }),
    );
    await expect(attempt).rejects.toBeInstanceOf(LedgerConflictError);
    await expect(attempt).rejects.toThrow(/event r-1 is already applied/);
    expect(await dump()).toEqual(before);
  });

  it('writes nothing of a step when the partition moved since it was read', async () => {
    const before = await dump();
    const stale = step({
      expectedLastOffset: 9,
      lastOffset: 12,
      applied: [
        { eventId: 'r-5', event: sampleEvent('r-5'), offset: 12, origin: origin(2), recordTimestamp: 3 },
      ],
    });
    await expect(ledger.commit(stale)).rejects.toThrow(/payments-3 progress moved past offset 9/);
    expect(await dump()).toEqual(before);
  });

  it('records dead letters under the event id (as the status function reads them), or under the partition', async () => {
    await ledger.commit(
      step({
        expectedLastOffset: 11,
        lastOffset: 13,
        deadLetters: [
          {
            eventId: 'r-1',
            offset: 12,
            reason: 'DUPLICATE',
            detail: 'copy',
            origin: origin(2),
            applied: false,
          },
          {
            eventId: undefined,
            offset: 13,
            reason: 'MALFORMED',
            detail: 'no value',
            origin: undefined,
            applied: false,
          },
        ],
      }),
    );
    const status = await readEventStatus(store.client, tableName, 'r-1');
    expect(status).toMatchObject({
      status: 'applied',
      appliedAt: { topic: 'payments', partition: 3, offset: 10 },
      deadLetters: [{ topic: 'payments', partition: 3, offset: 12, reason: 'DUPLICATE' }],
    });
    const keys = (await dump()).map((item) => `${item.pk} ${item.sk}`);
    expect(keys).toContain('PARTITION#payments-3 DEAD_LETTER#00000000000000000013');
    expect(await readEventStatus(store.client, tableName, 'never-seen')).toEqual({
      status: 'unknown',
      eventId: 'never-seen',
    });
  });

  it('reports an event that was only dead-lettered', async () => {
    await ledger.commit(
      step({
        expectedLastOffset: 11,
        lastOffset: 14,
        deadLetters: [
          {
            eventId: 'r-9',
            offset: 14,
            reason: 'INVALID',
            detail: 'bad amount',
            origin: undefined,
            applied: false,
          },
        ],
      }),
    );
    expect(await readEventStatus(store.client, tableName, 'r-9')).toMatchObject({
      status: 'dead-lettered',
      deadLetters: [{ offset: 14, reason: 'INVALID', detail: 'bad amount' }],
    });
  });

  it('reads more keys than one BatchGetItem call takes', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `bulk-${i}`);
    const known = await ledger.loadPartition(ref, [...ids, 'r-1'], ['session-a']);
    expect(known.applied.size).toBe(1);
    expect(known.lastOffset).toBe(11);
  });
});

/**
 * How a failed TransactWriteItems is classified, one AWS behaviour per case. DynamoDB's answers are stubbed
 * here (the embedded store cannot throttle or answer ValidationError reasons); the codes are those of the
 * DynamoDB API reference (TransactWriteItems, CancellationReason).
 */
describe('DynamoDbLedger: a cancelled or refused step by cause', () => {
  const cancelled = (...codes: string[]) =>
    new TransactionCanceledException({
      message: `Transaction cancelled [${codes.join(', ')}]`,
      $metadata: {},
      CancellationReasons: codes.map((Code) => ({ Code })),
    });
  const answering = (error: Error) =>
    new DynamoDbLedger({ send: async () => Promise.reject(error) } as never, 'ledger');
  // Actions in commit order: applied r-1 (offset 10), dead letter of offset 11, session, progress.
  const commit = step({
    lastOffset: 11,
    sessions: [{ producerSession: 'session-a', expected: undefined, last: 1 }],
    applied: [
      { eventId: 'r-1', event: sampleEvent('r-1'), offset: 10, origin: origin(0), recordTimestamp: 1 },
    ],
    deadLetters: [
      { eventId: 'r-2', offset: 11, reason: 'INVALID', detail: 'x', origin: origin(1), applied: false },
    ],
  });

  it('names the refused record when a cancellation reason is ValidationError', async () => {
    const error = await answering(cancelled('None', 'ValidationError', 'None', 'None'))
      .commit(commit)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerRejectedError);
    expect((error as LedgerRejectedError).offsets).toEqual([11]);
    expect((error as LedgerRejectedError).retriable).toBe(false);
  });

  it.each(['ThrottlingError', 'TransactionConflict', 'ProvisionedThroughputExceeded'])(
    'takes %s as transient, to wait and retry',
    async (code) => {
      const error = await answering(cancelled('None', 'None', code, 'ConditionalCheckFailed'))
        .commit(commit)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerUnavailableError);
    },
  );

  it('takes ConditionalCheckFailed alone as a conflict, to read again and re-plan', async () => {
    const error = await answering(cancelled('ConditionalCheckFailed', 'None', 'None', 'None'))
      .commit(commit)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerConflictError);
    expect((error as LedgerConflictError).conflicts).toEqual([
      'event r-1 is already applied (ConditionalCheckFailed)',
    ]);
  });

  it('takes a ValidationException as permanent without naming a record', async () => {
    const refused = Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
      name: 'ValidationException',
    });
    const error = await answering(refused)
      .commit(commit)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerRejectedError);
    expect((error as LedgerRejectedError).offsets).toBeUndefined();
  });
});
