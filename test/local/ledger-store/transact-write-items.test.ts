import { CreateTableCommand, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from '../../functions/consume/support';

/**
 * Where dynalite alone and DynamoDB differ, the embedded store answers like DynamoDB (its API reference for
 * TransactWriteItems and TransactionCanceledException, and answers captured from the service).
 */
describe('embedded ledger store: TransactWriteItems answers like DynamoDB', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
  });
  afterAll(() => ledger.close());

  const key = (pk: string) => ({ pk, sk: 'x' });
  const get = async (pk: string) =>
    (await ledger.client.send(new GetCommand({ TableName: ledger.tableName, Key: key(pk) }))).Item;
  const transact = (
    actions: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>,
  ) => ledger.client.send(new TransactWriteCommand({ TransactItems: actions }));
  const failure = (attempt: Promise<unknown>) =>
    attempt.then(
      () => undefined,
      (error: unknown) => error as Error,
    );
  const put = (pk: string, extra: Record<string, unknown> = {}) => ({
    Put: { TableName: ledger.tableName, Item: { ...key(pk), ...extra } },
  });
  const KB = 1024;

  it('cancels with a ValidationError reason when an Update would make an item larger than 400 KB', async () => {
    await ledger.client.send(
      new PutCommand({ TableName: ledger.tableName, Item: { ...key('growing'), n: 1 } }),
    );
    const error = await failure(
      transact([
        put('beside-growing'),
        {
          Update: {
            TableName: ledger.tableName,
            Key: key('growing'),
            UpdateExpression: 'SET filler = :filler',
            ExpressionAttributeValues: { ':filler': 'x'.repeat(400 * KB) },
          },
        },
      ]),
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons).toEqual([
      { Code: 'None' },
      { Code: 'ValidationError', Message: 'Item size to update has exceeded the maximum allowed size' },
    ]);
    expect(error?.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]',
    );
    expect(await get('beside-growing')).toBeUndefined();
    expect(await get('growing')).toEqual({ ...key('growing'), n: 1 });
  });

  it('cancels with a ValidationError reason when an Update applies to a value of the wrong type', async () => {
    await ledger.client.send(
      new PutCommand({ TableName: ledger.tableName, Item: { ...key('typed'), s: 'text' } }),
    );
    const error = await failure(
      transact([
        {
          Update: {
            TableName: ledger.tableName,
            Key: key('typed'),
            UpdateExpression: 'ADD s :one',
            ExpressionAttributeValues: { ':one': 1 },
          },
        },
      ]),
    );
    expect((error as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code)).toEqual(
      ['ValidationError'],
    );
  });

  it('rejects a Put item larger than 400 KB up front, with a ValidationException', async () => {
    const error = await failure(transact([put('small'), put('huge', { filler: 'x'.repeat(400 * KB) })]));
    expect(error?.name).toBe('ValidationException');
    expect(error?.message).toBe('Item size has exceeded the maximum allowed size');
    expect(await get('small')).toBeUndefined();
  });

  it('rejects more than 100 actions and no action with the length constraint DynamoDB names', async () => {
    const tooMany = await failure(transact(Array.from({ length: 101 }, (_, index) => put(`many-${index}`))));
    expect(tooMany?.name).toBe('ValidationException');
    expect(tooMany?.message).toMatch(
      /^1 validation error detected: .* failed to satisfy constraint: Member must have length less than or equal to 100$/,
    );
    expect(await get('many-0')).toBeUndefined();
    const none = await failure(transact([]));
    expect(none?.message).toMatch(/Member must have length greater than or equal to 1$/);
  });

  it('rejects a transaction whose items add up to more than 4 MB', async () => {
    const error = await failure(
      transact(
        Array.from({ length: 11 }, (_, index) => put(`bulk-${index}`, { filler: 'x'.repeat(390 * KB) })),
      ),
    );
    expect(error?.name).toBe('ValidationException');
    expect(error?.message).toMatch(/4 MB/);
    expect(await get('bulk-0')).toBeUndefined();
  });

  it('returns the stored item with a failed condition when asked (ReturnValuesOnConditionCheckFailure)', async () => {
    await ledger.client.send(new PutCommand({ TableName: ledger.tableName, Item: { ...key('held'), n: 7 } }));
    const error = await failure(
      transact([
        {
          Put: {
            TableName: ledger.tableName,
            Item: key('held'),
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      ]),
    );
    expect((error as TransactionCanceledException).CancellationReasons).toEqual([
      {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        Item: { pk: { S: 'held' }, sk: { S: 'x' }, n: { N: '7' } },
      },
    ]);
  });

  it('cancels with a ValidationError reason for a key of the wrong type', async () => {
    const error = await failure(
      transact([put('fine'), { Put: { TableName: ledger.tableName, Item: { pk: 5, sk: 'x' } } }]),
    );
    expect((error as TransactionCanceledException).CancellationReasons).toEqual([
      { Code: 'None' },
      {
        Code: 'ValidationError',
        Message: 'One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N',
      },
    ]);
    expect(await get('fine')).toBeUndefined();
  });

  it('writes secondary index entries with the items, and none for a cancelled transaction', async () => {
    const tableName = `${ledger.tableName}-indexed`;
    await ledger.client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'owner', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'by-owner',
            KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    const byOwner = async (owner: string) =>
      (
        await ledger.client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'by-owner',
            KeyConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          }),
        )
      ).Items?.map((item) => item.pk);
    await ledger.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: { pk: 'a', owner: 'ann' } } },
          { Put: { TableName: tableName, Item: { pk: 'b', owner: 'ann' } } },
        ],
      }),
    );
    const giveAToBob = {
      Update: {
        TableName: tableName,
        Key: { pk: 'a' },
        UpdateExpression: 'SET #owner = :bob',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':bob': 'bob' },
      },
    };
    const cancelled = await failure(
      transact([
        giveAToBob,
        { Put: { TableName: tableName, Item: { pk: 'b' }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ]),
    );
    expect(cancelled).toBeInstanceOf(TransactionCanceledException);
    expect((await byOwner('ann'))?.sort()).toEqual(['a', 'b']);
    expect(await byOwner('bob')).toEqual([]);
    await transact([giveAToBob, { Delete: { TableName: tableName, Key: { pk: 'b' } } }]);
    expect(await byOwner('ann')).toEqual([]);
    expect(await byOwner('bob')).toEqual(['a']);
  });
});
