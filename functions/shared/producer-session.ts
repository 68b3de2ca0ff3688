import { randomUUID } from 'node:crypto';
import { type Kafka, type Message, Partitioners, type PartitionMetadata, type Producer } from 'kafkajs';
import { ConfigError, PublishError, TopicNotFoundError } from './errors';
import { failureReason, isUnknownTopic } from './kafka-errors';
import { RecordHeader } from './record-headers';
import { DEFAULT_PARTITION_REFRESH_MS, TopicPartitions } from './topic-partitions';

export interface OutgoingRecord {
  readonly eventId: string;
  /** Always set: kafkajs re-partitions keyless messages on every retry, which breaks per-key order. */
  readonly key: string;
  readonly value: Buffer | string;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
}

export interface DeliveredRecord {
  readonly eventId: string;
  readonly partition: number;
  readonly offset: string;
  readonly sequence: number;
}

export interface ProducerSessionOptions {
  /** Upper bound for opening a session and for one publish, retries included (idempotent kafkajs retries without limit). */
  readonly publishTimeoutMs?: number;
  /** Called once when a session is retired, with the failure that retired it (for logs and metrics). */
  readonly onRetired?: (retired: { sessionId: string; reason: string; error: unknown }) => void;
  /**
   * Topics whose partitions are looked up while the producer connects, instead of one after the other on
   * the first publish: a cold start then waits for one connection handshake, not two. A failed lookup is
   * not an error here; the first publish to that topic looks it up again.
   */
  readonly prefetchTopics?: readonly string[];
  /**
   * How old a topic's partition list may get before a publish looks it up again; a session that finds the
   * count changed retires, so sessions of one deployment disagree on a key's partition for at most this long
   * after a topic grows. @default 60000
   */
  readonly partitionRefreshMs?: number;
}

const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;
/** The same murmur2 partitioner as the Java client's default for keyed records (kafkajs 2.x default). */
const choosePartition = Partitioners.DefaultPartitioner();

/**
 * One idempotent kafkajs producer and the per-partition sequence numbers written in record headers.
 *
 * Sends are serialised: kafkajs can reuse a sequence number when a send races a retry rollback and the
 * broker then drops the racing batch as a "duplicate". A session that failed a send is never used again:
 * whether its last records were stored is unknown, kafkajs does not recover from the idempotence errors
 * 45/46/47/59 (it keeps the same producer id and sequences), and the header sequence could have a hole.
 *
 * The partition is chosen here, before sending, because the header sequence is per partition. The topic's
 * partition list comes from a metadata request through a short-lived admin client: kafkajs does not expose
 * the producer's own metadata, and a custom partitioner would run again on every retry. The list is looked
 * up again once older than `partitionRefreshMs`; a session that finds the count changed retires (see
 * topic-partitions.ts), which bounds how long sessions route one key to different partitions.
 */
export class ProducerSession {
  readonly id = randomUUID();
  private readonly partitions: TopicPartitions;
  private readonly nextSequence = new Map<string, number>();
  private readonly waiting: PendingPublish[] = [];
  private sending = false;
  private failure: { error: unknown } | undefined;

  private constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly publishTimeoutMs: number,
    partitionRefreshMs: number,
  ) {
    this.partitions = new TopicPartitions((topic) => this.lookUpPartitions(topic), partitionRefreshMs);
  }

  /** Connects an idempotent producer (InitProducerId: a new producer id) within the publish deadline. */
  static async open(kafka: Kafka, options: ProducerSessionOptions = {}): Promise<ProducerSession> {
    const publishTimeoutMs = options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
    const producer = kafka.producer({
      idempotent: true, // forces acks = -1 and retries with the same sequence numbers
      allowAutoTopicCreation: false, // MSK does not auto-create topics; neither do we
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner, // explicit, so kafkajs does not warn about v1 → v2
    });
    const session = new ProducerSession(
      kafka,
      producer,
      publishTimeoutMs,
      options.partitionRefreshMs ?? DEFAULT_PARTITION_REFRESH_MS,
    );
    const connecting = producer.connect();
    const prefetching = (options.prefetchTopics ?? []).map((topic) =>
      session.partitions.of(topic).catch(() => undefined),
    );
    try {
      await withDeadline(
        Promise.all([connecting, ...prefetching]),
        publishTimeoutMs,
        'connecting a producer',
      );
    } catch (error) {
      // A connect still running would leave an orphan producer with open sockets behind.
      void connecting.then(
        () => producer.disconnect(),
        () => producer.disconnect(),
      );
      throw error;
    }
    return session;
  }

  get usable(): boolean {
    return this.failure === undefined;
  }

  /**
   * Publishes the records with acks = all and answers only once the broker acknowledged every one.
   * Fails with PublishError (the session is then retired) or TopicNotFoundError (the session stays usable).
   */
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<DeliveredRecord[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ topic, records, resolve, reject });
      void this.drain();
    });
  }

  /** Retires the session: later publishes fail with PublishError (sent = false). */
  retire(error: unknown): void {
    this.failure ??= { error };
  }

  async close(): Promise<void> {
    this.retire(new Error(`producer session ${this.id} was closed`));
    await this.producer.disconnect().catch(() => undefined);
  }

  /**
   * Sends one publish at a time. Publishes that queued up meanwhile (concurrent callers in one process, such
   * as the local HTTP gateway) go out together in the next send: one acks=all round trip instead of one each,
   * still in order and still one send at a time. They share that send's outcome.
   */
  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      for (let group = takeGroup(this.waiting); group.length > 0; group = takeGroup(this.waiting)) {
        const topic = (group[0] as PendingPublish).topic;
        try {
          const delivered = await this.publishNow(
            topic,
            group.flatMap((pending) => pending.records),
          );
          let start = 0;
          for (const pending of group) {
            pending.resolve(delivered.slice(start, start + pending.records.length));
            start += pending.records.length;
          }
        } catch (error) {
          for (const pending of group) pending.reject(error);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private async publishNow(topic: string, records: readonly OutgoingRecord[]): Promise<DeliveredRecord[]> {
    if (this.failure !== undefined) {
      throw new PublishError(
        `producer session ${this.id} is retired (${failureReason(this.failure.error)})`,
        {
          cause: this.failure.error,
          sent: false,
        },
      );
    }
    const deadline = Date.now() + this.publishTimeoutMs;
    let partitions: PartitionMetadata[];
    try {
      partitions = await withDeadline(
        this.partitions.of(topic),
        this.publishTimeoutMs,
        `metadata of ${topic}`,
      );
    } catch (error) {
      if (error instanceof TopicNotFoundError) throw error;
      this.retire(error);
      throw new PublishError(`looking up the partitions of ${topic} failed`, { cause: error, sent: false });
    }
    try {
      return await withDeadline(
        this.send(topic, partitions, records),
        Math.max(1, deadline - Date.now()),
        `acknowledgement from ${topic}`,
      );
    } catch (error) {
      this.retire(error);
      throw new PublishError(`publishing ${records.length} record(s) to ${topic} failed`, { cause: error });
    }
  }

  private async send(
    topic: string,
    partitions: PartitionMetadata[],
    records: readonly OutgoingRecord[],
  ): Promise<DeliveredRecord[]> {
    const sequences = new Map<number, number>();
    const planned = records.map((record) => {
      const partition = choosePartition({
        topic,
        partitionMetadata: partitions,
        message: { key: record.key, value: null },
      });
      const sequence = sequences.get(partition) ?? this.nextSequence.get(`${topic}/${partition}`) ?? 0;
      sequences.set(partition, sequence + 1);
      const message: Message = {
        key: record.key,
        value: record.value,
        partition,
        headers: {
          ...record.headers,
          [RecordHeader.eventId]: record.eventId,
          [RecordHeader.producerSession]: this.id,
          [RecordHeader.partitionSequence]: String(sequence),
        },
      };
      return { record, message, partition, sequence };
    });

    const acknowledged = await this.producer.send({
      topic,
      acks: -1,
      messages: planned.map((p) => p.message),
    });
    // A send that finished after the deadline retired the session must not advance its sequences.
    if (this.failure !== undefined) throw new Error(`acknowledged after producer session ${this.id} retired`);
    for (const [partition, next] of sequences) this.nextSequence.set(`${topic}/${partition}`, next);

    // kafkajs sends one batch per partition, keeping the order of the messages it was given; a duplicate
    // of an earlier batch is answered with that batch's original base offset (Kafka's idempotence rules).
    const baseOffsets = new Map(
      acknowledged.map((meta) => [meta.partition, BigInt(meta.baseOffset ?? '-1')]),
    );
    const position = new Map<number, bigint>();
    return planned.map(({ record, partition, sequence }) => {
      const base = baseOffsets.get(partition);
      if (base === undefined || base < 0n) throw new Error(`no acknowledgement for ${topic}-${partition}`);
      const index = position.get(partition) ?? 0n;
      position.set(partition, index + 1n);
      return { eventId: record.eventId, partition, offset: String(base + index), sequence };
    });
  }

  /** One metadata request through a short-lived admin client (its own connection, closed right after). */
  private async lookUpPartitions(topic: string): Promise<PartitionMetadata[]> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = topics.find((entry) => entry.name === topic)?.partitions ?? [];
      if (partitions.length === 0) throw new TopicNotFoundError(topic);
      return partitions;
    } catch (error) {
      if (isUnknownTopic(error)) throw new TopicNotFoundError(topic, { cause: error });
      throw error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

interface PendingPublish {
  readonly topic: string;
  readonly records: readonly OutgoingRecord[];
  readonly resolve: (delivered: DeliveredRecord[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Bounds of one combined send: well under Kafka's default 1 MB message.max.bytes per partition batch even if
 * every record lands on one partition (record framing adds a little to recordBytes).
 */
const GROUP_MAX_RECORDS = 500;
const GROUP_MAX_BYTES = 512 * 1024;

/** What a record adds to a batch before encoding: key, value, event id and headers. */
export function recordBytes(record: OutgoingRecord): number {
  let size =
    Buffer.byteLength(record.key) + Buffer.byteLength(record.value) + Buffer.byteLength(record.eventId);
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  return size;
}

/** Removes and returns the next publishes to send together: same topic, in arrival order, within the bounds. */
function takeGroup(waiting: PendingPublish[]): PendingPublish[] {
  const first = waiting[0];
  if (first === undefined) return [];
  let count = 0;
  let records = 0;
  let bytes = 0;
  for (const pending of waiting) {
    const size = pending.records.reduce((sum, record) => sum + recordBytes(record), 0);
    const fits = records + pending.records.length <= GROUP_MAX_RECORDS && bytes + size <= GROUP_MAX_BYTES;
    if (pending.topic !== first.topic || (count > 0 && !fits)) break;
    count += 1;
    records += pending.records.length;
    bytes += size;
  }
  return waiting.splice(0, count);
}

function withDeadline<T>(work: Promise<T>, timeoutMs: number, waitingFor: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${waitingFor} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The `reason` a session retired for being idle too long is reported with. */
export const IDLE_RETIREMENT = 'IDLE';

export interface WarmProducerOptions extends ProducerSessionOptions {
  /**
   * A session idle for longer is replaced before the next publish, instead of sending into connections
   * that may have died while the environment was frozen: a connection reset is retried at once by kafkajs,
   * but one that went silent only fails at the publish deadline.
   * @default - sessions are kept however long they are idle
   */
  readonly maxIdleMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * The warm producer of one execution environment: opened lazily by the first publish, reused by every
 * later invocation, and replaced by a new session (new producer id, new header sequence space) after any
 * failure. Failures surface as PublishError (retriable) so the caller can answer "try again".
 *
 * When the session was retired before anything of a publish was sent (another caller's failure, or the
 * topic lookup failed), the publish moves to a fresh session once: nothing can be duplicated by that.
 */
export class WarmProducer {
  private session: Promise<ProducerSession> | undefined;
  private lastActivity = 0;

  constructor(
    private readonly connect: () => Promise<Kafka>,
    private readonly options: WarmProducerOptions = {},
  ) {}

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<DeliveredRecord[]> {
    this.retireIfIdle();
    try {
      return await this.publishWithRetry(topic, records);
    } finally {
      this.lastActivity = this.now();
    }
  }

  private async publishWithRetry(
    topic: string,
    records: readonly OutgoingRecord[],
  ): Promise<DeliveredRecord[]> {
    for (let attempt = 1; ; attempt++) {
      const pending = this.current();
      const session = await pending;
      try {
        return await session.publish(topic, records);
      } catch (error) {
        if (!(error instanceof PublishError)) throw error; // e.g. TopicNotFoundError: the session is fine
        this.replace(pending, session, error);
        if (error.sent || attempt > 1) throw error;
      }
    }
  }

  /** The id of the live session, if one is open (for logs and tests). */
  async sessionId(): Promise<string | undefined> {
    return (await this.session?.catch(() => undefined))?.id;
  }

  async close(): Promise<void> {
    const pending = this.session;
    this.session = undefined;
    await (await pending?.catch(() => undefined))?.close();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private retireIfIdle(): void {
    const now = this.now();
    const idleFor = now - this.lastActivity;
    this.lastActivity = now;
    const stale = this.session;
    const { maxIdleMs } = this.options;
    if (stale === undefined || maxIdleMs === undefined || idleFor <= maxIdleMs) return;
    this.session = undefined;
    void stale.then(
      (session) => {
        this.options.onRetired?.({ sessionId: session.id, reason: IDLE_RETIREMENT, error: undefined });
        return session.close();
      },
      () => undefined,
    );
  }

  /** Only the caller holding the failed session replaces it; a newer session stays. */
  private replace(pending: Promise<ProducerSession>, session: ProducerSession, error: PublishError): void {
    if (this.session !== pending) return;
    this.session = undefined;
    this.options.onRetired?.({
      sessionId: session.id,
      reason: failureReason(error.cause),
      error: error.cause,
    });
    void session.close();
  }

  private current(): Promise<ProducerSession> {
    const pending =
      this.session ??
      this.connect()
        .then((kafka) => ProducerSession.open(kafka, this.options))
        .catch((error: unknown) => {
          if (this.session === pending) this.session = undefined;
          if (error instanceof ConfigError) throw error; // a deployment fault, not a reason to retry
          throw new PublishError('could not connect a producer to Kafka', { cause: error, sent: false });
        });
    this.session = pending;
    return pending;
  }
}
