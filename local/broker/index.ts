/**
 * The local Kafka-compatible broker, started in-process: `startBroker(options)` → `{ port, host, close() }`.
 * File-backed storage when `dataDir` is given, in-memory otherwise.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalIam } from './auth/local-iam';
import { DEFAULT_INITIAL_REBALANCE_DELAY_MS, GroupCoordinator } from './groups/coordinator';
import { CLASSIC_API_TABLE, EXTENDED_API_TABLE, withSasl } from './protocol/api-keys';
import {
  type BrokerConfig,
  BrokerConfigError,
  DEFAULT_MAX_FRAME_BYTES,
  requireHost,
  requireNonNegativeInteger,
  requirePort,
  requirePositiveInteger,
} from './server/config';
import type { BrokerContext } from './server/context';
import { type BrokerLogger, consoleLogger } from './server/logger';
import { type ListeningServer, listen } from './server/server';
import { createFileStorage, createMemoryStorage, type FsyncPolicy } from './storage';
import type { BrokerStorage } from './storage/types';
import { generateTlsIdentity, loadOrCreateTlsIdentity, type TlsIdentity } from './tls/certificates';
import { TransactionCoordinator } from './transactions/coordinator';

export type { PolicyDocument, PolicyStatement } from './auth/iam-policy';
export { type Credentials, LocalIam } from './auth/local-iam';

export { BrokerConfigError } from './server/config';
export type { BrokerLogger } from './server/logger';
export { consoleLogger, silentLogger } from './server/logger';

export interface BrokerOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Host clients are told to connect to (Kafka's advertised.listeners). @default the listen host */
  readonly advertisedHost?: string;
  /** Port clients are told to connect to. @default the bound port */
  readonly advertisedPort?: number;
  /** Directory for durable file storage; in-memory storage when absent. @default - */
  readonly dataDir?: string;
  /** When appends are flushed to disk (file storage only). @default 'acks-all' */
  readonly fsync?: FsyncPolicy;
  /** Create unknown topics on Metadata or Produce (MSK does not). @default false */
  readonly autoCreateTopics?: boolean;
  /** Partitions of auto-created topics and of CreateTopics with -1. @default 1 */
  readonly defaultPartitions?: number;
  /** Largest request frame accepted (socket.request.max.bytes). @default 104857600 */
  readonly maxFrameBytes?: number;
  /**
   * Also serve the first flexible (KIP-482) versions of the APIs @platformatic/kafka 1.x needs
   * (ApiVersions 3, Metadata 9, Fetch 12, FindCoordinator 4, group APIs, OffsetCommit/Fetch 8,
   * InitProducerId 3, ListOffsets 4-5). Off: exactly the non-flexible ranges of the design, with the
   * ApiVersions v3 fallback librdkafka expects. @default false
   */
  readonly flexibleVersions?: boolean;
  /**
   * message.max.bytes: the largest record batch a topic accepts unless its max.message.bytes says
   * otherwise; larger batches get MESSAGE_TOO_LARGE. For a storage given in `storage`, set it there.
   * @default 1048588 (Kafka's and MSK's default)
   */
  readonly messageMaxBytes?: number;
  /** log.retention.check.interval.ms: how often retention deletes old segments. @default 300000 */
  readonly retentionCheckIntervalMs?: number;
  /** Smallest session timeout a consumer may ask for (group.min.session.timeout.ms). @default 6000 */
  readonly minSessionTimeoutMs?: number;
  /**
   * How long the first rebalance of an empty consumer group waits for more members
   * (group.initial.rebalance.delay.ms), so consumers starting together share one generation. Tests
   * that start single consumers may set 0. @default 3000 (Kafka's and MSK's)
   */
  readonly initialRebalanceDelayMs?: number;
  /** @default warnings and errors as JSON lines on stderr */
  readonly logger?: BrokerLogger;
  /** A storage engine to use instead of creating one (tests). It is opened and closed by the broker. */
  readonly storage?: BrokerStorage;
  /**
   * Serve TLS, like MSK's 9098 listener. `true`: with a server certificate from a local CA generated into
   * `<dataDir>/tls` on first start (in memory without a dataDir); or the PEM files to use. @default false
   */
  readonly tls?: boolean | { readonly certFile: string; readonly keyFile: string; readonly caFile?: string };
  /**
   * Require SASL OAUTHBEARER with MSK IAM tokens and authorize every request against the principals'
   * policies, as MSK's IAM access control does. @default - no authentication
   */
  readonly iam?: LocalIam;
}

/** The TLS identity clients must trust. */
export interface BrokerTls {
  /** PEM of the CA that signed the server certificate (undefined when certificate files were given without one). */
  readonly ca: string | undefined;
  /** Where that CA is stored, when it is in a file. */
  readonly caFile: string | undefined;
}

export interface RunningBroker {
  readonly port: number;
  readonly host: string;
  /** `host:port` as clients should use it. */
  readonly bootstrap: string;
  /** Present when the listener serves TLS. */
  readonly tls: BrokerTls | undefined;
  /**
   * Drops every client connection but keeps serving, as a broker restart or an idle-connection reaper
   * does (MSK closes idle connections after 10 minutes). Returns how many were closed.
   */
  disconnectClients(): number;
  close(): Promise<void>;
}

/** Kafka listens on all interfaces but advertises a name; clients here should use 127.0.0.1, not localhost. */
function defaultAdvertisedHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** Clients must be told a real port: 0 means "any" only for listening. */
function requireAdvertisedPort(value: number): number {
  if (requirePort('advertisedPort', value) === 0) {
    throw new BrokerConfigError('advertisedPort', 'expected a port from 1 to 65535, got 0');
  }
  return value;
}

function resolveConfig(options: BrokerOptions): BrokerConfig {
  const host = requireHost('host', options.host ?? '127.0.0.1');
  return {
    nodeId: 0,
    clusterId: 'local-broker',
    host,
    port: requirePort('port', options.port ?? 0),
    advertisedHost: requireHost('advertisedHost', options.advertisedHost ?? defaultAdvertisedHost(host)),
    advertisedPort:
      options.advertisedPort === undefined ? undefined : requireAdvertisedPort(options.advertisedPort),
    autoCreateTopics: options.autoCreateTopics ?? false,
    defaultPartitions: requirePositiveInteger('defaultPartitions', options.defaultPartitions ?? 1),
    maxFrameBytes: requirePositiveInteger('maxFrameBytes', options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES),
    logger: options.logger ?? consoleLogger(),
  };
}

async function tlsIdentity(
  options: BrokerOptions,
  hosts: readonly string[],
): Promise<{ identity: Pick<TlsIdentity, 'cert' | 'key'>; tls: BrokerTls } | undefined> {
  const { tls } = options;
  if (!tls) return undefined;
  if (tls === true) {
    if (options.dataDir === undefined) {
      const identity = await generateTlsIdentity(hosts);
      return { identity, tls: { ca: identity.ca, caFile: undefined } };
    }
    const identity = await loadOrCreateTlsIdentity(join(options.dataDir, 'tls'), hosts);
    return { identity, tls: { ca: identity.ca, caFile: identity.caFile } };
  }
  const [cert, key, ca] = await Promise.all([
    readFile(tls.certFile, 'utf8'),
    readFile(tls.keyFile, 'utf8'),
    tls.caFile === undefined ? undefined : readFile(tls.caFile, 'utf8'),
  ]);
  return { identity: { cert, key }, tls: { ca, caFile: tls.caFile } };
}

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const config = resolveConfig(options);
  const tls = await tlsIdentity(options, [...new Set([config.advertisedHost, '127.0.0.1', 'localhost'])]);
  const log = {
    messageMaxBytes:
      options.messageMaxBytes === undefined
        ? undefined
        : requirePositiveInteger('messageMaxBytes', options.messageMaxBytes),
    retentionCheckIntervalMs:
      options.retentionCheckIntervalMs === undefined
        ? undefined
        : requirePositiveInteger('retentionCheckIntervalMs', options.retentionCheckIntervalMs),
  };
  const storage =
    options.storage ??
    (options.dataDir === undefined
      ? createMemoryStorage(log)
      : createFileStorage({ dataDir: options.dataDir, fsync: options.fsync, ...log }));
  await storage.open();
  const groups = new GroupCoordinator({
    minSessionTimeoutMs: options.minSessionTimeoutMs,
    initialRebalanceDelayMs: requireNonNegativeInteger(
      'initialRebalanceDelayMs',
      options.initialRebalanceDelayMs ?? DEFAULT_INITIAL_REBALANCE_DELAY_MS,
    ),
  });
  const transactions = new TransactionCoordinator(storage, config.logger);
  let boundPort = config.port;
  const apis = options.flexibleVersions ? EXTENDED_API_TABLE : CLASSIC_API_TABLE;
  const broker: BrokerContext = {
    config,
    apis: options.iam ? withSasl(apis) : apis,
    storage,
    groups,
    transactions,
    logger: config.logger,
    ...(options.iam ? { iam: options.iam } : {}),
    advertised: () => ({ host: config.advertisedHost, port: config.advertisedPort ?? boundPort }),
  };
  let server: ListeningServer;
  try {
    server = await listen(broker, config.host, config.port, tls?.identity);
  } catch (error) {
    await storage.close();
    throw error;
  }
  boundPort = server.port;
  const advertised = broker.advertised();
  config.logger.info('broker listening', { host: config.host, port: boundPort, advertised });
  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    host: config.host,
    bootstrap: `${advertised.host}:${advertised.port}`,
    tls: tls?.tls,
    disconnectClients: () => server.disconnectClients(),
    close: () => {
      closing ??= (async () => {
        groups.close();
        transactions.close();
        await server.close();
        await storage.close();
      })();
      return closing;
    },
  };
}
