import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConsumeResponse, consumeBatch, createConsumeHandler } from '../../../functions/consume/consume';
import { KafkaEventError } from '../../../functions/consume/errors';
import { eventDefinition } from '../../../functions/event/definition';
import { DynamoDbLedger } from '../../../functions/ledger/ledger';
import { anomalyBatch, validBatch } from '../../helpers/msk-events';
import {
  itemsOfKind,
  lambdaContext,
  MemoryDeadLetterSink,
  mskEvent,
  mskRecord,
  partitionName,
  quietObservability,
  sampleRecord,
  startTestLedger,
  type TestLedger,
} from './support';

/** The event source mapping's retry: the batch again, from the reported offset of each failed partition. */
function redeliveryOf(event: MSKEvent, response: ConsumeResponse): MSKEvent {
  const records: MSKEvent['records'] = {};
  for (const { itemIdentifier } of response.batchItemFailures) {
    const from = itemIdentifier.offset;
    records[itemIdentifier.partition] = (event.records[itemIdentifier.partition] ?? []).filter(
      (r) => r.offset >= from,
    );
  }
  return { ...event, records };
}

/** Ledger items without the wall-clock attributes, so two runs can be compared. */
const stable = (items: Record<string, unknown>[]) =>
  items.map(({ appliedAt: _a, recordedAt: _r, updatedAt: _u, ...rest }) => rest);

const letterSummary = (sink: MemoryDeadLetterSink) =>
  sink.letters.map((l) => `${l.record.topic}-${l.record.partition}@${l.record.offset} ${l.anomaly.reason}`);

describe('consume handler with the embedded ledger', () => {
  let ledger: TestLedger;
  let sink: MemoryDeadLetterSink;
  const handlerFor = (test: TestLedger, deadLetters = sink) =>
    createConsumeHandler({
      ledger: new DynamoDbLedger(test.client, test.tableName),
      deadLetters,
      ...quietObservability(),
    });
  const consume = (event: unknown, test = ledger, deadLetters = sink) =>
    handlerFor(test, deadLetters)(event, lambdaContext());

  beforeEach(async () => {
    ledger = await startTestLedger();
    sink = new MemoryDeadLetterSink();
  });
  afterEach(() => ledger.close());

  it('applies a batch once however often it is delivered', async () => {
    const event = validBatch();

    expect(await consume(event)).toEqual({ batchItemFailures: [] });
    const once = await ledger.dump();
    expect(await consume(event)).toEqual({ batchItemFailures: [] });
    expect(await consume(event)).toEqual({ batchItemFailures: [] });

    expect(await ledger.dump()).toEqual(once);
    expect(itemsOfKind(once, 'applied').map((item) => [item.eventId, item.partition, item.offset])).toEqual([
      ['pay-1001', 0, 15],
      ['pay-1002', 0, 16],
      ['pay-2001', 1, 3],
    ]);
    expect(itemsOfKind(once, 'applied')[0]?.event).toEqual(eventDefinition.sample('pay-1001', 7));
    expect(sink.letters).toEqual([]);
  });

  it('dead-letters each anomaly once with its reason and coordinates, and applies the rest once', async () => {
    const event = anomalyBatch();

    expect(await consume(event)).toEqual({ batchItemFailures: [] });
    expect(await consume(event)).toEqual({ batchItemFailures: [] });

    expect(letterSummary(sink)).toEqual([
      `${partitionName(0)}@41 DUPLICATE`,
      `${partitionName(0)}@42 GAP`,
      `${partitionName(0)}@43 OUT_OF_ORDER`,
      `${partitionName(0)}@44 MALFORMED`,
      `${partitionName(0)}@45 INVALID`,
    ]);
    const items = await ledger.dump();
    expect(itemsOfKind(items, 'applied').map((item) => [item.eventId, item.offset])).toEqual([
      ['pay-4001', 40],
      ['pay-4003', 42],
      ['pay-4007', 46],
    ]);
    expect(
      itemsOfKind(items, 'dead-letter').map((item) => [item.eventId, item.offset, item.reason, item.applied]),
    ).toEqual([
      ['pay-4001', 41, 'DUPLICATE', false],
      ['pay-4003', 42, 'GAP', true],
      ['pay-4004', 43, 'OUT_OF_ORDER', false],
      ['pay-4005', 44, 'MALFORMED', false],
      ['pay-4006', 45, 'INVALID', false],
    ]);
    expect(sink.letters[1]?.anomaly.detail).toMatch(/sequences 2 to 4 \(3 records\) are missing/);
  });

  it('catches the same event arriving on two partitions: applied once, the other copy a DUPLICATE', async () => {
    const event = mskEvent([
      sampleRecord({ eventId: 'twice', session: 's1', sequence: 0, offset: 0, partition: 0 }),
      sampleRecord({ eventId: 'twice', session: 's2', sequence: 0, offset: 0, partition: 1 }),
    ]);
    expect(await consume(event)).toEqual({ batchItemFailures: [] });
    expect(itemsOfKind(await ledger.dump(), 'applied')).toHaveLength(1);
    expect(letterSummary(sink).map((letter) => letter.split(' ')[1])).toEqual(['DUPLICATE']);
  });

  it('fails a partition from its first dead letter when the dead-letter topic is unavailable, then recovers', async () => {
    const event = mskEvent([
      ...(anomalyBatch().records[partitionName(0)] ?? []),
      ...(validBatch().records[partitionName(1)] ?? []),
    ]);
    sink.failing = true;

    const failed = await consume(event);

    // The ledger step commits first (its dead letters recorded as pending); partition 0 is then
    // reported from its first letter not published (41), and partition 1 is unaffected.
    expect(failed).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: partitionName(0), offset: 41 } }],
    });
    expect(
      itemsOfKind(await ledger.dump(), 'applied')
        .map((item) => `${item.partition}@${item.offset}`)
        .sort(),
    ).toEqual(['0@40', '0@42', '0@46', '1@3']);
    expect(sink.letters).toEqual([]);

    sink.failing = false;
    expect(await consume(redeliveryOf(event, failed))).toEqual({ batchItemFailures: [] });
    expect(await consume(event)).toEqual({ batchItemFailures: [] }); // and the whole batch once more

    expect(letterSummary(sink)).toEqual([
      `${partitionName(0)}@41 DUPLICATE`,
      `${partitionName(0)}@42 GAP`,
      `${partitionName(0)}@43 OUT_OF_ORDER`,
      `${partitionName(0)}@44 MALFORMED`,
      `${partitionName(0)}@45 INVALID`,
    ]);
    expect(
      itemsOfKind(await ledger.dump(), 'applied')
        .map((item) => `${item.partition}@${item.offset}`)
        .sort(),
    ).toEqual(['0@40', '0@42', '0@46', '1@3']);
  });

  it('rejects an event that is not a Kafka batch as a whole', async () => {
    await expect(consume({ Records: [] })).rejects.toBeInstanceOf(KafkaEventError);
  });
});

describe('consume handler: a crash at each point of a step, then redelivery', () => {
  const records = (count: number, from = 0): MSKRecord[] =>
    Array.from({ length: count }, (_, i) =>
      sampleRecord({
        eventId: `ev-${from + i}`,
        session: 'crash',
        sequence: from + i,
        offset: 100 + from + i,
      }),
    );
  const withAnomalies = (): MSKRecord[] => [
    ...records(3),
    mskRecord({
      offset: 103,
      value: 'oops',
      headers: { 'event-id': 'bad', 'producer-session': 'crash', 'partition-sequence': '3' },
    }),
    ...records(2, 4),
  ];

  let reference: Record<string, unknown>[];
  let referenceLetters: string[];
  let ledger: TestLedger;
  let sink: MemoryDeadLetterSink;
  // A crash ends the invocation: no time is left to retry within it, the mapping redelivers instead.
  const consume = (event: unknown) =>
    consumeBatch(
      event,
      {
        ledger: new DynamoDbLedger(ledger.client, ledger.tableName),
        deadLetters: sink,
        ...quietObservability(),
      },
      { getRemainingTimeInMillis: () => 0 },
    );

  beforeEach(async () => {
    // What a run without any crash leaves behind.
    ledger = await startTestLedger();
    sink = new MemoryDeadLetterSink();
    await consume(mskEvent(withAnomalies()));
    reference = stable(await ledger.dump());
    referenceLetters = letterSummary(sink);
    await ledger.close();
    ledger = await startTestLedger();
    sink = new MemoryDeadLetterSink();
  });
  afterEach(() => ledger.close());

  /** Delivers until acknowledged, as the mapping does; returns how many deliveries it took. */
  async function deliverUntilAcknowledged(event: MSKEvent): Promise<number> {
    let pending = event;
    for (let delivery = 1; delivery <= 5; delivery += 1) {
      const response = await consume(pending);
      if (response.batchItemFailures.length === 0) return delivery;
      pending = redeliveryOf(pending, response);
    }
    throw new Error('not acknowledged after 5 deliveries');
  }

  it('before the ledger step: the step is redone and nothing was published before it', async () => {
    ledger.store.failTransactions({ when: 'before', times: 1 });

    expect(await deliverUntilAcknowledged(mskEvent(withAnomalies()))).toBe(2);

    expect(stable(await ledger.dump())).toEqual(reference);
    expect(letterSummary(sink)).toEqual(referenceLetters);
  });

  it('after the ledger step, before its letters: the redelivery publishes the letters the ledger holds as pending', async () => {
    sink.failing = true;
    const event = mskEvent(withAnomalies());
    const first = await consume(event);
    expect(first.batchItemFailures).toEqual([
      { itemIdentifier: { partition: partitionName(0), offset: 103 } },
    ]);
    sink.failing = false;

    expect(await deliverUntilAcknowledged(event)).toBe(1);
    expect(await deliverUntilAcknowledged(event)).toBe(1); // sent letters are not sent again

    expect(stable(await ledger.dump()).map(({ letter: _l, ...rest }) => rest)).toEqual(
      reference.map(({ letter: _l, ...rest }) => rest),
    );
    expect(letterSummary(sink)).toEqual(referenceLetters);
  });

  it('after the ledger step, before the answer reached the function: the redelivery finds everything done', async () => {
    ledger.store.failTransactions({ when: 'after', times: 1 });

    expect(await deliverUntilAcknowledged(mskEvent(withAnomalies()))).toBe(2);

    expect(stable(await ledger.dump())).toEqual(reference);
    expect(letterSummary(sink)).toEqual(referenceLetters);
  });

  it('after the ledger step, when the SDK retries the lost answer itself: the conflict is resolved in the same invocation', async () => {
    const retrying = await startTestLedger({ maxAttempts: 3 });
    await ledger.close();
    ledger = retrying;
    ledger.store.failTransactions({ when: 'after', times: 1 });

    expect(await deliverUntilAcknowledged(mskEvent(withAnomalies()))).toBe(1);

    expect(stable(await ledger.dump())).toEqual(reference);
    expect(letterSummary(sink)).toEqual(referenceLetters);
  });

  it('between two steps of a large batch: the first stays, the second is redone', async () => {
    const big = mskEvent(records(150));
    ledger.store.failTransactions({ when: 'before', times: 1, skip: 1 });

    const first = await consume(big);
    expect(first.batchItemFailures).toHaveLength(1);
    const resumeAt = first.batchItemFailures[0]?.itemIdentifier.offset ?? 0;
    expect(resumeAt).toBeGreaterThan(100);
    expect(itemsOfKind(await ledger.dump(), 'applied')).toHaveLength(resumeAt - 100);

    expect(await consume(redeliveryOf(big, first))).toEqual({ batchItemFailures: [] });
    expect(await consume(big)).toEqual({ batchItemFailures: [] });
    const applied = itemsOfKind(await ledger.dump(), 'applied');
    expect(applied).toHaveLength(150);
    expect(new Set(applied.map((item) => item.eventId)).size).toBe(150);
  });

  it('two invocations racing on the same batch apply each event once', async () => {
    const event = mskEvent(withAnomalies());
    const responses = await Promise.all([consume(event), consume(event), consume(event)]);

    expect(responses.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(stable(await ledger.dump())).toEqual(reference);
  });
});
