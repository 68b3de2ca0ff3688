import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { ConfigError } from './errors';
import type { KafkaSettings } from './kafka-settings';

/** Timeouts short enough to fail inside one Lambda invocation, long enough for a TLS + SASL handshake. */
const CONNECTION_TIMEOUT_MS = 3_000;
const AUTHENTICATION_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 10_000;

let resolvedBrokers: Promise<string[]> | undefined;

/**
 * Resolves the broker list once per execution environment: GetBootstrapBrokers is an AWS API call with its
 * own rate limit, and the broker list of a cluster does not change while an environment lives.
 */
export function resolveBrokers(settings: KafkaSettings): Promise<string[]> {
  if (settings.source.kind === 'list') return Promise.resolve([...settings.source.brokers]);
  resolvedBrokers ??= lookUpMskBrokers(settings.source.clusterArn, settings).catch((error: unknown) => {
    resolvedBrokers = undefined; // let the next invocation try again
    throw error;
  });
  return resolvedBrokers;
}

async function lookUpMskBrokers(clusterArn: string, settings: KafkaSettings): Promise<string[]> {
  const client = new KafkaClient(settings.region ? { region: settings.region } : {});
  const answer = await client.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
  const list =
    settings.auth === 'iam' ? answer.BootstrapBrokerStringSaslIam : answer.BootstrapBrokerStringTls;
  if (!list) {
    const wanted = settings.auth === 'iam' ? 'IAM (port 9098)' : 'TLS (port 9094)';
    throw new ConfigError(
      'MSK_CLUSTER_ARN',
      `cluster ${clusterArn} has no ${wanted} bootstrap brokers; check KAFKA_AUTH`,
    );
  }
  return list.split(',');
}

/** A kafkajs client for the configured cluster: plain for local Kafka, TLS + SASL OAUTHBEARER (IAM) for MSK. */
export async function createKafka(settings: KafkaSettings, clientId: string): Promise<Kafka> {
  const config: KafkaConfig = {
    clientId,
    brokers: await resolveBrokers(settings),
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    authenticationTimeout: AUTHENTICATION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    logLevel: logLevel.WARN,
  };
  if (settings.auth === 'iam') {
    const region = settings.region;
    if (!region) throw new ConfigError('AWS_REGION', 'is required for KAFKA_AUTH=iam');
    config.ssl = true;
    config.sasl = {
      mechanism: 'oauthbearer',
      // MSK IAM: the signed token is presented as the OAUTHBEARER value (aws-msk-iam-sasl-signer-js).
      oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }),
    };
  }
  return new Kafka(config);
}
