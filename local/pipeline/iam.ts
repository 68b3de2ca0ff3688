/**
 * `npm start -- --auth iam`: the local broker serves MSK's IAM listener (TLS with a local CA, SASL
 * OAUTHBEARER, IAM policies), and each function's Kafka client signs MSK IAM tokens as its own principal,
 * whose policy is the one the stack attaches to that function's role. The event source mapping reads with
 * the consume function's principal (on AWS it polls with the function's role); the pipeline's own
 * administration (topics, status) has a principal allowed everything on the cluster.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../../functions/shared/kafka-client';
import { readKafkaSettings } from '../../functions/shared/kafka-settings';
import { type BrokerLogger, type Credentials, LocalIam, type PolicyDocument } from '../broker';
import { LOCAL_CLUSTER_ARN } from '../event-source/msk-event';
import { synthesizeFunctionPolicies } from '../stack-iam/function-policies';

/** Principal names: the profile names of the credentials file too. */
const PRINCIPALS = { ingest: 'ingest', consume: 'consume', admin: 'local-pipeline' } as const;

const ADMIN_POLICY: PolicyDocument = {
  Statement: [
    { Effect: 'Allow', Action: 'kafka-cluster:*', Resource: `${LOCAL_CLUSTER_ARN.split(':cluster/')[0]}:*` },
  ],
};

export interface LocalIamSetup {
  readonly iam: LocalIam;
  /** The region tokens are signed for: the local cluster's. */
  readonly region: string;
  /** Credentials file with one profile per function (AWS_SHARED_CREDENTIALS_FILE). */
  readonly credentialsFile: string;
  readonly profiles: { readonly ingest: string; readonly consume: string };
  /** Clients for the pipeline itself, once the broker runs: `admin` for topics and status, `eventSource` as consume. */
  clients(brokers: readonly string[], caFile: string): Promise<{ admin: Kafka; eventSource: Kafka }>;
}

/** Reads the stack's function policies and sets up the principals and their credentials in `directory`. */
export async function setUpLocalIam(
  directory: string,
  names: { topic: string; deadLetterTopic: string; consumerGroupId: string },
): Promise<LocalIamSetup> {
  const policies = await synthesizeFunctionPolicies({ clusterArn: LOCAL_CLUSTER_ARN, ...names });
  const iam = new LocalIam(LOCAL_CLUSTER_ARN);
  iam.addPrincipal(PRINCIPALS.ingest, policies.ingest);
  iam.addPrincipal(PRINCIPALS.consume, policies.consume);
  iam.addPrincipal(PRINCIPALS.admin, ADMIN_POLICY);
  const credentials = {
    ingest: iam.issueCredentials(PRINCIPALS.ingest),
    consume: iam.issueCredentials(PRINCIPALS.consume),
    admin: iam.issueCredentials(PRINCIPALS.admin),
  };
  await mkdir(directory, { recursive: true });
  const credentialsFile = join(directory, 'credentials');
  const profile = (name: string, keys: Credentials) =>
    `[${name}]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n`;
  // New keys on every start: the broker only knows the keys of this run.
  await writeFile(
    credentialsFile,
    profile(PRINCIPALS.ingest, credentials.ingest) + profile(PRINCIPALS.consume, credentials.consume),
    { mode: 0o600 },
  );
  const region = iam.cluster.region;
  return {
    iam,
    region,
    credentialsFile,
    profiles: { ingest: PRINCIPALS.ingest, consume: PRINCIPALS.consume },
    clients: async (brokers, caFile) => {
      const settings = readKafkaSettings({
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_AUTH: 'iam',
        AWS_REGION: region,
        KAFKA_CA_FILE: caFile,
      });
      const [admin, eventSource] = await Promise.all([
        createKafka(settings, 'local-pipeline', { credentials: async () => credentials.admin }),
        createKafka(settings, 'local-event-source', { credentials: async () => credentials.consume }),
      ]);
      return { admin, eventSource };
    },
  };
}

/** Broker warnings (refusals naming the action and resource, failed authentications) on the pipeline's log. */
export function brokerWarningsTo(log: (line: string, level: 'warn') => void): BrokerLogger {
  const warn = (message: string, details?: Record<string, unknown>) =>
    log(`broker: ${message}${details ? ` ${JSON.stringify(details)}` : ''}`, 'warn');
  return { info: () => undefined, warn, error: warn };
}
