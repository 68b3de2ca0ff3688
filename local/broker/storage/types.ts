/**
 * The broker's storage contract. The server layer talks only to this interface;
 * an in-memory engine (tests) and a file-backed engine (npm start, crash tests) implement it.
 * Idempotence is enforced here, in storage, with Kafka's own error codes (as tansu does),
 * so that both engines behave identically and the state can be rebuilt from the log.
 */

import type { TransactionMarker } from '../protocol/control-record';
import type { LogDefaults } from './topic-configs';
import type { AbortedTransaction } from './transaction-index';

export type { AbortedTransaction } from './transaction-index';

/** Kafka error codes storage can answer with (org.apache.kafka.common.protocol.Errors). */
export const StorageError = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  MESSAGE_TOO_LARGE: 10,
  RECORD_LIST_TOO_LARGE: 18,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_CONFIG: 40,
  INVALID_TOPIC_EXCEPTION: 17,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  INVALID_PRODUCER_EPOCH: 47,
} as const;
export type StorageErrorCode = (typeof StorageError)[keyof typeof StorageError];

/** The fields of a record batch v2 header that storage needs; parsed by the protocol layer. */
export interface BatchHeader {
  /** Number of records - 1 (the batch's last offset delta). */
  readonly lastOffsetDelta: number;
  readonly recordCount: number;
  readonly firstTimestamp: bigint;
  readonly maxTimestamp: bigint;
  /** -1 for a non-idempotent producer. */
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
}

export interface AppendResult {
  readonly errorCode: StorageErrorCode;
  /** Offset of the first record; for a duplicate, the original batch's base offset; -1 on error. */
  readonly baseOffset: bigint;
  readonly logStartOffset: bigint;
  /** The broker's append time stamped on the batch (message.timestamp.type=LogAppendTime), else -1. */
  readonly logAppendTime: bigint;
  /** True when the batch was recognised as a retry of a cached batch and not appended again. */
  readonly duplicate: boolean;
}

export interface StoredBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  /** The full record batch as stored, with base offset and leader epoch rewritten by the broker. */
  readonly bytes: Buffer;
}

export interface ReadResult {
  readonly errorCode: StorageErrorCode;
  readonly highWatermark: bigint;
  /** The first offset of the earliest open transaction, or the high watermark; -1 on error. */
  readonly lastStableOffset: bigint;
  readonly logStartOffset: bigint;
  /** Whole batches starting at the batch containing the requested offset. */
  readonly batches: readonly StoredBatch[];
  /** read_committed only: aborted transactions the returned batches overlap. */
  readonly abortedTransactions: readonly AbortedTransaction[];
}

/**
 * A read that failed: no records and no offsets, as Kafka's FetchResponse.partitionResponse answers any
 * partition error (high watermark, last stable offset and log start offset all -1).
 */
export function failedRead(errorCode: StorageErrorCode): ReadResult {
  return {
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    batches: [],
    abortedTransactions: [],
  };
}

/** Fetch's isolation_level: 0 sees everything up to the high watermark, 1 only up to the last stable offset. */
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

export interface TopicDescription {
  readonly name: string;
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

export interface CommittedOffset {
  readonly offset: bigint;
  readonly metadata: string | null;
  readonly leaderEpoch: number;
}

export interface BrokerStorage {
  /** Replays the log, rebuilds producer state, truncates a torn tail. Called once before serving. */
  open(): Promise<void>;
  close(): Promise<void>;

  listTopics(): readonly TopicDescription[];
  describeTopic(name: string): TopicDescription | undefined;
  /** INVALID_CONFIG when a config is unknown or invalid (see topic-configs.ts). */
  createTopic(name: string, partitions: number, configs?: Record<string, string>): StorageErrorCode;
  deleteTopic(name: string): StorageErrorCode;
  /** Grows a topic to `partitions` in total; INVALID_PARTITIONS unless that is more than it has. */
  createPartitions(name: string, partitions: number): StorageErrorCode;
  /** Replaces a topic's config overrides (configs left out return to their defaults). */
  alterTopicConfigs(name: string, configs: Record<string, string>): StorageErrorCode;
  /** The broker-wide defaults topic configs fall back to. */
  readonly logDefaults: LogDefaults;

  /**
   * Appends one record batch v2 (already CRC-checked by the protocol layer), applying the
   * idempotent-producer rules of Apache Kafka 2.5+ per partition and producer id.
   * `durable` asks that the bytes be flushed to stable storage before resolving (acks = -1).
   */
  append(
    topic: string,
    partition: number,
    batch: Buffer,
    header: BatchHeader,
    durable: boolean,
  ): Promise<AppendResult>;
  /**
   * Appends a transaction marker (commit or abort) for a producer's transaction on this partition
   * (written by the transaction coordinator; KIP-98 WriteTxnMarkers). Flushed like acks = all.
   */
  appendTransactionMarker(
    topic: string,
    partition: number,
    marker: Omit<TransactionMarker, 'timestamp'>,
  ): Promise<AppendResult>;
  /**
   * An unknown topic or partition answers UNKNOWN_TOPIC_OR_PARTITION with offsets -1 and no batches.
   * read_committed reads only below the last stable offset. @default isolation 'read_uncommitted'
   */
  read(
    topic: string,
    partition: number,
    fetchOffset: bigint,
    maxBytes: number,
    isolation?: IsolationLevel,
  ): ReadResult;
  /**
   * Earliest offset (-2), latest (-1), or the first offset whose timestamp is >= the given one.
   * An unknown topic or partition answers UNKNOWN_TOPIC_OR_PARTITION with offset and timestamp -1.
   */
  listOffset(
    topic: string,
    partition: number,
    timestamp: bigint,
  ): { errorCode: StorageErrorCode; offset: bigint; timestamp: bigint };
  /**
   * The first offset of the partition's earliest open transaction, or its high watermark: where a
   * read_committed consumer's "latest" is (ListOffsets with isolation_level 1). -1 for an unknown partition.
   */
  lastStableOffset(topic: string, partition: number): bigint;
  /** Resolves on the next append to any of the given partitions, or when the signal aborts. */
  waitForAppend(
    partitions: ReadonlyArray<{ topic: string; partition: number }>,
    signal: AbortSignal,
  ): Promise<void>;

  /** Producer ids are unique across restarts (persisted high-water mark in durable engines). */
  nextProducerId(): Promise<bigint>;

  commitOffset(group: string, topic: string, partition: number, offset: CommittedOffset): Promise<void>;
  fetchOffset(group: string, topic: string, partition: number): CommittedOffset | undefined;
  listCommittedGroups(): readonly string[];
}
