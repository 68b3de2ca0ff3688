import { type Env, optionalSetting } from './config';
import { ConfigError } from './errors';

/** Where the brokers are: an explicit list (local or self-managed Kafka) or an MSK cluster to look up. */
export type BrokerSource =
  | { readonly kind: 'list'; readonly brokers: readonly string[] }
  | { readonly kind: 'msk'; readonly clusterArn: string };

export type KafkaAuth = 'none' | 'iam';

export interface KafkaSettings {
  readonly source: BrokerSource;
  readonly auth: KafkaAuth;
  /** AWS region for IAM tokens and the MSK API; taken from the cluster ARN when there is one. */
  readonly region: string | undefined;
  /**
   * PEM file of the CA that signed the brokers' certificates, when it is not a public one (a local or
   * self-managed broker; MSK's certificates chain to Amazon's public CAs). From KAFKA_CA_FILE.
   */
  readonly caFile?: string;
  /**
   * Named credentials profile that signs IAM tokens, read at cold start like every setting (AWS_PROFILE).
   * Unset on Lambda, where the execution role's credentials come from the environment.
   */
  readonly profile?: string;
}

/** Settings that only concern TLS and IAM, shared by both broker sources. */
function securitySettings(env: Env, auth: KafkaAuth): Pick<KafkaSettings, 'caFile' | 'profile'> {
  const caFile = optionalSetting(env, 'KAFKA_CA_FILE');
  const profile = auth === 'iam' ? optionalSetting(env, 'AWS_PROFILE') : undefined;
  return { ...(caFile ? { caFile } : {}), ...(profile ? { profile } : {}) };
}

const MSK_CLUSTER_ARN = /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):\d{12}:cluster\/[^/]+\/[^/]+$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/** Reads KAFKA_BROKERS or MSK_CLUSTER_ARN, and KAFKA_AUTH, once at cold start. */
export function readKafkaSettings(env: Env): KafkaSettings {
  const brokerList = optionalSetting(env, 'KAFKA_BROKERS');
  const clusterArn = optionalSetting(env, 'MSK_CLUSTER_ARN');
  const authRaw = optionalSetting(env, 'KAFKA_AUTH') ?? 'none';
  if (authRaw !== 'none' && authRaw !== 'iam') {
    throw new ConfigError('KAFKA_AUTH', `must be "none" or "iam", got "${authRaw}"`);
  }
  const auth: KafkaAuth = authRaw;

  if (brokerList && clusterArn) {
    throw new ConfigError('KAFKA_BROKERS', 'and MSK_CLUSTER_ARN are both set; set exactly one');
  }
  if (clusterArn) {
    const match = MSK_CLUSTER_ARN.exec(clusterArn);
    if (!match) {
      throw new ConfigError(
        'MSK_CLUSTER_ARN',
        `"${clusterArn}" is not an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)`,
      );
    }
    return { source: { kind: 'msk', clusterArn }, auth, region: match[1], ...securitySettings(env, auth) };
  }
  if (!brokerList) {
    throw new ConfigError(
      'KAFKA_BROKERS',
      'or MSK_CLUSTER_ARN is required: set a comma-separated host:port list or a cluster ARN',
    );
  }
  const brokers = brokerList.split(',').map((broker) => broker.trim());
  const invalid = brokers.find((broker) => !HOST_PORT.test(broker));
  if (invalid !== undefined) {
    throw new ConfigError('KAFKA_BROKERS', `"${invalid}" is not host:port (received "${brokerList}")`);
  }
  return {
    source: { kind: 'list', brokers },
    auth,
    region: optionalSetting(env, 'AWS_REGION'),
    ...securitySettings(env, auth),
  };
}
