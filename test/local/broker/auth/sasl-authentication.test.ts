/**
 * MSK IAM authentication on the local broker's TLS listener, with real kafkajs clients: tokens are made by
 * aws-msk-iam-sasl-signer-js (through the project's Kafka client factory where it can make the case), and
 * every refusal is SASL_AUTHENTICATION_FAILED with a message saying what is wrong.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateAuthTokenFromCredentialsProvider } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKafkaSettings } from '../../../../functions/shared/kafka-settings';
import type { Credentials } from '../../../../local/broker';
import { generateTlsIdentity } from '../../../../local/broker/tls/certificates';
import {
  ADMIN_POLICY,
  connectWith,
  type IamKafka,
  startIamKafka,
  TEST_REGION,
} from '../../../helpers/iam-kafka';

let kafka: IamKafka;
let admin: Credentials;

beforeAll(async () => {
  kafka = await startIamKafka();
  admin = kafka.principal('admin', ADMIN_POLICY).credentials;
});
afterAll(async () => {
  await kafka?.close();
});

/** Connects an admin client and lists topics: the first request that needs an authenticated connection. */
async function listTopics(client: Kafka): Promise<string[]> {
  const adminClient = client.admin();
  try {
    await adminClient.connect();
    return await adminClient.listTopics();
  } finally {
    await adminClient.disconnect().catch(() => undefined);
  }
}

async function failureOf(work: Promise<unknown>): Promise<string> {
  const outcome = await work.then(
    () => 'succeeded',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  return outcome;
}

/** A token from the real signer, changed by `alter`, presented by a plain kafkajs client over TLS. */
async function withToken(alter: (url: URL) => void): Promise<Kafka> {
  const { token } = await generateAuthTokenFromCredentialsProvider({
    region: TEST_REGION,
    awsCredentialsProvider: async () => admin,
  });
  const url = new URL(Buffer.from(token, 'base64url').toString('utf8'));
  alter(url);
  const altered = Buffer.from(url.toString()).toString('base64url');
  return new Kafka({
    clientId: 'altered-token',
    brokers: [...kafka.brokers],
    ssl: { ca: [readFileSync(kafka.caFile, 'utf8')] },
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: altered }) },
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
}

describe('MSK IAM authentication', () => {
  it('lets a principal with kafka-cluster:Connect in, over TLS', async () => {
    const topics = await listTopics(await connectWith(kafka.settings, async () => admin)());
    expect(Array.isArray(topics)).toBe(true);
  });

  it('refuses a token whose signature was tampered with', async () => {
    const client = await withToken((url) => {
      const signature = url.searchParams.get('X-Amz-Signature') ?? '';
      url.searchParams.set('X-Amz-Signature', `${signature[0] === 'a' ? 'b' : 'a'}${signature.slice(1)}`);
    });
    expect(await failureOf(listTopics(client))).toMatch(
      /SASL OAUTHBEARER authentication failed: Authentication failed: the signature does not match/,
    );
  });

  it('refuses a token signed with the wrong secret', async () => {
    const wrongSecret = { ...admin, secretAccessKey: 'not-the-secret' };
    const failure = await failureOf(connectWith(kafka.settings, async () => wrongSecret)().then(listTopics));
    expect(failure).toContain(`signed with another secret than the one of ${admin.accessKeyId}`);
  });

  it('refuses a token for another action than kafka-cluster:Connect', async () => {
    const client = await withToken((url) => url.searchParams.set('Action', 'kafka-cluster:WriteData'));
    expect(await failureOf(listTopics(client))).toContain(
      'the token is for action "kafka-cluster:WriteData", expected "kafka-cluster:Connect"',
    );
  });

  it('refuses an expired token', async () => {
    // GIVEN a broker whose clock runs 20 minutes ahead: every 15-minute token it sees has expired
    const later = await startIamKafka({ now: () => Date.now() + 20 * 60_000 });
    try {
      const credentials = later.principal('admin', ADMIN_POLICY).credentials;
      const failure = await failureOf(
        connectWith(later.settings, async () => credentials)().then(listTopics),
      );
      expect(failure).toMatch(/Authentication failed: the token expired at \d{4}-\d\d-\d\dT/);
    } finally {
      await later.close();
    }
  });

  it('refuses credentials that expired, and keys it does not know', async () => {
    kafka.iam.addPrincipal('short-lived', ADMIN_POLICY);
    const expired = kafka.iam.issueCredentials('short-lived', 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const { expiration: _expiration, ...withoutExpiry } = expired; // the client does not know it expired
    expect(
      await failureOf(connectWith(kafka.settings, async () => withoutExpiry)().then(listTopics)),
    ).toContain(`the credentials of ${expired.accessKeyId} expired at`);
    const unknown = { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'secret' };
    expect(await failureOf(connectWith(kafka.settings, async () => unknown)().then(listTopics))).toContain(
      'the access key AKIAUNKNOWN is not known to this broker',
    );
  });

  it('refuses a principal whose policy does not allow kafka-cluster:Connect', async () => {
    const { credentials } = kafka.principal('no-connect', {
      Statement: [{ Effect: 'Allow', Action: 'kafka-cluster:DescribeTopic', Resource: '*' }],
    });
    const failure = await failureOf(connectWith(kafka.settings, async () => credentials)().then(listTopics));
    expect(failure).toContain(`is not allowed kafka-cluster:Connect on ${kafka.iam.cluster.arn}`);
  });
});

describe('the TLS listener', () => {
  it('is refused by a client trusting another CA, with the certificate problem in the error', async () => {
    const other = await generateTlsIdentity(['127.0.0.1']);
    const otherCa = join(kafka.caFile, '..', 'other-ca.pem');
    writeFileSync(otherCa, other.ca);
    const settings = readKafkaSettings({
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKA_AUTH: 'iam',
      AWS_REGION: TEST_REGION,
      KAFKA_CA_FILE: otherCa,
    });
    const failure = await failureOf(connectWith(settings, async () => admin)().then(listTopics));
    expect(failure).toMatch(/certificate/i);
  });
});
