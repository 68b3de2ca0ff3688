/**
 * A local broker that serves MSK's IAM listener (TLS + SASL OAUTHBEARER + IAM policies), principals with
 * policies, and clients made by the project's Kafka client factory signing tokens as one of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Kafka } from 'kafkajs';
import { type CredentialsProvider, createKafka } from '../../functions/shared/kafka-client';
import { type KafkaSettings, readKafkaSettings } from '../../functions/shared/kafka-settings';
import {
  type BrokerLogger,
  type BrokerOptions,
  type Credentials,
  LocalIam,
  type PolicyDocument,
  type RunningBroker,
  startBroker,
} from '../../local/broker';
import { FAST_TEST_BROKER } from './kafka';

export const TEST_CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:111122223333:cluster/payments/0000-test-1';
export const TEST_REGION = 'eu-west-1';

/** Everything on this cluster: what the test's own setup and read-back use. */
export const ADMIN_POLICY: PolicyDocument = {
  Statement: [{ Effect: 'Allow', Action: 'kafka-cluster:*', Resource: '*' }],
};

export interface Denial {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
}

export interface IamKafka {
  readonly broker: RunningBroker;
  readonly iam: LocalIam;
  readonly brokers: readonly string[];
  readonly caFile: string;
  /** The settings a function would read (KAFKA_AUTH=iam, the broker's CA). */
  readonly settings: KafkaSettings;
  /** Every refusal the broker logged, in order. */
  readonly denials: Denial[];
  /** Every broker log line ("closing connection" with its reason, …). */
  readonly lines: { level: string; message: string; details: Record<string, unknown> }[];
  /** Adds a principal with long-lived keys and returns a client factory signing as it. */
  principal(
    name: string,
    policy: PolicyDocument,
  ): { connect: () => Promise<Kafka>; credentials: Credentials };
  close(): Promise<void>;
}

const quiet = new Logger({ serviceName: 'iam-kafka-test', logLevel: 'SILENT' });

export function connectWith(
  settings: KafkaSettings,
  credentials: CredentialsProvider,
  clientId = 'iam-test',
) {
  return () => createKafka(settings, clientId, { logger: quiet, credentials });
}

export async function startIamKafka(
  options: { now?: () => number; broker?: BrokerOptions } = {},
): Promise<IamKafka> {
  const dataDir = mkdtempSync(join(tmpdir(), 'iam-kafka-'));
  const iam = new LocalIam(TEST_CLUSTER_ARN, options.now);
  const denials: Denial[] = [];
  const lines: IamKafka['lines'] = [];
  const record =
    (level: string) =>
    (message: string, details: Record<string, unknown> = {}) => {
      lines.push({ level, message, details });
      if (message === 'access denied') {
        denials.push({
          principal: String(details.principal),
          action: String(details.action),
          resource: String(details.resource),
        });
      }
    };
  const logger: BrokerLogger = { info: record('info'), warn: record('warn'), error: record('error') };
  // Consumer groups form at once, as on every test broker (FAST_TEST_BROKER): with 3-second sessions MSK's
  // initial rebalance delay would outlast the session of the consumer waiting in it.
  const broker = await startBroker({
    dataDir,
    tls: true,
    iam,
    logger,
    initialRebalanceDelayMs: FAST_TEST_BROKER.initialRebalanceDelayMs,
    ...options.broker,
  });
  const caFile = broker.tls?.caFile;
  if (!caFile) throw new Error('the broker has no CA file');
  const settings = readKafkaSettings({
    KAFKA_BROKERS: broker.bootstrap,
    KAFKA_AUTH: 'iam',
    AWS_REGION: TEST_REGION,
    KAFKA_CA_FILE: caFile,
  });
  return {
    broker,
    iam,
    brokers: [broker.bootstrap],
    caFile,
    settings,
    denials,
    lines,
    principal: (name, policy) => {
      iam.addPrincipal(name, policy);
      const credentials = iam.issueCredentials(name);
      return { connect: connectWith(settings, async () => credentials, name), credentials };
    },
    close: async () => {
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The policy without one action on the resources matching `resource` (every resource by default). */
export function withoutAction(policy: PolicyDocument, action: string, resource?: RegExp): PolicyDocument {
  return {
    ...policy,
    Statement: policy.Statement.map((statement) => {
      const resources = [statement.Resource ?? []].flat();
      if (resource && !resources.some((arn) => resource.test(arn))) return statement;
      const actions = [statement.Action ?? []].flat().filter((name) => name !== action);
      return { ...statement, Action: actions };
    }).filter((statement) => [statement.Action].flat().length > 0),
  };
}

/** Polls until `check` holds, failing with `what` after the timeout. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
