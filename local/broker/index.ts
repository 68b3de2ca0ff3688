/**
 * The local Kafka-compatible broker, started in-process: `startBroker(options)` → `{ port, host, close() }`.
 * File-backed storage when `dataDir` is given, in-memory otherwise.
 */
import { GroupCoordinator } from './groups/coordinator';
import { CLASSIC_API_TABLE, EXTENDED_API_TABLE } from './protocol/api-keys';
import {
  type BrokerConfig,
  BrokerConfigError,
  DEFAULT_MAX_FRAME_BYTES,
  requireHost,
  requirePort,
  requirePositiveInteger,
} from './server/config';
import type { BrokerContext } from './server/context';
import { type BrokerLogger, consoleLogger } from './server/logger';
import { type ListeningServer, listen } from './server/server';
import { createFileStorage, createMemoryStorage, type FsyncPolicy } from './storage';
import type { BrokerStorage } from './storage/types';

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
  /** @default warnings and errors as JSON lines on stderr */
  readonly logger?: BrokerLogger;
  /** A storage engine to use instead of creating one (tests). It is opened and closed by the broker. */
  readonly storage?: BrokerStorage;
}

export interface RunningBroker {
  readonly port: number;
  readonly host: string;
  /** `host:port` as clients should use it. */
  readonly bootstrap: string;
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

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const config = resolveConfig(options);
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
  const groups = new GroupCoordinator({ minSessionTimeoutMs: options.minSessionTimeoutMs });
  let boundPort = config.port;
  const broker: BrokerContext = {
    config,
    apis: options.flexibleVersions ? EXTENDED_API_TABLE : CLASSIC_API_TABLE,
    storage,
    groups,
    logger: config.logger,
    advertised: () => ({ host: config.advertisedHost, port: config.advertisedPort ?? boundPort }),
  };
  let server: ListeningServer;
  try {
    server = await listen(broker, config.host, config.port);
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
    disconnectClients: () => server.disconnectClients(),
    close: () => {
      closing ??= (async () => {
        groups.close();
        await server.close();
        await storage.close();
      })();
      return closing;
    },
  };
}
