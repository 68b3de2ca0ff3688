/**
 * Kafka for integration tests: a fresh in-process local broker on an ephemeral port (or any Kafka named by
 * KAFKA_BROKERS), fresh topics, reading back what a topic stores, and a relay that can cut every
 * connection at once (what a Lambda environment sees after a freeze).
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { type BrokerOptions, silentLogger, startBroker } from '../../local/broker';
import { type RelayTarget, startTcpRelay } from '../../local/chaos/relay';

export interface TestKafka {
  /** `host:port` list clients bootstrap from. */
  readonly brokers: readonly string[];
  /** True for the in-process local broker (proxies can only be put in front of it). */
  readonly local: boolean;
  close(): Promise<void>;
}

/**
 * Test brokers are quiet and form consumer groups at once: most tests start one consumer, which would
 * otherwise wait Kafka's group.initial.rebalance.delay.ms (3 s) for company. Tests of that delay set it.
 */
export const FAST_TEST_BROKER = {
  logger: silentLogger,
  initialRebalanceDelayMs: 0,
} as const satisfies BrokerOptions;

/** The local broker by default; `KAFKA_BROKERS=host:port,…` runs the same tests against any Kafka. */
export async function startTestKafka(options: BrokerOptions = {}): Promise<TestKafka> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external && Object.keys(options).length === 0) {
    return { brokers: external.split(','), local: false, close: async () => {} };
  }
  return startLocalKafka(options);
}

/** Always the in-process local broker: for tests that stop the broker or look inside it. */
export async function startLocalKafka(options: BrokerOptions = {}): Promise<TestKafka> {
  const broker = await startBroker({ ...FAST_TEST_BROKER, ...options });
  return { brokers: [broker.bootstrap], local: true, close: () => broker.close() };
}

/**
 * Starts a local broker behind a front (a proxy listening first, on its own port): the broker advertises
 * the front's port, so clients reach the broker only through it, reconnections included.
 */
export async function startBrokerBehind<Front extends { readonly port: number; close(): Promise<void> }>(
  startFront: (target: () => { host: string; port: number }) => Promise<Front>,
  options: BrokerOptions = {},
): Promise<TestKafka & { front: Front }> {
  let brokerPort: number | undefined;
  const front = await startFront(() => {
    if (brokerPort === undefined) throw new Error('the broker behind the front has not started');
    return { host: '127.0.0.1', port: brokerPort };
  });
  const broker = await startBroker({ ...FAST_TEST_BROKER, advertisedPort: front.port, ...options });
  brokerPort = broker.port;
  return {
    brokers: [broker.bootstrap],
    local: true,
    front,
    close: async () => {
      await front.close();
      await broker.close();
    },
  };
}

export function freshTopicName(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function quietKafka(brokers: readonly string[]): Kafka {
  return new Kafka({ clientId: 'test-helper', brokers: [...brokers], logLevel: logLevel.NOTHING });
}

/**
 * Creates a topic with a unique name and waits until every broker knows its leaders. On a multi-broker
 * Kafka, topics are replicated like MSK's (3 replicas, or one per broker when fewer).
 */
export async function createFreshTopic(
  brokers: readonly string[],
  options: { partitions?: number; prefix?: string } = {},
): Promise<string> {
  const topic = freshTopicName(options.prefix);
  const admin = quietKafka(brokers).admin();
  await admin.connect();
  try {
    const { brokers: members } = await admin.describeCluster();
    const created = await admin.createTopics({
      topics: [
        { topic, numPartitions: options.partitions ?? 1, replicationFactor: Math.min(3, members.length) },
      ],
      // kafkajs's own wait fails when the broker it asks has not heard of the topic yet.
      waitForLeaders: false,
    });
    if (!created) throw new Error(`topic ${topic} was not created`);
  } finally {
    await admin.disconnect();
  }
  await topicKnownEverywhere(brokers, topic);
  return topic;
}

/**
 * Waits until each of `brokers` answers Metadata with a leader for every partition of `topic`. Kafka
 * spreads a new topic to its brokers' metadata caches asynchronously, so a client asking another broker
 * right after CreateTopics can still be told UNKNOWN_TOPIC_OR_PARTITION.
 */
export async function topicKnownEverywhere(brokers: readonly string[], topic: string): Promise<void> {
  await Promise.all(
    brokers.map((address) =>
      withRawBroker(address, (broker) =>
        waitUntil(`broker ${address} to know the leaders of ${topic}`, async () => {
          const { topicMetadata } = await broker.metadata([topic]).catch(() => ({ topicMetadata: [] }));
          const partitions = topicMetadata.find((metadata) => metadata.topic === topic)?.partitionMetadata;
          return partitions !== undefined && partitions.length > 0 && partitions.every((p) => p.leader >= 0);
        }),
      ),
    ),
  );
}

export interface StoredRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  /** Header values decoded as UTF-8 (the last value of a repeated header). */
  readonly headers: Readonly<Record<string, string>>;
  /** The producer id of the record batch that holds the record, as stored by the broker. */
  readonly producerId: string | undefined;
}

/**
 * Reads everything a topic holds up to its current end offsets, in partition then offset order.
 * Uses a consumer in a fresh group reading from the beginning. The group commits nothing, so a rebalance
 * mid-read (its coordinator moving after a broker failure) starts a partition over: records are kept by
 * partition and offset, so a record read twice is still one record, never a false duplicate.
 */
export async function readTopic(
  brokers: readonly string[],
  topic: string,
  kafka: Kafka = quietKafka(brokers),
): Promise<StoredRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.map(({ partition, high }) => [partition, BigInt(high)]));
  for (const [partition, high] of remaining) if (high === 0n) remaining.delete(partition);
  if (remaining.size === 0) return [];

  const records = new Map<string, StoredRecord>();
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, minBytes: 1, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const high = remaining.get(partition);
            if (high === undefined || BigInt(message.offset) >= high) return;
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(message.headers ?? {})) {
              const last = Array.isArray(value) ? value.at(-1) : value;
              if (last !== undefined) headers[name] = last.toString();
            }
            // kafkajs keeps the record batch's header on each message (not in its public type).
            const batchContext = (message as { batchContext?: { producerId?: string } }).batchContext;
            records.set(`${partition}@${message.offset}`, {
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers,
              producerId: batchContext?.producerId,
            });
            if (BigInt(message.offset) + 1n >= high) remaining.delete(partition);
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return [...records.values()].sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
  );
}

/** The end offset of every partition: how many records a topic holds (offsets start at 0 here). */
export async function topicEndOffsets(
  brokers: readonly string[],
  topic: string,
): Promise<Map<number, bigint>> {
  const admin = quietKafka(brokers).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    return new Map(ends.map(({ partition, high }) => [partition, BigInt(high)]));
  } finally {
    await admin.disconnect();
  }
}

export interface ConnectionCutter {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Closes every open connection at once (the peer sees FIN/RST); new connections are relayed as before. */
  cutAll(): void;
  /**
   * Silently drops everything on every open connection from now on, without closing it (the peer sees
   * nothing, as behind a middlebox that forgot the flow); new connections are relayed as before.
   */
  blackHoleAll(): void;
  close(): Promise<void>;
}

/**
 * A plain TCP relay that can break all of its connections at once: what a client sees when its
 * connections died while its process was frozen (brokers close idle connections, MSK after 10 minutes).
 */
export async function startConnectionCutter(target: () => RelayTarget): Promise<ConnectionCutter> {
  // blackHoleAll() starts a new epoch; a connection relays only while the epoch it opened in lasts.
  let epoch = 0;
  const relay = await startTcpRelay({
    target,
    flow: (connection) => {
      const openedIn = epoch;
      return {
        fromClient(chunk) {
          if (openedIn === epoch) connection.toBroker(chunk);
        },
        fromBroker(chunk) {
          if (openedIn === epoch) connection.toClient(chunk);
        },
      };
    },
  });
  return {
    port: relay.port,
    accepted: relay.accepted,
    cutAll: relay.cutAll,
    blackHoleAll: () => {
      epoch++;
    },
    close: relay.close,
  };
}

/**
 * Waits until every partition of `topic` has all its replicas in sync: a broker failure is only survivable
 * with min.insync.replicas=2 when the other two replicas are both in sync, as in a cluster at rest.
 */
export async function fullyReplicated(brokers: readonly string[], topic: string, timeoutMs = 120_000) {
  const admin = quietKafka(brokers).admin();
  await admin.connect();
  try {
    await waitUntil(
      `every replica of ${topic} in sync`,
      async () => {
        const metadata = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
        const partitions = metadata?.topics[0]?.partitions ?? [];
        return partitions.length > 0 && partitions.every((p) => p.isr.length === p.replicas.length);
      },
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Each partition's leader, in-sync replicas and replicas, as a broker answers Metadata: for failure messages. */
export async function partitionStates(brokers: readonly string[], topic: string): Promise<string> {
  const admin = quietKafka(brokers).admin();
  try {
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    return (metadata.topics[0]?.partitions ?? [])
      .map(
        ({ partitionId, leader, isr, replicas }) =>
          `${topic}-${partitionId}: leader ${leader}, in sync [${isr.join(',')}] of [${replicas.join(',')}]`,
      )
      .join('; ');
  } catch (error) {
    return `partitions of ${topic} unknown (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Polls `check` until it holds; fails naming `what` after `timeoutMs` (never a fixed sleep). */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface ForgedBatch {
  readonly topic: string;
  readonly partition: number;
  /** The producer id (and epoch) to write under: another producer's, to break its idempotence state. */
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly key: string;
  readonly value: string;
}

/** The part of kafkajs's internal Broker class used to send hand-made requests to one broker. */
interface RawBroker {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  metadata(topics: string[]): Promise<{
    topicMetadata: { topic: string; partitionMetadata: { partitionId: number; leader: number }[] }[];
  }>;
  produce(request: {
    producerId: string;
    producerEpoch: number;
    acks: number;
    topicData: {
      topic: string;
      partitions: { partition: number; firstSequence: number; messages: { key: string; value: string }[] }[];
    }[];
  }): Promise<unknown>;
}

/**
 * Runs `use` with a connection to exactly the broker at `address` (a kafkajs client would route requests
 * to whichever broker it picks), through kafkajs's internal Broker class (kafkajs ships its sources).
 */
async function withRawBroker<T>(address: string, use: (broker: RawBroker) => Promise<T>): Promise<T> {
  const [host = '127.0.0.1', port = '9092'] = address.split(':');
  const internal = createRequire(import.meta.url);
  const Broker = internal('kafkajs/src/broker') as new (options: object) => RawBroker;
  const ConnectionPool = internal('kafkajs/src/network/connectionPool') as new (options: object) => object;
  const socketFactory = internal('kafkajs/src/network/socketFactory') as () => unknown;
  const { createLogger, LEVELS } = internal('kafkajs/src/loggers') as {
    createLogger: (options: { level: number; logCreator: () => () => void }) => object;
    LEVELS: { NOTHING: number };
  };
  const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined });
  const connectionPool = new ConnectionPool({
    host,
    port: Number(port),
    logger,
    socketFactory: socketFactory(),
    requestTimeout: 5_000,
    connectionTimeout: 3_000,
    clientId: 'test-raw-broker',
  });
  const broker = new Broker({ connectionPool, logger, allowAutoTopicCreation: false });
  await broker.connect();
  try {
    return await use(broker);
  } finally {
    await broker.disconnect();
  }
}

/**
 * Appends one record batch (first sequence 0) under a chosen producer id and epoch, with acks = all, at
 * the leader of the partition. Kafka clients only write under the id InitProducerId gave them; this is how
 * a test makes the broker answer a live producer with 45 (its sequence no longer follows) or 47 (a newer
 * epoch of its producer id was seen).
 */
export async function appendForgedBatch(brokers: readonly string[], batch: ForgedBatch): Promise<void> {
  const leader = await leaderAddress(brokers, batch.topic, batch.partition);
  await withRawBroker(leader, (broker) =>
    broker.produce({
      producerId: String(batch.producerId),
      producerEpoch: batch.producerEpoch,
      acks: -1,
      topicData: [
        {
          topic: batch.topic,
          partitions: [
            {
              partition: batch.partition,
              firstSequence: 0,
              messages: [{ key: batch.key, value: batch.value }],
            },
          ],
        },
      ],
    }),
  );
}

/** `host:port` of the leader of one partition, from Metadata. */
export async function leaderAddress(
  brokers: readonly string[],
  topic: string,
  partition: number,
): Promise<string> {
  const admin = quietKafka(brokers).admin();
  await admin.connect();
  try {
    const [{ brokers: members }, { topics }] = await Promise.all([
      admin.describeCluster(),
      admin.fetchTopicMetadata({ topics: [topic] }),
    ]);
    const leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
    const member = members.find((candidate) => candidate.nodeId === leader);
    if (!member) throw new Error(`no leader known for ${topic}-${partition} (leader ${leader})`);
    return `${member.host}:${member.port}`;
  } finally {
    await admin.disconnect();
  }
}

/** A loopback port nothing listens on (bound once by this process, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('the probe did not bind a TCP port');
  return address.port;
}

/** A listener that accepts connections and never answers: every request to it hangs until a deadline. */
export async function startSilentListener(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the listener did not bind a TCP port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
