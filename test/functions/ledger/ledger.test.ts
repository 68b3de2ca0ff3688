import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  LedgerConflictError,
  LedgerRejectedError,
  LedgerUnavailableError,
} from '../../../functions/ledger/errors';
import { readEventStatus } from '../../../functions/ledger/event-status';
import { DynamoDbLedger, type LedgerCommit } from '../../../functions/ledger/ledger';
import { sampleEvent } from '../consume/support';
import { ledgerWithSteps, origin, ref, step } from './support';

describe('DynamoDbLedger on the embedded store', () => {
  // Each test on a table of its own holding one first step: r-1 and r-2 applied at offsets 10 and 11.
  const fixture = ledgerWithSteps(
    step({
      lastOffset: 11,
      sessions: [{ producerSession: 'session-a', expected: undefined, last: 1 }],
      applied: [
        { eventId: 'r-1', event: sampleEvent('r-1'), offset: 10, origin: origin(0), recordTimestamp: 1 },
        { eventId: 'r-2', event: sampleEvent('r-2'), offset: 11, origin: origin(1), recordTimestamp: 2 },
      ],
    }),
  );
  const dump = () => fixture.store.dump(fixture.tableName);

  it('reads back what a step wrote: progress, session sequence and where each event was applied', async () => {
    const known = await fixture.ledger.loadPartition(ref, ['r-1', 'r-2', 'r-3'], ['session-a', 'session-b']);
    expect(known.lastOffset).toBe(11);
    expect([...known.lastSequences]).toEqual([['session-a', 1]]);
    expect(known.applied.get('r-2')).toEqual({ ...ref, offset: 11 });
    expect(known.applied.has('r-3')).toBe(false);
  });

  it('writes nothing of a step whose event was applied meanwhile, and says which', async () => {
    const before = await dump();
    const attempt = fixture.ledger.commit(
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
    await expect(fixture.ledger.commit(stale)).rejects.toThrow(/payments-3 progress moved past offset 9/);
    expect(await dump()).toEqual(before);
  });

  it('records dead letters under the event id (as the status function reads them), or under the partition', async () => {
    await fixture.ledger.commit(
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
    const status = await readEventStatus(fixture.store.client, fixture.tableName, 'r-1');
    expect(status).toMatchObject({
      status: 'applied',
      appliedAt: { topic: 'payments', partition: 3, offset: 10 },
      deadLetters: [{ topic: 'payments', partition: 3, offset: 12, reason: 'DUPLICATE' }],
    });
    const keys = (await dump()).map((item) => `${item.pk} ${item.sk}`);
    expect(keys).toContain('PARTITION#payments-3 DEAD_LETTER#00000000000000000013');
    expect(await readEventStatus(fixture.store.client, fixture.tableName, 'never-seen')).toEqual({
      status: 'unknown',
      eventId: 'never-seen',
    });
  });

  it('reports an event that was only dead-lettered', async () => {
    await fixture.ledger.commit(
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
    expect(await readEventStatus(fixture.store.client, fixture.tableName, 'r-9')).toMatchObject({
      status: 'dead-lettered',
      deadLetters: [{ offset: 14, reason: 'INVALID', detail: 'bad amount' }],
    });
  });

  it('writes the effects of a step with it, one update per item, amounts of its events summed', async () => {
    const balance = (add: number) => [{ key: { pk: 'ACCOUNT#a-1', sk: 'BALANCE' }, add: { balance: add } }];
    await fixture.ledger.commit(
      step({
        expectedLastOffset: 11,
        lastOffset: 13,
        applied: [
          {
            eventId: 'r-3',
            event: sampleEvent('r-3'),
            effects: balance(5),
            offset: 12,
            origin: origin(2),
            recordTimestamp: 3,
          },
          {
            eventId: 'r-4',
            event: sampleEvent('r-4'),
            effects: balance(7),
            offset: 13,
            origin: origin(3),
            recordTimestamp: 4,
          },
        ],
      }),
    );
    const account = (await dump()).find((item) => item.pk === 'ACCOUNT#a-1');
    expect(account).toEqual({ pk: 'ACCOUNT#a-1', sk: 'BALANCE', balance: 12 });
  });

  it('reads more keys than one BatchGetItem call takes', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `bulk-${i}`);
    const known = await fixture.ledger.loadPartition(ref, [...ids, 'r-1'], ['session-a']);
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

  const step11 = 'ledger step for payments-3 up to offset 11';
  const failure = (error: unknown, of: LedgerCommit = commit): Promise<Error> =>
    new DynamoDbLedger({ send: async () => Promise.reject(error) } as never, 'ledger').commit(of).then(
      () => {
        throw new Error('expected the step to fail');
      },
      (e: unknown) => e as Error,
    );
  const cancelledWith = (...reasons: { Code?: string; Message?: string }[]) =>
    new TransactionCanceledException({
      message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
      $metadata: {},
      CancellationReasons: reasons,
    });

  it('says which actions DynamoDB refused, with its code and message, and names their records', async () => {
    const refusal = cancelledWith(
      { Code: 'ValidationError', Message: 'Item size has exceeded the maximum allowed size' },
      { Code: 'ValidationError' },
      { Code: 'None' },
      { Code: 'None' },
    );
    const error = await failure(refusal);
    expect(error).toBeInstanceOf(LedgerRejectedError);
    expect(error.message).toBe(
      `${step11} was refused: event r-1 is already applied (ValidationError: Item size has exceeded the maximum allowed size); ` +
        'INVALID dead letter of payments-3@11 is already recorded (ValidationError)',
    );
    expect((error as LedgerRejectedError).offsets).toEqual([10, 11]);
    expect(error.cause).toBe(refusal);
  });

  it('names no record when a refused action is a progress write, nor one DynamoDB did not describe', async () => {
    const onProgress = await failure(
      cancelledWith({ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'ValidationError' }),
    );
    expect(onProgress).toBeInstanceOf(LedgerRejectedError);
    expect((onProgress as LedgerRejectedError).offsets).toBeUndefined();
    expect(onProgress.message).toBe(
      `${step11} was refused: payments-3 progress moved past offset undefined (ValidationError)`,
    );
    // More reasons than actions: the extra one is named by its index.
    const beyond = await failure(
      cancelledWith(
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'ValidationError' },
      ),
    );
    expect(beyond.message).toBe(`${step11} was refused: action 4 (ValidationError)`);
    expect((beyond as LedgerRejectedError).offsets).toBeUndefined();
    // A record and the progress refused together: the step cannot be cut down to the record alone.
    const withRecord = await failure(
      cancelledWith(
        { Code: 'ValidationError' },
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'ValidationError' },
      ),
    );
    expect((withRecord as LedgerRejectedError).offsets).toBeUndefined();
  });

  it('names the record of a refused effect write only when that record alone wrote the item', async () => {
    const account = (id: string) => ({ key: { pk: `ACCOUNT#${id}`, sk: 'BALANCE' }, add: { balance: 5 } });
    const entry = (eventId: string, offset: number, effects: ReturnType<typeof account>[]) => ({
      eventId,
      event: sampleEvent(eventId),
      effects,
      offset,
      origin: origin(offset),
      recordTimestamp: 1,
    });
    // Actions: applied r-1, r-2, r-3; the effect on a-1 (r-1 and r-3), then on a-2 (r-2 alone); progress.
    const withEffects = step({
      lastOffset: 12,
      applied: [
        entry('r-1', 10, [account('a-1')]),
        entry('r-2', 11, [account('a-2')]),
        entry('r-3', 12, [account('a-1')]),
      ],
    });
    const refusedAt = (index: number) =>
      failure(
        cancelledWith(
          ...Array.from({ length: 6 }, (_, i) => ({ Code: i === index ? 'ValidationError' : 'None' })),
        ),
        withEffects,
      );
    const alone = await refusedAt(4);
    expect((alone as LedgerRejectedError).offsets).toEqual([11]);
    expect(alone.message).toBe(
      'ledger step for payments-3 up to offset 12 was refused: effect on ACCOUNT#a-2 / BALANCE (offsets 11) (ValidationError)',
    );
    const shared = await refusedAt(3);
    expect((shared as LedgerRejectedError).offsets).toBeUndefined();
    expect(shared.message).toContain('effect on ACCOUNT#a-1 / BALANCE (offsets 10, 12)');
  });

  it('says which actions were throttled or in conflict with another transaction', async () => {
    const cancellation = cancelledWith(
      { Code: 'ConditionalCheckFailed' },
      { Code: 'None' },
      { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity' },
      { Code: 'TransactionConflict' },
    );
    const error = await failure(cancellation);
    expect(error).toBeInstanceOf(LedgerUnavailableError);
    expect(error.message).toBe(
      `${step11} was cancelled for now: producer session session-a on payments-3 moved past undefined ` +
        '(ThrottlingError: Throughput exceeds the current capacity); ' +
        'payments-3 progress moved past offset undefined (TransactionConflict)',
    );
    expect(error.cause).toBe(cancellation);
  });

  it('takes a cancellation that names no reason as transient, quoting DynamoDB', async () => {
    for (const reasons of [[], [{ Code: 'None' }, {}, { Code: 'None' }, { Code: 'None' }]]) {
      const error = await failure(cancelledWith(...reasons));
      expect(error).toBeInstanceOf(LedgerUnavailableError);
      expect(error.message).toBe(
        `${step11} was cancelled for now: Transaction cancelled, please refer cancellation reasons for specific reasons`,
      );
    }
  });

  it('lists every failed condition of a conflict, with DynamoDB message', async () => {
    const cancellation = cancelledWith(
      { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' },
      { Code: 'None' },
      { Code: 'None' },
      { Code: 'ConditionalCheckFailed' },
    );
    const error = await failure(cancellation);
    expect(error).toBeInstanceOf(LedgerConflictError);
    const conflicts = [
      'event r-1 is already applied (ConditionalCheckFailed: The conditional request failed)',
      'payments-3 progress moved past offset undefined (ConditionalCheckFailed)',
    ];
    expect((error as LedgerConflictError).conflicts).toEqual(conflicts);
    expect(error.message).toBe(`${step11} was cancelled: ${conflicts.join('; ')}`);
    expect(error.cause).toBe(cancellation);
  });

  it('takes any other failure as transient, naming it', async () => {
    const timeout = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    const error = await failure(timeout);
    expect(error).toBeInstanceOf(LedgerUnavailableError);
    expect(error.message).toBe(`${step11} failed: TimeoutError: socket hang up`);
    expect(error.cause).toBe(timeout);
    const thrown = await failure('connection reset');
    expect(thrown).toBeInstanceOf(LedgerUnavailableError);
    expect(thrown.message).toBe(`${step11} failed: connection reset`);
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
    expect((error as Error).message).toBe(
      `${step11} was refused: ValidationException: Item size has exceeded the maximum allowed size`,
    );
    expect((error as Error).cause).toBe(refused);
  });
});
