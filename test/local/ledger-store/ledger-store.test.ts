import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerClient } from '../../../functions/ledger/client';
import { ensureLedgerTable, startLedgerStore } from '../../../local/ledger-store';
import { startTestLedger, type TestLedger } from '../../functions/consume/support';

describe('embedded ledger store: TransactWriteItems on dynalite', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
  });
  afterAll(() => ledger.close());

  const get = async (pk: string) =>
    (await ledger.client.send(new GetCommand({ TableName: ledger.tableName, Key: { pk, sk: 'x' } }))).Item;

  it('applies every action of a transaction whose conditions hold', async () => {
    await ledger.client.send(
      new PutCommand({ TableName: ledger.tableName, Item: { pk: 'counter', sk: 'x', n: 1 } }),
    );
    await ledger.client.send(new PutCommand({ TableName: ledger.tableName, Item: { pk: 'guard', sk: 'x' } }));
    await ledger.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: ledger.tableName,
              Item: { pk: 'a', sk: 'x' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: ledger.tableName,
              Key: { pk: 'counter', sk: 'x' },
              UpdateExpression: 'SET n = :next',
              ConditionExpression: 'n = :expected',
              ExpressionAttributeValues: { ':next': 2, ':expected': 1 },
            },
          },
          {
            ConditionCheck: {
              TableName: ledger.tableName,
              Key: { pk: 'guard', sk: 'x' },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
        ],
      }),
    );
    expect(await get('a')).toEqual({ pk: 'a', sk: 'x' });
    expect(await get('counter')).toEqual({ pk: 'counter', sk: 'x', n: 2 });
  });

  it('applies none of a transaction when one condition fails, and reports a reason per action', async () => {
    // Items of its own: the transaction would delete `kept` and fails on `stale-counter` (2, not 1).
    await ledger.client.send(new PutCommand({ TableName: ledger.tableName, Item: { pk: 'kept', sk: 'x' } }));
    await ledger.client.send(
      new PutCommand({ TableName: ledger.tableName, Item: { pk: 'stale-counter', sk: 'x', n: 2 } }),
    );
    const attempt = ledger.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: ledger.tableName,
              Item: { pk: 'b', sk: 'x' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Delete: { TableName: ledger.tableName, Key: { pk: 'kept', sk: 'x' } } },
          {
            Update: {
              TableName: ledger.tableName,
              Key: { pk: 'stale-counter', sk: 'x' },
              UpdateExpression: 'SET n = :next',
              ConditionExpression: 'n = :expected',
              ExpressionAttributeValues: { ':next': 3, ':expected': 1 },
            },
          },
        ],
      }),
    );
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'None',
      'None',
      'ConditionalCheckFailed',
    ]);
    expect(await get('b')).toBeUndefined();
    expect(await get('kept')).toEqual({ pk: 'kept', sk: 'x' });
    expect(await get('stale-counter')).toMatchObject({ n: 2 });
  });

  it('rejects two actions on one item, as DynamoDB does', async () => {
    const attempt = ledger.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: ledger.tableName, Item: { pk: 'c', sk: 'x' } } },
          { Delete: { TableName: ledger.tableName, Key: { pk: 'c', sk: 'x' } } },
        ],
      }),
    );
    await expect(attempt).rejects.toThrow(/multiple operations on one item/);
  });

  it('fails transactions on request, before or after applying them', async () => {
    ledger.store.failTransactions({ when: 'before', times: 1 });
    const put = (pk: string) =>
      ledger.client.send(
        new TransactWriteCommand({
          TransactItems: [{ Put: { TableName: ledger.tableName, Item: { pk, sk: 'x' } } }],
        }),
      );
    await expect(put('d')).rejects.toThrow(/fault injected/);
    expect(await get('d')).toBeUndefined();
    ledger.store.failTransactions({ when: 'after', times: 1 });
    await expect(put('e')).rejects.toThrow(/fault injected/);
    expect(await get('e')).toEqual({ pk: 'e', sk: 'x' });
    await put('f');
    expect(await get('f')).toEqual({ pk: 'f', sk: 'x' });
  });
});

describe('embedded ledger store on disk', () => {
  it('keeps tables and items across a restart', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'ledger-store-'));
    try {
      const first = await startLedgerStore({ path: folder });
      const writer = createLedgerClient({ endpoint: first.endpoint });
      await ensureLedgerTable(writer, 'ledger');
      await writer.send(new PutCommand({ TableName: 'ledger', Item: { pk: 'kept', sk: 'x', n: 7 } }));
      writer.destroy();
      await first.close();

      const second = await startLedgerStore({ path: folder });
      const reader = createLedgerClient({ endpoint: second.endpoint });
      await ensureLedgerTable(reader, 'ledger'); // already there: left as it is
      const { Item } = await reader.send(
        new GetCommand({ TableName: 'ledger', Key: { pk: 'kept', sk: 'x' } }),
      );
      reader.destroy();
      await second.close();
      expect(Item).toEqual({ pk: 'kept', sk: 'x', n: 7 });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('embedded ledger store start-up', () => {
  it('fails with EADDRINUSE when the port is taken, leaving the store that holds it working', async () => {
    const first = await startLedgerStore();
    try {
      await expect(startLedgerStore({ port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      const client = createLedgerClient({ endpoint: first.endpoint });
      await ensureLedgerTable(client, 'still-serving');
      client.destroy();
    } finally {
      await first.close();
    }
  });
});
