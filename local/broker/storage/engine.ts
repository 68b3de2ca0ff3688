import type { TransactionMarker } from '../protocol/control-record';
import { PartitionLog } from './partition-log';
import type { Segment, StoredSegment } from './segment';
import {
  KAFKA_LOG_DEFAULTS,
  type LogDefaults,
  type LogSettings,
  resolveLogSettings,
  topicConfigsProblem,
} from './topic-configs';
import { partitionGrowthProblem, validateNewTopic } from './topic-rules';
import {
  type AppendResult,
  type BatchHeader,
  type BrokerStorage,
  type CommittedOffset,
  failedRead,
  type IsolationLevel,
  type ReadResult,
  StorageError,
  type StorageErrorCode,
  type TopicDescription,
} from './types';

/** One committed offset as persisted: the key plus the value. */
export interface CommitRecord {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: CommittedOffset;
}

/** What a backend finds at open. */
export interface PersistedState {
  readonly topics: readonly TopicDescription[];
  readonly commits: readonly CommitRecord[];
  /** The end of the last reserved producer-id block: ids handed out after a restart start here. */
  readonly nextProducerId: bigint;
}

/** When appends are flushed to stable storage before they are acknowledged. */
export type FsyncPolicy = 'always' | 'acks-all' | 'never';

/**
 * Where an engine keeps its bytes. The engine (offsets, idempotence, reads, waiters) is the same for
 * every backend, so the in-memory and file engines behave identically by construction.
 */
export interface StorageBackend {
  readonly fsync: FsyncPolicy;
  load(): Promise<PersistedState>;
  /** A partition's segments in offset order (none for a new partition). */
  openPartition(topic: string, partition: number): readonly StoredSegment[];
  /** Creates a partition's empty segment starting at `baseOffset` (a new partition, or a roll). */
  newSegment(topic: string, partition: number, baseOffset: bigint): Segment;
  saveTopics(topics: readonly TopicDescription[]): void;
  /** Removes a deleted topic's stored data at once (its segments may still be closing). */
  removeTopic(topic: string, partitions: number): void;
  saveCommit(commit: CommitRecord): Promise<void>;
  /** Rewrites the whole commit store (compaction at open, and after a topic deletion). */
  replaceCommits(commits: readonly CommitRecord[]): void;
  /** Persists that ids below `end` may be in use, before any of them is handed out. */
  reserveProducerIds(end: bigint): Promise<void>;
  close(): Promise<void>;
}

/** Producer ids are reserved in blocks, so a restart skips at most one block and never reuses an id. */
export const PRODUCER_ID_BLOCK = 1000n;

/** Engine settings beyond the backend: broker-wide log defaults and the retention schedule. */
export interface LogOptions {
  /** message.max.bytes: the largest batch a topic without max.message.bytes accepts. @default 1048588 */
  readonly messageMaxBytes?: number;
  /** log.retention.check.interval.ms: how often retention deletes old segments. @default 300000 */
  readonly retentionCheckIntervalMs?: number;
  /** The clock for LogAppendTime, segment.ms and retention.ms. @default Date.now */
  readonly now?: () => number;
}

/** Kafka's log.retention.check.interval.ms default. */
export const DEFAULT_RETENTION_CHECK_INTERVAL_MS = 300_000;

interface Topic {
  description: TopicDescription;
  settings: LogSettings;
  readonly partitions: PartitionLog[];
}

interface AppendWaiter {
  readonly keys: readonly string[];
  readonly wake: () => void;
}

const UNKNOWN_PARTITION_APPEND: AppendResult = {
  errorCode: StorageError.UNKNOWN_TOPIC_OR_PARTITION,
  baseOffset: -1n,
  logStartOffset: -1n,
  logAppendTime: -1n,
  duplicate: false,
};

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class StorageEngine implements BrokerStorage {
  private readonly topics = new Map<string, Topic>();
  private readonly commits = new Map<string, CommitRecord>();
  private readonly waiters = new Map<string, Set<AppendWaiter>>();
  private nextId = 0n;
  private reservedEnd = 0n;
  private reservation: Promise<void> | undefined;
  private opened = false;
  private retentionTimer: NodeJS.Timeout | undefined;
  private retentionRun: Promise<void> | undefined;
  readonly logDefaults: LogDefaults;
  private readonly now: () => number;
  private readonly retentionCheckIntervalMs: number;

  constructor(
    private readonly backend: StorageBackend,
    options: LogOptions = {},
  ) {
    this.logDefaults = {
      ...KAFKA_LOG_DEFAULTS,
      messageMaxBytes: options.messageMaxBytes ?? KAFKA_LOG_DEFAULTS.messageMaxBytes,
    };
    this.now = options.now ?? Date.now;
    this.retentionCheckIntervalMs = options.retentionCheckIntervalMs ?? DEFAULT_RETENTION_CHECK_INTERVAL_MS;
  }

  async open(): Promise<void> {
    if (this.opened) return;
    const state = await this.backend.load();
    let nextId = state.nextProducerId;
    for (const description of state.topics) {
      const topic = this.openTopic(description);
      for (const log of topic.partitions) {
        // Guard against a lost reservation file: never hand out an id the log already holds.
        for (const id of log.producerIds()) if (id >= nextId) nextId = id + 1n;
      }
    }
    for (const commit of state.commits) {
      if (this.topics.has(commit.topic)) this.commits.set(commitKey(commit), commit);
    }
    // Compacts the commit log: one entry per group and partition, none for deleted topics.
    this.backend.replaceCommits([...this.commits.values()]);
    this.nextId = nextId;
    this.reservedEnd = nextId;
    this.opened = true;
    await this.abortOpenTransactions();
    // A segment file that could not be deleted comes back at the next open; retention then deletes it again.
    this.retentionTimer = setInterval(
      () => void this.applyRetention().catch(() => undefined),
      this.retentionCheckIntervalMs,
    );
    this.retentionTimer.unref();
  }

  /** Deletes the segments retention no longer keeps, in every partition (also run on a timer). */
  applyRetention(): Promise<void> {
    if (!this.retentionRun) {
      const run = this.retainAll();
      this.retentionRun = run;
      // Cleared once settled, after the assignment above (a run with nothing to await settles at once).
      void run
        .finally(() => {
          if (this.retentionRun === run) this.retentionRun = undefined;
        })
        .catch(() => undefined); // the caller of applyRetention sees the failure
    }
    return this.retentionRun;
  }

  private async retainAll(): Promise<void> {
    for (const topic of [...this.topics.values()]) {
      for (const log of topic.partitions) await log.applyRetention();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.retentionTimer);
    await this.retentionRun?.catch(() => undefined);
    for (const set of this.waiters.values()) for (const waiter of set) waiter.wake();
    this.waiters.clear();
    await this.reservation;
    const closing: Promise<void>[] = [];
    for (const topic of this.topics.values()) for (const log of topic.partitions) closing.push(log.close());
    await Promise.all(closing);
    this.topics.clear();
    this.commits.clear();
    await this.backend.close();
    this.opened = false;
  }

  listTopics(): readonly TopicDescription[] {
    return [...this.topics.values()].map((topic) => topic.description);
  }

  describeTopic(name: string): TopicDescription | undefined {
    return this.topics.get(name)?.description;
  }

  createTopic(name: string, partitions: number, configs: Record<string, string> = {}): StorageErrorCode {
    const problem = validateNewTopic(name, partitions, configs);
    if (problem !== StorageError.NONE) return problem;
    if (this.topics.has(name)) return StorageError.TOPIC_ALREADY_EXISTS;
    const description: TopicDescription = { name, partitions, configs: { ...configs } };
    this.openTopic(description);
    this.backend.saveTopics(this.listTopics());
    return StorageError.NONE;
  }

  createPartitions(name: string, partitions: number): StorageErrorCode {
    const topic = this.topics.get(name);
    if (!topic) return StorageError.UNKNOWN_TOPIC_OR_PARTITION;
    const current = topic.partitions.length;
    if (partitionGrowthProblem(name, current, partitions) !== undefined)
      return StorageError.INVALID_PARTITIONS;
    topic.description = { ...topic.description, partitions };
    for (let partition = current; partition < partitions; partition++) {
      topic.partitions.push(this.openPartition(topic, partition));
    }
    this.backend.saveTopics(this.listTopics());
    return StorageError.NONE;
  }

  alterTopicConfigs(name: string, configs: Record<string, string>): StorageErrorCode {
    const topic = this.topics.get(name);
    if (!topic) return StorageError.UNKNOWN_TOPIC_OR_PARTITION;
    if (topicConfigsProblem(configs) !== undefined) return StorageError.INVALID_CONFIG;
    topic.description = { ...topic.description, configs: { ...configs } };
    topic.settings = resolveLogSettings(topic.description.configs, this.logDefaults);
    this.backend.saveTopics(this.listTopics());
    return StorageError.NONE;
  }

  deleteTopic(name: string): StorageErrorCode {
    const topic = this.topics.get(name);
    if (!topic) return StorageError.UNKNOWN_TOPIC_OR_PARTITION;
    this.topics.delete(name);
    // Metadata first: files a crash leaves behind after this line are removed by the next open.
    this.backend.saveTopics(this.listTopics());
    let droppedCommits = false;
    for (const [key, commit] of this.commits) {
      if (commit.topic === name) {
        this.commits.delete(key);
        droppedCommits = true;
      }
    }
    if (droppedCommits) this.backend.replaceCommits([...this.commits.values()]);
    this.backend.removeTopic(name, topic.partitions.length);
    for (let partition = 0; partition < topic.partitions.length; partition++) this.wake(name, partition);
    void Promise.allSettled(topic.partitions.map((log) => log.close()));
    return StorageError.NONE;
  }

  append(
    topic: string,
    partition: number,
    batch: Buffer,
    header: BatchHeader,
    durable: boolean,
  ): Promise<AppendResult> {
    const log = this.partition(topic, partition);
    if (!log) {
      return Promise.resolve(UNKNOWN_PARTITION_APPEND);
    }
    return log.append(batch, header, durable);
  }

  appendTransactionMarker(
    topic: string,
    partition: number,
    marker: Omit<TransactionMarker, 'timestamp'>,
  ): Promise<AppendResult> {
    const log = this.partition(topic, partition);
    if (!log) {
      return Promise.resolve(UNKNOWN_PARTITION_APPEND);
    }
    return log.appendTransactionMarker(marker);
  }

  read(
    topic: string,
    partition: number,
    fetchOffset: bigint,
    maxBytes: number,
    isolation?: IsolationLevel,
  ): ReadResult {
    const log = this.partition(topic, partition);
    if (!log) return failedRead(StorageError.UNKNOWN_TOPIC_OR_PARTITION);
    return log.read(fetchOffset, maxBytes, isolation);
  }

  listOffset(
    topic: string,
    partition: number,
    timestamp: bigint,
  ): { errorCode: StorageErrorCode; offset: bigint; timestamp: bigint } {
    const log = this.partition(topic, partition);
    if (!log) return { errorCode: StorageError.UNKNOWN_TOPIC_OR_PARTITION, offset: -1n, timestamp: -1n };
    return log.listOffset(timestamp);
  }

  lastStableOffset(topic: string, partition: number): bigint {
    return this.partition(topic, partition)?.lastStableOffset ?? -1n;
  }

  waitForAppend(
    partitions: ReadonlyArray<{ topic: string; partition: number }>,
    signal: AbortSignal,
  ): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const keys = partitions.map(({ topic, partition }) => partitionKey(topic, partition));
      const waiter: AppendWaiter = {
        keys,
        wake: () => {
          signal.removeEventListener('abort', waiter.wake);
          for (const key of keys) {
            const set = this.waiters.get(key);
            set?.delete(waiter);
            if (set?.size === 0) this.waiters.delete(key);
          }
          resolve();
        },
      };
      for (const key of keys) {
        let set = this.waiters.get(key);
        if (!set) {
          set = new Set();
          this.waiters.set(key, set);
        }
        set.add(waiter);
      }
      signal.addEventListener('abort', waiter.wake, { once: true });
    });
  }

  async nextProducerId(): Promise<bigint> {
    const id = this.nextId++;
    while (id >= this.reservedEnd) await this.reserveFrom(id);
    return id;
  }

  async commitOffset(
    group: string,
    topic: string,
    partition: number,
    offset: CommittedOffset,
  ): Promise<void> {
    const commit: CommitRecord = { group, topic, partition, offset: { ...offset } };
    this.commits.set(commitKey(commit), commit);
    await this.backend.saveCommit(commit);
  }

  fetchOffset(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.commits.get(commitKey({ group, topic, partition }))?.offset;
  }

  listCommittedGroups(): readonly string[] {
    return [...new Set([...this.commits.values()].map((commit) => commit.group))];
  }

  /**
   * Transaction state lives in the coordinator's memory, so a transaction the log shows open at start-up
   * can never be ended: it is aborted, as Kafka's coordinator aborts one that outlives its timeout, and
   * read_committed consumers move past it.
   */
  private async abortOpenTransactions(): Promise<void> {
    const markers: Promise<AppendResult>[] = [];
    for (const topic of this.topics.values()) {
      for (const log of topic.partitions) {
        for (const open of log.openTransactions()) {
          markers.push(log.appendTransactionMarker({ ...open, result: 'abort', coordinatorEpoch: 0 }));
        }
      }
    }
    await Promise.all(markers);
  }

  private reserveFrom(id: bigint): Promise<void> {
    if (!this.reservation) {
      const end = id + PRODUCER_ID_BLOCK;
      this.reservation = this.backend
        .reserveProducerIds(end)
        .then(() => {
          this.reservedEnd = end;
        })
        .finally(() => {
          this.reservation = undefined;
        });
    }
    return this.reservation;
  }

  private openTopic(description: TopicDescription): Topic {
    const settings = resolveLogSettings(description.configs, this.logDefaults);
    const topic: Topic = { description, settings, partitions: [] };
    for (let partition = 0; partition < description.partitions; partition++) {
      topic.partitions.push(this.openPartition(topic, partition));
    }
    this.topics.set(description.name, topic);
    return topic;
  }

  /** Opens one partition's log: its stored segments replayed in order, or a first empty segment. */
  private openPartition(topic: Topic, partition: number): PartitionLog {
    const name = topic.description.name;
    const log = new PartitionLog({
      mustFlush: flushRule(this.backend.fsync),
      onAppend: () => this.wake(name, partition),
      settings: () => topic.settings,
      newSegment: (baseOffset) => this.backend.newSegment(name, partition, baseOffset),
      now: this.now,
    });
    const segments = this.backend.openPartition(name, partition);
    for (const [index, { baseOffset, segment, stored }] of segments.entries()) {
      if (!log.restoreSegment(baseOffset, segment)) {
        // An earlier segment lost its tail: what follows it cannot be placed, as in Kafka's recovery.
        // A removal that fails leaves the same orphan for the next open to find.
        for (const orphan of segments.slice(index)) void orphan.segment.remove().catch(() => undefined);
        break;
      }
      for (const batch of stored) log.restore(batch);
    }
    return log;
  }

  private partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  private wake(topic: string, partition: number): void {
    const set = this.waiters.get(partitionKey(topic, partition));
    if (!set) return;
    for (const waiter of [...set]) waiter.wake();
  }
}

/** One committed offset per group, topic and partition. */
export function commitKey(commit: { group: string; topic: string; partition: number }): string {
  return `${commit.group}\u0000${commit.topic}\u0000${commit.partition}`;
}

function flushRule(policy: FsyncPolicy): (durable: boolean) => boolean {
  if (policy === 'always') return () => true;
  if (policy === 'never') return () => false;
  return (durable) => durable;
}
