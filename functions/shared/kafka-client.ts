import { readFile } from 'node:fs/promises';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import {
  type GenerateAuthTokenFromCredentialOptions,
  type GenerateAuthTokenResponse,
  generateAuthToken,
  generateAuthTokenFromCredentialsProvider,
  generateAuthTokenFromProfile,
} from 'aws-msk-iam-sasl-signer-js';

/** A source of AWS credentials, as the AWS SDK's credential providers are. */
export type CredentialsProvider = GenerateAuthTokenFromCredentialOptions['awsCredentialsProvider'];

import { type ISocketFactory, Kafka, type KafkaConfig, type LogEntry, logLevel } from 'kafkajs';
import { ConfigError } from './errors';
import type { KafkaSettings } from './kafka-settings';

/** Timeouts short enough to fail inside one Lambda invocation, long enough for a TLS + SASL handshake. */
const CONNECTION_TIMEOUT_MS = 3_000;
const AUTHENTICATION_TIMEOUT_MS = 3_000;
/** Below the producer's publish deadline, so kafkajs can retry a request lost with a dead socket in time. */
const REQUEST_TIMEOUT_MS = 5_000;
/**
 * kafkajs backs off from 300 ms up to 30 s by default; an invocation cannot wait that long. Connects and sends
 * give up after 5 retries (about 2.5 s; pinned because kafkajs changes its defaults when NODE_ENV=test). The
 * producer inherits this too, so kafkajs warns that limited retries "may invalidate EoS guarantees": that holds
 * for a producer that goes on after giving up, and a ProducerSession that gave up is never used again.
 */
const RETRY = { initialRetryTime: 100, maxRetryTime: 1_000, retries: 5 };

/** Where kafkajs log lines go: the function's structured logger (Powertools Logger fits this shape). */
export interface KafkaLogSink {
  debug(message: string, fields: Record<string, unknown>): void;
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface CreateKafkaOptions {
  /** Receives kafkajs log lines at WARN and above instead of kafkajs's own console output. */
  readonly logger?: KafkaLogSink;
  /**
   * Credentials that sign IAM tokens, asked again for every token (so rotating ones are picked up).
   * @default - the profile of the settings, else the default provider chain (the execution role on Lambda)
   */
  readonly credentials?: CredentialsProvider;
}

/** The brokers to dial and whether they speak TLS. */
export interface BrokerEndpoints {
  readonly brokers: readonly string[];
  readonly tls: boolean;
}

const mskEndpoints = new Map<string, Promise<BrokerEndpoints>>();

/**
 * Resolves the brokers once per execution environment and cluster: GetBootstrapBrokers is an AWS API call
 * with its own rate limit, and the broker list of a cluster does not change while an environment lives.
 */
export async function resolveBrokerEndpoints(settings: KafkaSettings): Promise<BrokerEndpoints> {
  if (settings.source.kind === 'list') {
    return { brokers: [...settings.source.brokers], tls: settings.auth === 'iam' };
  }
  const cacheKey = `${settings.source.clusterArn}|${settings.auth}`;
  let pending = mskEndpoints.get(cacheKey);
  if (!pending) {
    pending = lookUpMskBrokers(settings.source.clusterArn, settings).catch((error: unknown) => {
      mskEndpoints.delete(cacheKey); // let the next invocation try again
      throw error;
    });
    mskEndpoints.set(cacheKey, pending);
  }
  return pending;
}

/**
 * MSK lists one bootstrap string per listener (MSK GetBootstrapBrokers API reference): SASL/IAM on 9098
 * (TLS), TLS on 9094, plaintext on 9092. IAM needs the IAM listener; without auth, TLS is preferred.
 */
async function lookUpMskBrokers(clusterArn: string, settings: KafkaSettings): Promise<BrokerEndpoints> {
  const client = new KafkaClient(settings.region ? { region: settings.region } : {});
  const answer = await client.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
  if (settings.auth === 'iam') {
    const list = answer.BootstrapBrokerStringSaslIam;
    if (!list) {
      throw new ConfigError(
        'MSK_CLUSTER_ARN',
        `cluster ${clusterArn} has no IAM (port 9098) bootstrap brokers; enable IAM auth or check KAFKA_AUTH`,
      );
    }
    return { brokers: list.split(','), tls: true };
  }
  if (answer.BootstrapBrokerStringTls)
    return { brokers: answer.BootstrapBrokerStringTls.split(','), tls: true };
  if (answer.BootstrapBrokerString) return { brokers: answer.BootstrapBrokerString.split(','), tls: false };
  throw new ConfigError(
    'MSK_CLUSTER_ARN',
    `cluster ${clusterArn} has no unauthenticated (TLS 9094 or plaintext 9092) bootstrap brokers; check KAFKA_AUTH`,
  );
}

/** A kafkajs client for the configured cluster: plain for local Kafka, TLS + SASL OAUTHBEARER (IAM) for MSK. */
export async function createKafka(
  settings: KafkaSettings,
  clientId: string,
  options: CreateKafkaOptions = {},
): Promise<Kafka> {
  const endpoints = await resolveBrokerEndpoints(settings);
  const config: KafkaConfig = {
    clientId,
    brokers: [...endpoints.brokers],
    ssl: endpoints.tls && settings.caFile ? { ca: [await readCa(settings.caFile)] } : endpoints.tls,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    authenticationTimeout: AUTHENTICATION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    retry: RETRY,
    socketFactory: lowLatencySocket,
    logLevel: logLevel.WARN,
  };
  if (options.logger) config.logCreator = forwardLogsTo(options.logger);
  if (settings.auth === 'iam') {
    const region = settings.region;
    if (!region) throw new ConfigError('AWS_REGION', 'is required for KAFKA_AUTH=iam');
    const sign = tokenSigner(region, settings.profile, options.credentials);
    config.sasl = {
      mechanism: 'oauthbearer',
      // MSK IAM: the signed token is presented as the OAUTHBEARER value (aws-msk-iam-sasl-signer-js). kafkajs
      // asks again whenever it connects or re-authenticates before the session the broker granted ends.
      oauthBearerProvider: async () => ({ value: (await sign()).token }),
    };
  }
  return new Kafka(config);
}

function tokenSigner(
  region: string,
  profile: string | undefined,
  credentials: CredentialsProvider | undefined,
): () => Promise<GenerateAuthTokenResponse> {
  if (credentials) {
    return () => generateAuthTokenFromCredentialsProvider({ region, awsCredentialsProvider: credentials });
  }
  if (profile) return () => generateAuthTokenFromProfile({ region, awsProfileName: profile });
  return () => generateAuthToken({ region });
}

async function readCa(caFile: string): Promise<string> {
  try {
    return await readFile(caFile, 'utf8');
  } catch (error) {
    throw new ConfigError('KAFKA_CA_FILE', `cannot read "${caFile}": ${(error as Error).message}`);
  }
}

/** Keep-alive probes after this much idle time, as kafkajs's own socket factory does. */
const KEEP_ALIVE_DELAY_MS = 60_000;

/**
 * kafkajs's default socket factory, plus TCP_NODELAY: one small produce request per invocation should leave
 * at once rather than wait for Nagle's algorithm to coalesce it with data that never comes.
 */
const lowLatencySocket: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket: Socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : tcpConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  socket.setNoDelay(true);
  return socket;
};

/**
 * kafkajs's warning for an idempotent producer with bounded retries. It is about a producer that goes on
 * after giving up; a ProducerSession that gave up is never used again (see RETRY), so the line is dropped.
 */
const BOUNDED_RETRIES_WARNING = 'Limiting retries for the idempotent producer';

/**
 * kafkajs logs every failed attempt at ERROR, retried ones included; the caller decides and logs the
 * outcome of a publish, so kafkajs's errors are passed on as warnings.
 */
function forwardLogsTo(sink: KafkaLogSink): () => (entry: LogEntry) => void {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      if (message.startsWith(BOUNDED_RETRIES_WARNING)) return;
      const fields = namespace ? { ...extra, namespace } : extra;
      if (level === logLevel.ERROR || level === logLevel.WARN) sink.warn(message, fields);
      else if (level === logLevel.INFO) sink.info(message, fields);
      else sink.debug(message, fields);
    };
}
