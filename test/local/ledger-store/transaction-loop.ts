/**
 * Child process of the store crash test: opens the embedded store on a folder and commits numbered
 * transactions until it is killed, printing "committed <n>" after each one the store acknowledged.
 * Transaction n moves a counter from n-1 to n, updates two shared items, puts PUTS_PER_TRANSACTION items
 * of its own and deletes the first item of transaction n-DELETE_DISTANCE: see expectedItems for the state
 * that a prefix of these transactions leaves.
 *
 *   node --import tsx test/local/ledger-store/transaction-loop.ts <folder> <seed>
 */
import { GetCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { createLedgerClient } from '../../../functions/ledger/client';
import { seededRandom } from '../../../local/chaos/seeded-random';
import { ensureLedgerTable, startLedgerStore } from '../../../local/ledger-store';
import { CRASH_TABLE, DELETE_DISTANCE, PUTS_PER_TRANSACTION, SHARED_ITEMS } from './transaction-state';

type Action = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

async function main(folder: string, seed: number): Promise<void> {
  const store = await startLedgerStore({ path: folder });
  const client = createLedgerClient({ endpoint: store.endpoint, maxAttempts: 1 });
  await ensureLedgerTable(client, CRASH_TABLE);
  const random = seededRandom(seed);
  const counter = await client.send(
    new GetCommand({ TableName: CRASH_TABLE, Key: { pk: 'counter', sk: '-' } }),
  );
  let last = Number(counter.Item?.last ?? 0);
  process.stdout.write(`ready ${last}\n`);
  for (;;) {
    const next = last + 1;
    const actions: Action[] = [
      last === 0
        ? {
            Put: {
              TableName: CRASH_TABLE,
              Item: { pk: 'counter', sk: '-', last: next },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          }
        : {
            Update: {
              TableName: CRASH_TABLE,
              Key: { pk: 'counter', sk: '-' },
              UpdateExpression: 'SET #last = :next',
              ConditionExpression: '#last = :last',
              ExpressionAttributeNames: { '#last': 'last' },
              ExpressionAttributeValues: { ':next': next, ':last': last },
            },
          },
      ...SHARED_ITEMS.map(
        (pk): Action => ({
          Update: {
            TableName: CRASH_TABLE,
            Key: { pk, sk: '-' },
            UpdateExpression: 'SET #last = :next ADD writes :one',
            ExpressionAttributeNames: { '#last': 'last' },
            ExpressionAttributeValues: { ':next': next, ':one': 1 },
          },
        }),
      ),
      ...Array.from(
        { length: PUTS_PER_TRANSACTION },
        (_, index): Action => ({
          Put: {
            TableName: CRASH_TABLE,
            // Sizes vary so that transactions take different times to write.
            Item: { pk: `T#${next}`, sk: String(index), filler: 'x'.repeat(Math.floor(random() * 20_000)) },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        }),
      ),
      ...(next > DELETE_DISTANCE
        ? [{ Delete: { TableName: CRASH_TABLE, Key: { pk: `T#${next - DELETE_DISTANCE}`, sk: '0' } } }]
        : []),
    ];
    await client.send(new TransactWriteCommand({ TransactItems: actions }));
    last = next;
    process.stdout.write(`committed ${last}\n`);
  }
}

const [folder, seed] = process.argv.slice(2);
if (!folder || seed === undefined) {
  console.error('usage: transaction-loop.ts <folder> <seed>');
  process.exit(2);
}
main(folder, Number(seed)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
