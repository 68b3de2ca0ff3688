import type { MSKRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConsumeResponse, consumeBatch, createConsumeHandler } from '../../../functions/consume/consume';
import { DeadLetterHeader, toDeadLetterRecord } from '../../../functions/consume/dead-letters';
import { eventDefinition } from '../../../functions/event/definition';
import { LedgerRejectedError, LedgerUnavailableError } from '../../../functions/ledger/errors';
import { DynamoDbLedger, type Ledger } from '../../../functions/ledger/ledger';
import { recordBytes } from '../../../functions/shared/producer-session';
import {
  InterposedLedger,
  invalidEvent,
  itemsOfKind,
  lambdaContext,
  MemoryDeadLetterSink,
  mskEvent,
  mskRecord,
  partitionName,
  quietObservability,
  sampleEvent,
  sampleRecord,
  startTestLedger,
  type TestLedger,
  topic,
} from './support';

/**
 * Every record the mapping delivers ends applied or dead-lettered with its true reason, and what a dead letter
 * says is what the ledger holds: poison records, skipped ranges, gaps next to other anomalies, conflicts and
 * steps that never commit.
 */

const KIB = 1024;
const session = 'poison-session';

const valid = (offset: number, sequence = offset, partition = 0): MSKRecord =>
  sampleRecord({ eventId: `ev-${partition}-${offset}`, session, sequence, offset, partition });

const letterSummary = (sink: MemoryDeadLetterSink) =>
  sink.letters.map((l) => `${l.record.topic}-${l.record.partition}@${l.record.offset} ${l.anomaly.reason}`);

describe('poison records and ledger failures: nothing parked, letters that tell the truth', () => {
  let ledger: TestLedger;
  let sink: MemoryDeadLetterSink;
  const handler = (target: Ledger = new DynamoDbLedger(ledger.client, ledger.tableName)) =>
    createConsumeHandler({ ledger: target, deadLetters: sink, ...quietObservability() });

  beforeEach(async () => {
    ledger = await startTestLedger();
    sink = new MemoryDeadLetterSink();
  });
  afterEach(() => ledger.close());

  it('dead-letters a record with a huge unknown field with a bounded detail and applies the records around it', async () => {
    const event = sampleEvent('ev-0-5');
    const poison = mskRecord({
      offset: 5,
      key: eventDefinition.orderingKey(event),
      value: JSON.stringify({ ...event, [`x${'y'.repeat(300 * KIB)}`]: 1 }),
      headers: { 'event-id': 'ev-0-5', 'producer-session': session, 'partition-sequence': '5' },
    });
    const records = [...[0, 1, 2, 3, 4].map((o) => valid(o)), poison, ...[6, 7, 8, 9].map((o) => valid(o))];

    expect(await handler()(mskEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });

    expect(letterSummary(sink)).toEqual([`${partitionName(0)}@5 INVALID`]);
    const detail = sink.letters[0]?.anomaly.detail ?? '';
    expect(Buffer.byteLength(detail)).toBeLessThanOrEqual(KIB);
    expect(detail).toMatch(/clipped/);
    const items = await ledger.dump();
    expect(itemsOfKind(items, 'applied')).toHaveLength(9);
    expect(itemsOfKind(items, 'dead-letter').map((item) => [item.offset, item.reason])).toEqual([
      [5, 'INVALID'],
    ]);
  });

  it('bounds every dead-letter header of a record whose event-id header is hundreds of KB long', async () => {
    const poison = mskRecord({
      offset: 0,
      key: 'acct',
      value: JSON.stringify(sampleEvent('short-id')),
      headers: { 'event-id': 'z'.repeat(200 * KIB), 'producer-session': session, 'partition-sequence': '0' },
    });

    expect(await handler()(mskEvent([poison, valid(1)]), lambdaContext())).toEqual({ batchItemFailures: [] });

    expect(letterSummary(sink)).toEqual([`${partitionName(0)}@0 INVALID`]);
    const letter = sink.letters[0];
    if (!letter) throw new Error('no letter');
    const record = toDeadLetterRecord(letter);
    for (const [name, value] of Object.entries(record.headers ?? {})) {
      expect(Buffer.byteLength(value), name).toBeLessThanOrEqual(KIB);
    }
    expect(String(record.headers?.['event-id'])).toMatch(/clipped/);
    expect(itemsOfKind(await ledger.dump(), 'applied').map((item) => item.offset)).toEqual([1]);
  });

  it('dead-letters a record too large to copy with its coordinates, size and a clipped preview', () => {
    const huge = mskRecord({ offset: 3, key: 'acct', value: 'v'.repeat(3 * KIB * KIB) });
    const letter = {
      record: {
        topic: topic,
        partition: 0,
        offset: 3,
        timestamp: 0,
        key: Buffer.from('acct'),
        value: Buffer.from(huge.value, 'base64'),
        headers: [],
      },
      anomaly: { reason: 'MALFORMED' as const, detail: `${partitionName(0)}@3: not JSON` },
    };

    const record = toDeadLetterRecord(letter, { maxMessageBytes: 1_000_000 });

    expect(recordBytes(record)).toBeLessThanOrEqual(1_000_000);
    expect(record.headers).toMatchObject({
      [DeadLetterHeader.sourceTopic]: topic,
      [DeadLetterHeader.sourcePartition]: '0',
      [DeadLetterHeader.sourceOffset]: '3',
      [DeadLetterHeader.sourceValueBytes]: String(3 * KIB * KIB),
    });
    expect(record.value.length).toBeLessThanOrEqual(KIB);
    expect(record.value.toString()).toMatch(/^v+.*clipped/);
  });

  it('dead-letters a record the ledger refuses for good as REJECTED, once, and applies the records around it', async () => {
    let refusals = 0;
    const refusing = new InterposedLedger(
      new DynamoDbLedger(ledger.client, ledger.tableName),
      async (commit) => {
        // Like DynamoDB's ValidationException for a whole request: it does not say which item.
        if (commit.applied.some((entry) => entry.eventId === 'ev-0-4')) {
          refusals += 1;
          throw new LedgerRejectedError(
            'ValidationException: Item size has exceeded the maximum allowed size',
            undefined,
          );
        }
      },
    );

    const response = await handler(refusing)(
      mskEvent([0, 1, 2, 3, 4, 5, 6].map((o) => valid(o))),
      lambdaContext(),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(refusals).toBe(2); // the whole step, then the record alone; never retried as it was
    expect(letterSummary(sink)).toEqual([`${partitionName(0)}@4 REJECTED`]);
    expect(sink.letters[0]?.anomaly.detail).toMatch(
      /refused to store this record for good \(ValidationException/,
    );
    const items = await ledger.dump();
    expect(itemsOfKind(items, 'applied').map((item) => Number(item.offset))).toEqual([0, 1, 2, 3, 5, 6]);
    expect(itemsOfKind(items, 'dead-letter').map((item) => [item.offset, item.reason])).toEqual([
      [4, 'REJECTED'],
    ]);
  });

  it('handles offsets the mapping skipped when they are delivered again, instead of counting them as redelivered', async () => {
    const consume = handler();
    // The mapping gave up on 3..5 and moved on: 6..8 are committed first (a GAP for sequences 3 to 5).
    expect(await consume(mskEvent([0, 1, 2].map((o) => valid(o))), lambdaContext())).toEqual({
      batchItemFailures: [],
    });
    expect(await consume(mskEvent([6, 7, 8].map((o) => valid(o))), lambdaContext())).toEqual({
      batchItemFailures: [],
    });

    // The parked range comes back (a redrive, or the mapping's retry).
    expect(await consume(mskEvent([3, 4, 5].map((o) => valid(o))), lambdaContext())).toEqual({
      batchItemFailures: [],
    });

    const applied = itemsOfKind(await ledger.dump(), 'applied').map((item) => Number(item.offset));
    expect(applied.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('waits out a ledger throttle shorter than the invocation instead of failing the partition', async () => {
    let throttled = 0;
    const inner = new DynamoDbLedger(ledger.client, ledger.tableName);
    const throttling = new InterposedLedger(inner, async () => {
      if (throttled < 3) {
        throttled += 1;
        throw new LedgerUnavailableError('ThrottlingException: rate exceeded (test)');
      }
    });

    const response = await handler(throttling)(mskEvent([0, 1, 2].map((o) => valid(o))), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(throttled).toBe(3);
    expect(itemsOfKind(await ledger.dump(), 'applied')).toHaveLength(3);
  });

  it.each([
    ['DUPLICATE', () => sampleRecord({ eventId: 'ev-0-0', session, sequence: 5, offset: 2 })],
    [
      'MALFORMED',
      () =>
        mskRecord({
          offset: 2,
          value: '{"truncated":',
          headers: { 'event-id': 'm-1', 'producer-session': session, 'partition-sequence': '5' },
        }),
    ],
    [
      'INVALID',
      () =>
        mskRecord({
          offset: 2,
          value: JSON.stringify(invalidEvent('i-1')),
          headers: { 'event-id': 'i-1', 'producer-session': session, 'partition-sequence': '5' },
        }),
    ],
  ])('reports a missing range as its own GAP when the record after it is %s', async (reason, after) => {
    const response = await handler()(mskEvent([valid(0), valid(1), after()]), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(letterSummary(sink).sort()).toEqual(
      [`${partitionName(0)}@2 ${reason}`, `${partitionName(0)}@2 GAP`].sort(),
    );
    const ids = sink.letters.map((l) => String(toDeadLetterRecord(l).headers?.[DeadLetterHeader.id]));
    expect(new Set(ids).size).toBe(2);
    const deadLetters = itemsOfKind(await ledger.dump(), 'dead-letter');
    expect(deadLetters.map((item) => String(item.reason)).sort()).toEqual([reason, 'GAP'].sort());
    const gap = sink.letters.find((l) => l.anomaly.reason === 'GAP');
    expect(gap?.anomaly.detail).toMatch(/sequences 2 to 4 \(3 records\) are missing/);
    expect(gap?.anomaly.detail).not.toMatch(/was applied/);
  });

  it('keeps one reason per dead-letter id when a conflict re-classifies a record', async () => {
    // Partition 0 holds a record after a gap; before its step commits, the same event is applied on
    // partition 1. The step is cancelled, the record is read again and becomes a DUPLICATE.
    const raced = sampleRecord({ eventId: 'raced', session, sequence: 3, offset: 1, partition: 0 });
    const elsewhere = sampleRecord({
      eventId: 'raced',
      session: 'other',
      sequence: 0,
      offset: 0,
      partition: 1,
    });
    const plain = new DynamoDbLedger(ledger.client, ledger.tableName);
    const interposed = new InterposedLedger(plain, async (commit) => {
      if (commit.ref.partition === 0 && commit.applied.some((entry) => entry.eventId === 'raced')) {
        await createConsumeHandler({ ledger: plain, deadLetters: sink, ...quietObservability() })(
          mskEvent([elsewhere]),
          lambdaContext(),
        );
      }
    });

    const response = await handler(interposed)(mskEvent([valid(0), raced]), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    const reasonsById = new Map<string, Set<string>>();
    for (const letter of sink.letters) {
      const id = String(toDeadLetterRecord(letter).headers?.[DeadLetterHeader.id]);
      reasonsById.set(id, (reasonsById.get(id) ?? new Set()).add(letter.anomaly.reason));
    }
    for (const [id, reasons] of reasonsById) expect([...reasons], id).toHaveLength(1);
    expect(letterSummary(sink).sort()).toEqual([
      `${partitionName(0)}@1 DUPLICATE`,
      `${partitionName(0)}@1 GAP`,
    ]);
    const held = itemsOfKind(await ledger.dump(), 'dead-letter').map((i) => `${i.offset} ${i.reason}`);
    expect(held.sort()).toEqual(['1 DUPLICATE', '1 GAP']);
  });

  it('publishes no GAP letter for an event whose step never commits', async () => {
    const failing = new InterposedLedger(new DynamoDbLedger(ledger.client, ledger.tableName), async () => {
      throw new LedgerUnavailableError('ledger unreachable (test)');
    });
    const gapped = sampleRecord({ eventId: 'after-gap', session, sequence: 4, offset: 1 });

    // Called without the middleware, whose early timeout would end the invocation before the backoff does.
    const response: ConsumeResponse = await consumeBatch(
      mskEvent([valid(0), gapped]),
      { ledger: failing, deadLetters: sink, ...quietObservability() },
      { getRemainingTimeInMillis: () => 300 },
    );

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: partitionName(0), offset: 0 } }],
    });
    expect(sink.letters).toEqual([]);
    expect(await ledger.dump()).toEqual([]);
  });
});
