import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventDefinition } from '../../../functions/event/definition';
import { createLedgerClient } from '../../../functions/ledger/client';
import { DynamoDbLedger } from '../../../functions/ledger/ledger';
import { appNames } from '../../../functions/shared/app-names';
import { eventRoutes } from '../../../functions/shared/event-definition';
import { createStatusHandler } from '../../../functions/status/status-handler';
import { ensureLedgerTable, type LedgerStore, startLedgerStore } from '../../../local/ledger-store';
import { httpApiEvent } from '../../helpers/api-gateway';

const TABLE = 'status-test-ledger';
let store: LedgerStore;
let handler: ReturnType<typeof createStatusHandler>;

/** The pipeline's own event type and topic: the status route reads the event id from `{<idField>}`. */
const applied = eventDefinition.sample('evt-applied', 1);
const { topic } = appNames();

beforeAll(async () => {
  store = await startLedgerStore();
  const region = 'us-east-1';
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  await ensureLedgerTable(new DynamoDBClient({ endpoint: store.endpoint, region, credentials }), TABLE);
  const client = createLedgerClient({ endpoint: store.endpoint, region });
  // The records are written by the ledger's own writer, as the consume function writes them.
  const ledger = new DynamoDbLedger(client, TABLE);
  const ref = { topic, partition: 1 };
  await ledger.commit({
    ref,
    expectedLastOffset: undefined,
    lastOffset: 8,
    sessions: [{ producerSession: 's1', expected: undefined, last: 1 }],
    applied: [
      {
        eventId: 'evt-applied',
        event: applied,
        offset: 7,
        origin: { producerSession: 's1', partitionSequence: 0 },
        recordTimestamp: 0,
      },
    ],
    deadLetters: [
      {
        eventId: 'evt-applied',
        offset: 8,
        reason: 'duplicate',
        detail: `already applied at ${topic}-1@7`,
        origin: { producerSession: 's1', partitionSequence: 1 },
        applied: false,
      },
    ],
  });
  await ledger.commit({
    ref,
    expectedLastOffset: 8,
    lastOffset: 9,
    sessions: [],
    applied: [],
    deadLetters: [
      {
        eventId: 'evt-bad',
        offset: 9,
        reason: 'malformed',
        detail: 'the value is not UTF-8 JSON',
        origin: undefined,
        applied: false,
      },
    ],
  });
  handler = createStatusHandler({ client, tableName: TABLE });
});

afterAll(async () => {
  await store?.close();
});

async function statusOf(
  eventId: string,
): Promise<{ statusCode: number | undefined; body: Record<string, unknown> }> {
  const event = {
    ...httpApiEvent({ method: 'GET', path: `${eventRoutes(eventDefinition).collection}/${eventId}` }),
    pathParameters: { [eventDefinition.idField]: eventId },
  };
  const result = (await handler(event)) as APIGatewayProxyStructuredResultV2;
  return { statusCode: result.statusCode, body: JSON.parse(result.body ?? '{}') };
}

describe('status handler', () => {
  it('answers an applied event with its partition and offset, and the duplicate the consumer caught', async () => {
    const { statusCode, body } = await statusOf('evt-applied');
    expect(statusCode).toBe(200);
    expect(body).toMatchObject({
      status: 'applied',
      eventId: 'evt-applied',
      appliedAt: { topic, partition: 1, offset: 7 },
      deadLetters: [{ offset: 8, reason: 'duplicate' }],
    });
  });

  it('answers a dead-lettered event with its reason', async () => {
    const { statusCode, body } = await statusOf('evt-bad');
    expect(statusCode).toBe(200);
    expect(body).toMatchObject({
      status: 'dead-lettered',
      deadLetters: [
        {
          topic,
          partition: 1,
          offset: 9,
          reason: 'malformed',
          detail: 'the value is not UTF-8 JSON',
        },
      ],
    });
  });

  it('answers 404 unknown for an event the ledger has never seen, and 400 for an impossible id', async () => {
    const unknown = await statusOf('evt-never-sent');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toMatchObject({ status: 'unknown', eventId: 'evt-never-sent' });
    expect((await statusOf('bad id!')).statusCode).toBe(400);
  });
});
