/**
 * The warm producer across the expiry of its IAM session. The broker (like MSK) ends a session when the
 * token and the credentials it was signed with expire, closing a connection that was not re-authenticated
 * in time; kafkajs re-authenticates a connection in use (KIP-368) and reconnects one that was closed.
 * Credentials here live 3 seconds and are rotated by the provider, as an execution role's are.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WarmProducer } from '../../../functions/shared/producer-session';
import { RecordHeader } from '../../../functions/shared/record-headers';
import type { Credentials } from '../../../local/broker';
import { ADMIN_POLICY, connectWith, type IamKafka, startIamKafka } from '../../helpers/iam-kafka';
import { readTopic } from '../../helpers/kafka';

const LIFETIME_MS = 3_000;
let kafka: IamKafka;

beforeAll(async () => {
  kafka = await startIamKafka();
});
afterAll(async () => {
  await kafka?.close();
});

/** Short-lived credentials, renewed once less than a second of them is left. */
function rotatingCredentials(principal: string): {
  provider: () => Promise<Credentials>;
  issued: () => number;
} {
  let current: Credentials | undefined;
  let issued = 0;
  return {
    provider: async () => {
      const left = (current?.expiration?.getTime() ?? 0) - Date.now();
      if (left < 1_000) {
        current = kafka.iam.issueCredentials(principal, LIFETIME_MS);
        issued += 1;
      }
      return current as Credentials;
    },
    issued: () => issued,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('keeps publishing across expiring sessions: every publish acknowledged, every event stored once', async () => {
  // GIVEN a warm producer whose credentials expire every 3 seconds
  kafka.iam.addPrincipal('ingest', ADMIN_POLICY);
  const credentials = rotatingCredentials('ingest');
  const admin = await connectWith(kafka.settings, credentials.provider)();
  const setup = admin.admin();
  await setup.connect();
  const topic = `expiry-${randomUUID().slice(0, 8)}`;
  await setup.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  await setup.disconnect();
  const producer = new WarmProducer(connectWith(kafka.settings, credentials.provider, 'ingest'), {
    publishTimeoutMs: 10_000,
  });

  // WHEN it publishes steadily for longer than two lifetimes, then again after idling past an expiry
  const eventIds: string[] = [];
  const publish = async () => {
    const eventId = `evt-${eventIds.length}`;
    eventIds.push(eventId);
    await producer.publish(topic, [{ eventId, key: `acct-${eventIds.length % 5}`, value: eventId }]);
  };
  const until = Date.now() + 2.5 * LIFETIME_MS;
  while (Date.now() < until) {
    await publish();
    await sleep(100);
  }
  await sleep(LIFETIME_MS + 500);
  for (let i = 0; i < 10; i++) await publish();
  await producer.close();

  // THEN nothing failed (a failure would be a 503), sessions did expire and close connections, and the
  // topic holds each event exactly once
  expect(credentials.issued()).toBeGreaterThanOrEqual(3);
  const expiryCloses = kafka.lines.filter(
    (line) => line.message === 'closing connection' && /expired at/.test(String(line.details.reason)),
  );
  expect(expiryCloses.length).toBeGreaterThan(0);
  const stored = await readTopic(kafka.brokers, topic, admin);
  const storedIds = stored.map((record) => record.headers[RecordHeader.eventId]);
  expect(storedIds.sort()).toEqual([...eventIds].sort());
}, 60_000);
