import { randomUUID } from 'node:crypto';
import { type Kafka, type Message, Partitioners, type PartitionMetadata, type Producer } from 'kafkajs';
import { PublishError } from './errors';
import { RecordHeader } from './record-headers';

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
  /** Upper bound for one publish, retries included (idempotent kafkajs retries without limit). */
  readonly publishTimeoutMs?: number;
}

const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;
const choosePartition = Partitioners.DefaultPartitioner();

/**
 * One idempotent kafkajs producer and the per-partition sequence numbers written in record headers.
 * Publishes are serialised: kafkajs can reuse a sequence number when a send races a retry rollback and the
 * broker then drops the racing batch as a "duplicate". A session that failed once is never used again,
 * because whether its last records were stored is unknown and its header sequence could no longer be trusted.
 */
export class ProducerSession {
  readonly id = randomUUID();
  private readonly partitionCounts = new Map<string, PartitionMetadata[]>();
  private readonly nextSequence = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  private failed: unknown;

  private constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly publishTimeoutMs: number,
  ) {}

  static async open(kafka: Kafka, options: ProducerSessionOptions = {}): Promise<ProducerSession> {
    const producer = kafka.producer({
      idempotent: true, // forces acks = -1 and retries with the same sequence numbers
      allowAutoTopicCreation: false, // MSK does not auto-create topics; neither do we
      maxInFlightRequests: 1,
    });
    await producer.connect();
    return new ProducerSession(kafka, producer, options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS);
  }

  get usable(): boolean {
    return this.failed === undefined;
  }

  /** Publishes the records with acks = all and answers only once the broker acknowledged every one. */
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<DeliveredRecord[]> {
    const run = this.queue.then(() => this.publishNow(topic, records));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }

  private async publishNow(topic: string, records: readonly OutgoingRecord[]): Promise<DeliveredRecord[]> {
    if (this.failed !== undefined) {
      throw new PublishError(`producer session ${this.id} already failed`, { cause: this.failed });
    }
    try {
      return await withDeadline(this.send(topic, records), this.publishTimeoutMs, topic);
    } catch (error) {
      this.failed = error;
      throw new PublishError(`publishing ${records.length} record(s) to ${topic} failed`, { cause: error });
    }
  }

  private async send(topic: string, records: readonly OutgoingRecord[]): Promise<DeliveredRecord[]> {
    const partitions = await this.partitionsOf(topic);
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
    for (const [partition, next] of sequences) this.nextSequence.set(`${topic}/${partition}`, next);

    // kafkajs sends one batch per partition, keeping the order of the messages it was given.
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

  private async partitionsOf(topic: string): Promise<PartitionMetadata[]> {
    const known = this.partitionCounts.get(topic);
    if (known) return known;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = topics[0]?.partitions ?? [];
      if (partitions.length === 0) throw new Error(`topic ${topic} has no partitions`);
      this.partitionCounts.set(topic, partitions);
      return partitions;
    } finally {
      await admin.disconnect();
    }
  }
}

function withDeadline<T>(work: Promise<T>, timeoutMs: number, topic: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no acknowledgement from ${topic} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The warm producer of one execution environment: opened lazily by the first publish, reused by every
 * later invocation, and replaced by a new session (new producer id, new header sequence space) after any
 * failure. Failures surface as PublishError (retriable) so the caller can answer "try again".
 */
export class WarmProducer {
  private session: Promise<ProducerSession> | undefined;

  constructor(
    private readonly connect: () => Promise<Kafka>,
    private readonly options: ProducerSessionOptions = {},
  ) {}

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<DeliveredRecord[]> {
    const pending = this.current();
    const session = await pending;
    try {
      return await session.publish(topic, records);
    } catch (error) {
      // Only the invocation holding the failed session replaces it; a newer session stays.
      if (this.session === pending) this.session = undefined;
      void session.close();
      throw error;
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

  private current(): Promise<ProducerSession> {
    const pending =
      this.session ??
      this.connect()
        .then((kafka) => ProducerSession.open(kafka, this.options))
        .catch((error: unknown) => {
          if (this.session === pending) this.session = undefined;
          throw new PublishError('could not connect a producer to Kafka', { cause: error });
        });
    this.session = pending;
    return pending;
  }
}
