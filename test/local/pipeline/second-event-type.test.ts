import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, MSKEvent } from 'aws-lambda';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConsumeConfig } from '../../../functions/consume/config';
import { createConsumeHandler } from '../../../functions/consume/consume';
import { DeadLetterHeader } from '../../../functions/consume/dead-letters';
import { createConsumeDependencies } from '../../../functions/consume/dependencies';
import { createIngestHandler } from '../../../functions/ingest/ingest-handler';
import { appNames } from '../../../functions/shared/app-names';
import { eventRoutes } from '../../../functions/shared/event-definition';
import { readKafkaSettings } from '../../../functions/shared/kafka-settings';
import { createStatusHandler } from '../../../functions/status/status-handler';
import { type EventSource, fileDestination, startEventSource } from '../../../local/event-source';
import { type HttpGateway, startHttpGateway } from '../../../local/http-gateway';
import type { LambdaHandler } from '../../../local/lambda-runtime';
import { itemsOfKind, startTestLedger, type TestLedger } from '../../functions/consume/support';
import { createFreshTopic, readTopic, startTestKafka, type TestKafka, waitUntil } from '../../helpers/kafka';
import { customerOrdersKey, orderDefinition } from '../../helpers/order-events';

/**
 * The pipeline end to end with a second event type: orders (orderId the idempotency key, customerId the
 * ordering key, a per-customer order count as the effect). The same ingest, consume and status handlers as
 * the payment pipeline, on the local broker, the embedded ledger store, the HTTP gateway and the event source
 * emulator; only the definition differs. A payment assumption in shared code fails here.
 */
const routes = eventRoutes(orderDefinition);
/** The names an orders application gets: what a fork's `appName` would give. */
const orderNames = appNames('orders');
const quiet = (serviceName: string) => ({
  logger: new Logger({ serviceName, logLevel: 'SILENT' }),
  metrics: new Metrics({ namespace: 'OrdersTest', serviceName }),
});

let kafka: TestKafka;
let ledger: TestLedger;
let dataDir: string;
let ordersTopic: string;
let deadLetterTopic: string;
let gateway: HttpGateway;
let eventSource: EventSource;
const closing: (() => Promise<void>)[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'orders-pipeline-'));
  kafka = await startTestKafka();
  ledger = await startTestLedger({ maxAttempts: 3 });
  ordersTopic = await createFreshTopic(kafka.brokers, {
    partitions: 3,
    prefix: orderNames.topic,
  });
  deadLetterTopic = await createFreshTopic(kafka.brokers, { prefix: orderNames.deadLetterTopic });
  const kafkaSettings = readKafkaSettings({ KAFKA_BROKERS: kafka.brokers.join(',') });

  const ingest = createIngestHandler({
    settings: {
      kafka: kafkaSettings,
      topic: ordersTopic,
      limits: { maxEventBytes: 64 * 1024, maxBatchBytes: 256 * 1024, maxBatchEvents: 100 },
      publishTimeoutMs: 10_000,
      retryAfterSeconds: 1,
      producerMaxIdleMs: undefined,
    },
    definition: orderDefinition,
    ...quiet('ingest'),
  });
  const consumeDependencies = createConsumeDependencies(
    readConsumeConfig({
      LEDGER_TABLE: ledger.tableName,
      DEAD_LETTER_TOPIC: deadLetterTopic,
      KAFKA_BROKERS: kafka.brokers.join(','),
      DYNAMODB_ENDPOINT: ledger.store.endpoint,
    }),
  );
  closing.push(() => consumeDependencies.producer.close());
  const consume = createConsumeHandler({
    ...consumeDependencies,
    ...quiet('consume'),
    definition: orderDefinition,
  });
  const status = createStatusHandler({
    client: ledger.client,
    tableName: ledger.tableName,
    definition: orderDefinition,
  });

  eventSource = await startEventSource({
    kafka: new Kafka({
      clientId: 'orders-event-source',
      brokers: [...kafka.brokers],
      logLevel: logLevel.NOTHING,
    }),
    bootstrapServers: kafka.brokers,
    topic: ordersTopic,
    groupId: `${ordersTopic}-ledger`,
    fn: { name: 'consume', handler: consume as LambdaHandler<MSKEvent, unknown> },
    onFailure: fileDestination(join(dataDir, 'on-failure.jsonl')),
    batchingWindowMs: 50,
    log: () => undefined,
  });
  gateway = await startHttpGateway({
    port: 0,
    routes: [
      {
        routeKey: `POST ${routes.collection}`,
        target: { name: 'ingest', handler: ingest as LambdaHandler<APIGatewayProxyEventV2, unknown> },
      },
      { routeKey: `GET ${routes.item}`, target: { name: 'status', handler: status } },
    ],
  });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await eventSource?.stop();
  for (const close of closing) await close();
  await ledger?.close();
  await kafka?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function post(body: unknown, idempotencyKey?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${gateway.url}${routes.collection}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function statusOf(orderId: string): Promise<{ status: number; body: { status?: string } }> {
  const response = await fetch(`${gateway.url}${routes.collection}/${encodeURIComponent(orderId)}`);
  return { status: response.status, body: (await response.json()) as { status?: string } };
}

describe('a second event type through the same handlers', () => {
  it('ingests, consumes and applies orders once, with their effect in the ledger transaction', async () => {
    const { orderId: _id, ...withoutId } = orderDefinition.sample('order-1', 1);
    // One order keyed by the header, a batch of three more, and a client retry of the first.
    expect(await post(withoutId, 'order-1')).toMatchObject({ status: 201, body: { eventId: 'order-1' } });
    const batch = [
      orderDefinition.sample('order-2', 1),
      orderDefinition.sample('order-3', 2),
      { ...orderDefinition.sample('order-4', 1), quantity: 5 },
    ];
    expect(await post(batch)).toMatchObject({ status: 200 });
    expect(await post(orderDefinition.sample('order-1', 1))).toMatchObject({ status: 201 });
    // Validated by the orders schema, with its field names in the answer.
    expect(await post({ ...orderDefinition.sample('order-5', 3), quantity: 0 })).toMatchObject({
      status: 422,
      body: { issues: [{ field: '$.quantity', problem: 'quantity must be greater than 0' }] },
    });

    await waitUntil(
      'the retry of order-1 to be dead-lettered',
      async () => {
        const answer = await statusOf('order-1');
        return (
          answer.body.status === 'applied' &&
          (answer.body as { deadLetters?: unknown[] }).deadLetters?.length === 1
        );
      },
      30_000,
    );
    for (const id of ['order-2', 'order-3', 'order-4']) {
      await waitUntil(
        `${id} to be applied`,
        async () => (await statusOf(id)).body.status === 'applied',
        30_000,
      );
    }
    expect(await statusOf('order-5')).toMatchObject({ status: 404 });

    const items = await ledger.dump();
    expect(
      itemsOfKind(items, 'applied')
        .map((item) => item.eventId)
        .sort(),
    ).toEqual(['order-1', 'order-2', 'order-3', 'order-4']);
    const customer = (id: string) => items.find((item) => item.pk === customerOrdersKey(id).pk);
    expect(customer('cust-1')).toMatchObject({ orderCount: 3 });
    expect(customer('cust-2')).toMatchObject({ orderCount: 1 });
    await waitUntil(
      'the dead letter',
      async () => (await readTopic(kafka.brokers, deadLetterTopic)).length > 0,
    );
    const letters = await readTopic(kafka.brokers, deadLetterTopic);
    expect(letters.map((letter) => letter.headers[DeadLetterHeader.reason])).toEqual(['DUPLICATE']);
  }, 90_000);
});
