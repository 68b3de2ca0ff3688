import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { MSKRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { consumeBatch } from '../../../functions/consume/consume';
import { DynamoDbLedger, MAX_COMMIT_ITEMS } from '../../../functions/ledger/ledger';
import { appNames } from '../../../functions/shared/app-names';
import { defineEvent, type EventDefinition } from '../../../functions/shared/event-definition';
import { identifier } from '../../../functions/shared/schema-fields';
import { customerOrdersKey, type OrderEvent, orderDefinition } from '../../helpers/order-events';
import {
  eventRecord,
  itemsOfKind,
  MemoryDeadLetterSink,
  mskEvent,
  quietObservability,
  startTestLedger,
  type TestLedger,
} from './support';

const SESSION = '5d0c5a4e-1111-4222-8333-944455556666';

/** An event type whose fields carry the names of the ledger's own attributes, and whose id is `ref`. */
const readingDefinition = defineEvent({
  noun: { singular: 'reading', plural: 'readings' },
  schema: z.strictObject({
    ref: identifier('ref'),
    topic: z.string(),
    offset: z.number(),
    kind: z.string(),
  }),
  idField: 'ref',
  orderingKey: (reading) => reading.topic,
  effect: () => [],
  sample: (ref, group) => ({ ref, topic: `sensor-${group}`, offset: group, kind: 'temperature' }),
});

/** The TransactWriteItems calls a ledger sends, recorded on their way to the real store. */
function recordingClient(inner: DynamoDBDocumentClient): {
  client: DynamoDBDocumentClient;
  transactions: TransactWriteCommand[];
} {
  const transactions: TransactWriteCommand[] = [];
  const client = new Proxy(inner, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
        if (command instanceof TransactWriteCommand) transactions.push(command);
        return target.send(command as never);
      };
    },
  });
  return { client, transactions };
}

describe('consuming events of another definition', () => {
  let ledger: TestLedger;
  let sink: MemoryDeadLetterSink;
  beforeEach(async () => {
    ledger = await startTestLedger();
    sink = new MemoryDeadLetterSink();
  });
  afterEach(() => ledger.close());

  const consume = (definition: EventDefinition, records: MSKRecord[], client = ledger.client) =>
    consumeBatch(mskEvent(records), {
      ledger: new DynamoDbLedger(client, ledger.tableName),
      deadLetters: sink,
      definition,
      ...quietObservability(),
    });

  it('recognises duplicates across batches when event fields are named topic, offset and kind and the id is not eventId', async () => {
    const reading = readingDefinition.sample('reading-1', 7);
    const place = (offset: number) => ({ session: SESSION, sequence: offset, offset, partition: 0 });

    expect(await consume(readingDefinition, [eventRecord(readingDefinition, reading, place(0))])).toEqual({
      batchItemFailures: [],
    });
    // A client retry published the same reading again; it arrives in a later batch.
    expect(await consume(readingDefinition, [eventRecord(readingDefinition, reading, place(1))])).toEqual({
      batchItemFailures: [],
    });

    expect(sink.letters.map((letter) => [letter.record.offset, letter.anomaly.reason])).toEqual([
      [1, 'DUPLICATE'],
    ]);
    const [applied, ...others] = itemsOfKind(await ledger.dump(), 'applied');
    expect(others).toEqual([]);
    expect(applied).toMatchObject({
      kind: 'applied',
      eventId: 'reading-1',
      topic: appNames().topic,
      partition: 0,
      offset: 0,
      event: reading,
    });
  });

  it('commits 100 events with 100 distinct effect items, each transaction within the action limit', async () => {
    const { client, transactions } = recordingClient(ledger.client);
    const orders = Array.from({ length: 100 }, (_, index) => orderDefinition.sample(`order-${index}`, index));
    const records = orders.map((order, index) =>
      eventRecord(orderDefinition, order, { session: SESSION, sequence: index, offset: index, partition: 0 }),
    );

    expect(await consume(orderDefinition, records, client)).toEqual({ batchItemFailures: [] });

    expect(sink.letters).toEqual([]);
    const items = await ledger.dump();
    expect(itemsOfKind(items, 'applied')).toHaveLength(100);
    const counts = items.filter((item) => String(item.pk).startsWith('CUSTOMER#'));
    expect(counts).toHaveLength(100);
    expect(counts.every((item) => item.orderCount === 1)).toBe(true);
    expect(transactions.length).toBeGreaterThan(1);
    for (const transaction of transactions) {
      expect(transaction.input.TransactItems?.length).toBeLessThanOrEqual(MAX_COMMIT_ITEMS);
    }
  });

  it('merges the effects of a step on one item into one action', async () => {
    const { client, transactions } = recordingClient(ledger.client);
    const orders: OrderEvent[] = [
      { ...orderDefinition.sample('order-a', 1), quantity: 2 },
      { ...orderDefinition.sample('order-b', 1), quantity: 3 },
      { ...orderDefinition.sample('order-c', 1), quantity: 4 },
    ];
    const records = orders.map((order, index) =>
      eventRecord(orderDefinition, order, { session: SESSION, sequence: index, offset: index, partition: 0 }),
    );

    expect(await consume(orderDefinition, records, client)).toEqual({ batchItemFailures: [] });

    expect(transactions).toHaveLength(1);
    const actions = transactions[0]?.input.TransactItems ?? [];
    const onCustomer = actions.filter((action) => action.Update?.Key?.pk === customerOrdersKey('cust-1').pk);
    expect(onCustomer).toHaveLength(1);
    // 3 applied items, 1 customer item, the session's and the partition's progress.
    expect(actions).toHaveLength(6);
    const customer = (await ledger.dump()).find((item) => item.pk === customerOrdersKey('cust-1').pk);
    expect(customer).toMatchObject({ orderCount: 3, quantity: 9, lastOrderId: 'order-c' });
  });
});
