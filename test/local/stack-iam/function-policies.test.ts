/**
 * The functions' Kafka permissions, as the stack grants them, enforced by the local broker's MSK IAM
 * emulation: each function's client (made by the project's factory, signing MSK IAM tokens) does its work
 * with its role's synthesized policy, and fails, with the missing action named by the broker, when any one
 * of those permissions is taken away.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PublishError } from '../../../functions/shared/errors';
import { WarmProducer } from '../../../functions/shared/producer-session';
import { RecordHeader } from '../../../functions/shared/record-headers';
import type { PolicyDocument } from '../../../local/broker';
import {
  type FunctionPolicies,
  synthesizeFunctionPolicies,
} from '../../../local/stack-iam/function-policies';
import {
  ADMIN_POLICY,
  eventually,
  type IamKafka,
  startIamKafka,
  TEST_CLUSTER_ARN,
  withoutAction,
} from '../../helpers/iam-kafka';

const PAYMENTS = 'payments';
const DEAD_LETTERS = 'payments-dead-letter';
const GROUP = 'payments-ledger-test';

let kafka: IamKafka;
let policies: FunctionPolicies;
let publishAsAdmin: WarmProducer;
const closing: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  // GIVEN the policies the stack attaches to the ingest and consume roles, and a broker enforcing them
  policies = await synthesizeFunctionPolicies({
    clusterArn: TEST_CLUSTER_ARN,
    topic: PAYMENTS,
    deadLetterTopic: DEAD_LETTERS,
    consumerGroupId: GROUP,
  });
  kafka = await startIamKafka();
  const admin = kafka.principal('test-admin', ADMIN_POLICY);
  const client = await admin.connect();
  const topics = client.admin();
  await topics.connect();
  await topics.createTopics({
    topics: [
      { topic: PAYMENTS, numPartitions: 2 },
      { topic: DEAD_LETTERS, numPartitions: 1 },
    ],
  });
  await topics.disconnect();
  publishAsAdmin = new WarmProducer(admin.connect);
}, 120_000);

afterEach(async () => {
  await Promise.all(closing.splice(0).map((item) => item.close()));
});

afterAll(async () => {
  await publishAsAdmin?.close();
  await kafka?.close();
});

function event(prefix: string) {
  const eventId = `${prefix}-${randomUUID()}`;
  return { eventId, key: 'acct-1', value: JSON.stringify({ eventId }) };
}

/** A principal named after the test, so its refusals can be told apart from the others'. */
function principal(name: string, policy: PolicyDocument) {
  const unique = `${name}-${randomUUID().slice(0, 6)}`;
  const created = kafka.principal(unique, policy);
  const arn = `arn:aws:iam::111122223333:role/${unique}`;
  return {
    ...created,
    refusedActions: () => kafka.denials.filter((d) => d.principal === arn).map((d) => d.action),
  };
}

/** Reads the payments topic in the stack's consumer group until the event shows up (or the time is up). */
async function consumeEvent(
  connect: () => Promise<Kafka>,
  eventId: string,
  timeoutMs: number,
): Promise<boolean> {
  const consumer = (await connect()).consumer({
    groupId: GROUP,
    maxWaitTimeInMs: 100,
    retry: { retries: 1 },
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: PAYMENTS, fromBeginning: true });
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.headers?.[RecordHeader.eventId]?.toString() === eventId) {
              clearTimeout(timer);
              resolve(true);
            }
          },
        })
        .catch(() => undefined);
    });
  } catch {
    return false;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

describe('ingest with the policy of its role', () => {
  it('publishes idempotently to payments with no refusal', async () => {
    const ingest = principal('ingest', policies.ingest);
    const producer = new WarmProducer(ingest.connect);
    closing.push(producer);

    const [delivered] = await producer.publish(PAYMENTS, [event('ingest')]);

    expect(delivered?.offset).toMatch(/^\d+$/);
    expect(ingest.refusedActions()).toEqual([]);
  });

  it.each([
    ['kafka-cluster:WriteData', 'TOPIC_AUTHORIZATION_FAILED'],
    ['kafka-cluster:WriteDataIdempotently', 'CLUSTER_AUTHORIZATION_FAILED'],
    ['kafka-cluster:DescribeTopic', 'TOPIC_AUTHORIZATION_FAILED'],
  ])('fails without %s, the broker naming the action (%s)', async (action, kafkaError) => {
    const ingest = principal('ingest', withoutAction(policies.ingest, action));
    const producer = new WarmProducer(ingest.connect, { publishTimeoutMs: 8_000 });
    closing.push(producer);

    const failure = await producer.publish(PAYMENTS, [event('ingest')]).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(PublishError);
    expect(JSON.stringify(causes(failure))).toContain(kafkaError);
    expect(ingest.refusedActions()).toContain(action);
  });
});

describe('consume with the policy of its role', () => {
  it('reads payments in its group and dead-letters idempotently, with no refusal', async () => {
    const consume = principal('consume', policies.consume);
    const { eventId } = (await publishAsAdmin.publish(PAYMENTS, [event('consume')]))[0] ?? {};
    const deadLetters = new WarmProducer(consume.connect);
    closing.push(deadLetters);

    expect(await consumeEvent(consume.connect, eventId ?? '', 20_000)).toBe(true);
    await deadLetters.publish(DEAD_LETTERS, [event('dead-letter')]);

    expect(consume.refusedActions()).toEqual([]);
  });

  it.each(['kafka-cluster:ReadData', 'kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'])(
    'cannot read payments without %s, the broker naming the action',
    async (action) => {
      const consume = principal('consume', withoutAction(policies.consume, action));
      const { eventId } = (await publishAsAdmin.publish(PAYMENTS, [event('consume')]))[0] ?? {};

      const consumed = consumeEvent(consume.connect, eventId ?? '', 6_000);
      await eventually(() => consume.refusedActions().includes(action), `a refusal of ${action}`);

      expect(await consumed).toBe(false);
    },
  );

  it.each([
    ['kafka-cluster:WriteDataIdempotently', undefined],
    ['kafka-cluster:WriteData', /:topic\/.*\/payments-dead-letter$/],
    ['kafka-cluster:DescribeTopic', /:topic\/.*\/payments-dead-letter$/],
  ])('cannot dead-letter without %s', async (action, resource) => {
    const consume = principal('consume', withoutAction(policies.consume, action, resource));
    const deadLetters = new WarmProducer(consume.connect, { publishTimeoutMs: 8_000 });
    closing.push(deadLetters);

    const failure = await deadLetters
      .publish(DEAD_LETTERS, [event('dead-letter')])
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(PublishError);
    expect(consume.refusedActions()).toContain(action);
  });
});

/** The error and its causes, as plain objects (kafkajs errors carry `type`, e.g. TOPIC_AUTHORIZATION_FAILED). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current instanceof Error; current = current.cause) {
    chain.push({ message: current.message, type: (current as { type?: string }).type });
  }
  return chain;
}
