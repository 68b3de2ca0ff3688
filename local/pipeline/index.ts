import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Kafka, logLevel } from 'kafkajs';
import { eventDefinition } from '../../functions/event/definition';
import { createLedgerClient } from '../../functions/ledger/client';
import { type AppNames, appNames } from '../../functions/shared/app-names';
import { eventRoutes } from '../../functions/shared/event-definition';
import { kafkaTopicAdmin } from '../../functions/topics/kafka-topic-admin';
import { type RunningBroker, startBroker } from '../broker';
import type { BrokerStorage } from '../broker/storage';
import { type LostAckProxy, startLostAckProxy } from '../chaos/proxy';
import {
  type EventSource,
  fileDestination,
  type LogLevel,
  type OnFailureDestination,
  startEventSource,
  topicDestination,
} from '../event-source';
import { type HttpGateway, PortInUseError, startHttpGateway } from '../http-gateway';
import { retryPassingKafkaErrors } from '../kafka-retry';
import { type LambdaHandler, localRegion } from '../lambda-runtime';
import { ensureLedgerTable, type LedgerStore, startLedgerStore } from '../ledger-store';
import { lockDataFolder } from './data-lock';
import { loadHandlers } from './handlers';
import { brokerWarningsTo, type LocalIamSetup, setUpLocalIam } from './iam';
import { formatStatusLine, type PipelineStatus, statusReader } from './status';

export { DataFolderInUseError } from './data-lock';
export { HandlerEnvironmentError } from './handlers';
export {
  formatStatusLine,
  type LedgerTally,
  type PipelineStatus,
  recordsInTopic,
  tallyLedger,
} from './status';

export interface LocalPipelineOptions {
  /** Folder for the broker log, the ledger and the on-failure file. @default '.local' */
  readonly dataDir?: string;
  /** Address every local service listens on. @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 3000 */
  readonly httpPort?: number;
  /** @default 9092 */
  readonly brokerPort?: number;
  /** @default 8000 */
  readonly ledgerPort?: number;
  /** Use this Kafka (host:port list) instead of starting the local broker. @default - */
  readonly kafkaBrokers?: readonly string[];
  /**
   * The application name the names below default from, as in the stack (functions/shared/app-names.ts).
   * @default 'payments'
   */
  readonly appName?: string;
  /** Topic events are published to and consumed from. @default - the appName */
  readonly topic?: string;
  /** @default - '<appName>-dead-letter' */
  readonly deadLetterTopic?: string;
  /** Partitions of the events topic when it is created. @default 3 */
  readonly partitions?: number;
  /** @default - '<appName>-ledger' */
  readonly ledgerTable?: string;
  /** Consumer group of the local event source mapping; a restart resumes where it stopped. @default - '<appName>-ledger' */
  readonly consumerGroupId?: string;
  /** Namespace of the functions' metrics (POWERTOOLS_METRICS_NAMESPACE). @default - 'ExactlyOnce<AppName>' */
  readonly metricsNamespace?: string;
  /** Event source mapping settings; defaults as AWS's (100 records, 0.5 s window). */
  readonly batchSize?: number;
  readonly batchingWindowMs?: number;
  /** Retries of a failed batch, -1 until it succeeds (as the stack's mapping). @default -1 */
  readonly maxRetries?: number;
  /** Where batches that exhausted their retries go: a JSONL file in dataDir or a topic. @default 'file' */
  readonly onFailure?: 'file' | 'topic';
  /**
   * 'iam': the local broker serves MSK's IAM listener (TLS, SASL OAUTHBEARER, IAM policies) and the functions
   * connect with KAFKA_AUTH=iam as principals holding the policies the stack gives their roles. @default 'none'
   */
  readonly auth?: 'none' | 'iam';
  /**
   * Demo and test seams. `lostAcknowledgements` puts a proxy that loses a share of produce answers between
   * every client and the local broker; `brokerStorage` replaces the broker's storage engine; `ingest`
   * replaces the ingest handler module (e.g. one built with createIngestHandler and its own producer).
   */
  readonly lostAcknowledgements?: { readonly dropShare: number; readonly seed?: number };
  readonly brokerStorage?: BrokerStorage;
  /** The local broker's group.initial.rebalance.delay.ms; tests set 0. @default 3000 (MSK's) */
  readonly initialRebalanceDelayMs?: number;
  readonly ingest?: LambdaHandler<APIGatewayProxyEventV2, unknown>;
  /** Receives one line per consume invocation ('info' when it succeeded) and per failed request. @default none */
  readonly log?: (line: string, level: LogLevel) => void;
}

export interface LocalPipeline {
  /** Where to send requests, e.g. http://127.0.0.1:3000 */
  readonly httpUrl: string;
  readonly kafkaBrokers: readonly string[];
  /** How clients reach Kafka, e.g. "TLS + IAM (CA .local/broker/tls/ca.pem)"; undefined for plaintext. */
  readonly kafkaSecurity: string | undefined;
  readonly ledgerEndpoint: string;
  readonly dataDir: string;
  /** The names the pipeline runs with (topics, ledger table, consumer group, metrics namespace). */
  readonly names: AppNames;
  /** Where failed batches go, e.g. "file .local/on-failure.jsonl". */
  readonly onFailure: string;
  /** The lost-acknowledgement proxy, when there is one: what it did, and its drop share from now on. */
  readonly lostAcknowledgements: Pick<LostAckProxy, 'stats' | 'setDropShare'> | undefined;
  /** Counts from the topic, the consumer group and the ledger. */
  status(): Promise<PipelineStatus>;
  statusLine(): Promise<string>;
  /** Stops everything: no new requests, the invocation in flight finishes and commits, then the stores close. */
  close(): Promise<void>;
}

const CONSUME_TIMEOUT_MS = 60_000;
const INGEST_TIMEOUT_MS = 25_000;
const STATUS_TIMEOUT_MS = 10_000;

async function listening<T>(
  service: string,
  host: string,
  port: number,
  start: () => Promise<T>,
): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(host, port, { cause: error, service });
    }
    throw error;
  }
}

/**
 * Starts the whole pipeline in this process: the local broker and ledger store (data kept in dataDir), the
 * topics and the ledger table (created when missing), the HTTP gateway in front of the ingest and status
 * handlers, and the event source mapping in front of the consume handler. The handlers are the very
 * modules Lambda runs, configured through the environment they read in AWS.
 */
export async function startLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const dataDir = resolve(options.dataDir ?? '.local');
  const host = options.host ?? '127.0.0.1';
  const names = appNames(options.appName, {
    topic: options.topic,
    deadLetterTopic: options.deadLetterTopic,
    ledgerTable: options.ledgerTable,
    consumerGroupId: options.consumerGroupId,
    metricsNamespace: options.metricsNamespace,
  });
  const { topic: eventsTopic, deadLetterTopic, ledgerTable, consumerGroupId } = names;
  const log = options.log ?? (() => undefined);
  const cleanup: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };

  try {
    await mkdir(dataDir, { recursive: true });
    cleanup.push(await lockDataFolder(dataDir));

    let kafkaBrokers = options.kafkaBrokers;
    let proxy: LostAckProxy | undefined;
    let iam: LocalIamSetup | undefined;
    let caFile: string | undefined;
    if (options.auth === 'iam') {
      if (kafkaBrokers)
        throw new Error('IAM authentication is emulated by the local broker only; drop --brokers');
      log("reading the IAM policies of the stack's functions (a synthesis of lib/, some seconds)", 'info');
      iam = await setUpLocalIam(join(dataDir, 'iam'), {
        topic: eventsTopic,
        deadLetterTopic,
        consumerGroupId,
      });
    }
    if (!kafkaBrokers) {
      const brokerPort = options.brokerPort ?? 9092;
      let boundBrokerPort = brokerPort;
      if (options.lostAcknowledgements) {
        // Clients learn broker addresses from Metadata: the broker advertises the proxy, which forwards to it.
        const started = await startLostAckProxy({
          host,
          target: () => ({ host, port: boundBrokerPort }),
          dropShare: options.lostAcknowledgements.dropShare,
          ...(options.lostAcknowledgements.seed === undefined
            ? {}
            : { seed: options.lostAcknowledgements.seed }),
        });
        proxy = started;
        cleanup.push(() => started.close());
      }
      const broker: RunningBroker = await listening('the local broker', host, brokerPort, () =>
        startBroker({
          host,
          port: brokerPort,
          dataDir: join(dataDir, 'broker'),
          autoCreateTopics: false,
          ...(proxy ? { advertisedPort: proxy.port } : {}),
          ...(options.brokerStorage ? { storage: options.brokerStorage } : {}),
          ...(iam ? { tls: true, iam: iam.iam, logger: brokerWarningsTo(log) } : {}),
          ...(options.initialRebalanceDelayMs === undefined
            ? {}
            : { initialRebalanceDelayMs: options.initialRebalanceDelayMs }),
        }),
      );
      boundBrokerPort = broker.port;
      caFile = broker.tls?.caFile;
      cleanup.push(() => broker.close());
      kafkaBrokers = [broker.bootstrap];
    }

    const ledgerPort = options.ledgerPort ?? 8000;
    const store: LedgerStore = await listening('the ledger store', host, ledgerPort, () =>
      startLedgerStore({ port: ledgerPort, path: join(dataDir, 'ledger') }),
    );
    cleanup.push(() => store.close());

    const clients = iam && caFile ? await iam.clients(kafkaBrokers, caFile) : undefined;
    const kafka =
      clients?.admin ??
      new Kafka({ clientId: 'local-pipeline', brokers: [...kafkaBrokers], logLevel: logLevel.ERROR });
    const admin = kafka.admin();
    cleanup.push(() => admin.disconnect());
    const topics = kafkaTopicAdmin(admin);
    const replicas = await retryPassingKafkaErrors('creating the topics', async () => {
      await admin.connect();
      // Durable like the stack's topics on MSK: 3 replicas, or one per broker of a smaller cluster.
      const replicationFactor = Math.min(3, (await admin.describeCluster()).brokers.length);
      for (const [topic, partitions] of [
        [eventsTopic, options.partitions ?? 3],
        [deadLetterTopic, 1],
      ] as const) {
        const existing = await topics.partitionCount(topic);
        if (existing === undefined) await topics.createTopic(topic, partitions, replicationFactor);
        else if (existing !== partitions)
          log(`topic ${topic} exists with ${existing} partitions; keeping it`, 'warn');
      }
      return replicationFactor;
    });

    const region = localRegion();
    const ledgerAdmin = new DynamoDBClient({
      endpoint: store.endpoint,
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    cleanup.push(async () => ledgerAdmin.destroy());
    await ensureLedgerTable(ledgerAdmin, ledgerTable);
    const ledgerReader = createLedgerClient({ endpoint: store.endpoint, region });
    cleanup.push(async () => ledgerReader.destroy());

    const handlers = await loadHandlers(
      {
        KAFKA_BROKERS: kafkaBrokers.join(','),
        KAFKA_AUTH: iam ? 'iam' : 'none',
        EVENTS_TOPIC: eventsTopic,
        DEAD_LETTER_TOPIC: deadLetterTopic,
        LEDGER_TABLE: ledgerTable,
        POWERTOOLS_METRICS_NAMESPACE: names.metricsNamespace,
        DYNAMODB_ENDPOINT: store.endpoint,
        ...(iam && caFile
          ? {
              KAFKA_CA_FILE: caFile,
              AWS_REGION: iam.region,
              AWS_SHARED_CREDENTIALS_FILE: iam.credentialsFile,
            }
          : {}),
      },
      iam
        ? { ingest: { AWS_PROFILE: iam.profiles.ingest }, consume: { AWS_PROFILE: iam.profiles.consume } }
        : {},
    );

    let onFailure: OnFailureDestination;
    if (options.onFailure === 'topic') {
      const topic = `${eventsTopic}-on-failure`;
      if ((await topics.partitionCount(topic)) === undefined) await topics.createTopic(topic, 1, replicas);
      onFailure = topicDestination(kafka, topic);
    } else {
      onFailure = fileDestination(join(dataDir, 'on-failure.jsonl'));
    }
    const eventSource: EventSource = await startEventSource({
      kafka: clients?.eventSource ?? kafka,
      bootstrapServers: kafkaBrokers,
      topic: eventsTopic,
      groupId: consumerGroupId,
      fn: { name: 'consume', handler: handlers.consume, timeoutMs: CONSUME_TIMEOUT_MS },
      onFailure,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.batchingWindowMs === undefined ? {} : { batchingWindowMs: options.batchingWindowMs }),
      retry: { maxRetries: options.maxRetries ?? -1 },
      log,
    });
    cleanup.push(() => eventSource.stop());

    // Started last and closed first (cleanup runs in reverse): no new requests once closing begins.
    const requests = { ok: 0, rejected: 0, failed: 0 };
    const httpPort = options.httpPort ?? 3000;
    const routes = eventRoutes(eventDefinition);
    const gateway: HttpGateway = await startHttpGateway({
      host,
      port: httpPort,
      routes: [
        {
          routeKey: `POST ${routes.collection}`,
          target: {
            name: 'ingest',
            handler: options.ingest ?? handlers.ingest,
            timeoutMs: INGEST_TIMEOUT_MS,
          },
        },
        {
          routeKey: `GET ${routes.item}`,
          target: { name: 'status', handler: handlers.status, timeoutMs: STATUS_TIMEOUT_MS },
        },
      ],
      onRequest: (outcome) => {
        if (outcome.statusCode < 400) requests.ok++;
        else if (outcome.statusCode < 500) requests.rejected++;
        else requests.failed++;
        if (outcome.error !== undefined) {
          const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
          log(`${outcome.method} ${outcome.path} → ${outcome.statusCode}: ${reason}`, 'warn');
        }
      },
    });
    cleanup.push(() => gateway.close());

    const status = statusReader({
      admin,
      ledger: ledgerReader,
      ledgerTable,
      topic: eventsTopic,
      groupId: consumerGroupId,
      requests: () => requests,
      sentToDestination: () => eventSource.stats.recordsSentToDestination,
    });
    return {
      httpUrl: gateway.url,
      kafkaBrokers,
      kafkaSecurity: iam && caFile ? `TLS + IAM (CA ${caFile})` : undefined,
      ledgerEndpoint: store.endpoint,
      dataDir,
      names,
      onFailure: onFailure.description,
      lostAcknowledgements: proxy,
      status,
      statusLine: async () => formatStatusLine(await status()),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
