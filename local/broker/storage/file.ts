import {
  closeSync,
  constants,
  existsSync,
  fsync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { CommitRecord, FsyncPolicy, LogOptions, PersistedState, StorageBackend } from './engine';
import { commitKey, StorageEngine } from './engine';
import { StorageConfigError, StorageMetadataError } from './errors';
import { FileSegment } from './file-segment';
import { GroupFlush } from './group-flush';
import { recoverSegment, type TornTail } from './log-recovery';
import type { StoredSegment } from './segment';
import type { TopicDescription } from './types';

export interface FileStorageOptions extends LogOptions {
  /** Directory holding topics, segments, committed offsets and the producer-id reservation. */
  readonly dataDir: string;
  /**
   * When appends reach stable storage before they are acknowledged:
   * 'acks-all' flushes before answering acks=-1 (the guarantee idempotence rests on),
   * 'always' before every acknowledgement, 'never' leaves it to the OS.
   * @default 'acks-all'
   */
  readonly fsync?: FsyncPolicy;
  /** Called when start-up recovery truncates a partition's torn or corrupt tail. */
  readonly onTornTail?: (event: TornTail & { readonly topic: string; readonly partition: number }) => void;
}

const FSYNC_POLICIES: readonly FsyncPolicy[] = ['always', 'acks-all', 'never'];

/**
 * Layout of the data directory:
 *   topics.json                         topic metadata (rewritten atomically)
 *   producer-ids.json                   end of the last reserved producer-id block
 *   offsets.log                         committed offsets, one JSON line per commit, compacted at open
 *   logs/<topic>-<partition>/<base offset, 20 digits>.log   the partition's segments (Kafka's naming)
 */
const TOPICS_FILE = 'topics.json';
const PRODUCER_IDS_FILE = 'producer-ids.json';
const OFFSETS_FILE = 'offsets.log';
const LOGS_DIR = 'logs';
const SEGMENT_NAME = /^(\d{20})\.log$/;

function segmentFileName(baseOffset: bigint): string {
  return `${baseOffset.toString().padStart(20, '0')}.log`;
}

interface PersistedCommit {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly metadata: string | null;
  readonly leaderEpoch: number;
}

class FileBackend implements StorageBackend {
  readonly fsync: FsyncPolicy;
  private offsetsFd: number | undefined;
  private offsetsFlush: GroupFlush | undefined;

  constructor(private readonly options: FileStorageOptions) {
    this.fsync = options.fsync ?? 'acks-all';
  }

  private path(...parts: string[]): string {
    return join(this.options.dataDir, ...parts);
  }

  async load(): Promise<PersistedState> {
    mkdirSync(this.path(LOGS_DIR), { recursive: true });
    const topics = this.loadTopics();
    this.removeOrphanLogs(topics);
    const commits = this.loadCommits();
    const reservation = readJson<{ reservedEnd?: unknown }>(this.path(PRODUCER_IDS_FILE));
    let nextProducerId = 0n;
    if (reservation !== undefined) {
      if (typeof reservation.reservedEnd !== 'string' || !/^\d+$/.test(reservation.reservedEnd)) {
        throw new StorageMetadataError(
          this.path(PRODUCER_IDS_FILE),
          `reservedEnd is ${JSON.stringify(reservation.reservedEnd)}, expected a decimal string`,
        );
      }
      nextProducerId = BigInt(reservation.reservedEnd);
    }
    return { topics, commits, nextProducerId };
  }

  openPartition(topic: string, partition: number): StoredSegment[] {
    const dir = this.path(LOGS_DIR, `${topic}-${partition}`);
    if (!existsSync(dir)) return [];
    const onTornTail = this.options.onTornTail;
    const baseOffsets = readdirSync(dir)
      .map((name) => SEGMENT_NAME.exec(name)?.[1])
      .filter((digits) => digits !== undefined)
      .map((digits) => BigInt(digits))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return baseOffsets.map((baseOffset) => {
      const segment = new FileSegment(join(dir, segmentFileName(baseOffset)));
      const stored = recoverSegment(
        segment,
        baseOffset,
        onTornTail && ((tail) => onTornTail({ ...tail, topic, partition })),
      );
      return { baseOffset, segment, stored };
    });
  }

  newSegment(topic: string, partition: number, baseOffset: bigint): FileSegment {
    const dir = this.path(LOGS_DIR, `${topic}-${partition}`);
    const created = !existsSync(dir);
    mkdirSync(dir, { recursive: true });
    const segment = new FileSegment(join(dir, segmentFileName(baseOffset)));
    // The new file's name must survive a crash before its first acknowledged append.
    syncDirectory(dir);
    if (created) syncDirectory(this.path(LOGS_DIR));
    return segment;
  }

  saveTopics(topics: readonly TopicDescription[]): void {
    writeFileAtomic(this.path(TOPICS_FILE), `${JSON.stringify({ topics }, null, 2)}\n`);
  }

  removeTopic(topic: string, partitions: number): void {
    // Unlinking leaves any open descriptor valid (POSIX), so pending flushes still complete.
    for (let partition = 0; partition < partitions; partition++) {
      rmSync(this.path(LOGS_DIR, `${topic}-${partition}`), { recursive: true, force: true });
    }
  }

  async saveCommit(commit: CommitRecord): Promise<void> {
    const fd = this.offsetsFd ?? this.openOffsets();
    writeSync(fd, `${JSON.stringify(toPersisted(commit))}\n`);
    this.offsetsFlush?.markWritten();
    if (this.fsync !== 'never') await this.offsetsFlush?.flush();
  }

  replaceCommits(commits: readonly CommitRecord[]): void {
    this.closeOffsets();
    writeFileAtomic(
      this.path(OFFSETS_FILE),
      commits.map((c) => `${JSON.stringify(toPersisted(c))}\n`).join(''),
    );
  }

  async reserveProducerIds(end: bigint): Promise<void> {
    writeFileAtomic(this.path(PRODUCER_IDS_FILE), `${JSON.stringify({ reservedEnd: end.toString() })}\n`);
  }

  async close(): Promise<void> {
    await this.offsetsFlush?.settle();
    this.closeOffsets();
  }

  private openOffsets(): number {
    const fd = openSync(
      this.path(OFFSETS_FILE),
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT,
      0o644,
    );
    this.offsetsFd = fd;
    this.offsetsFlush = new GroupFlush(
      () => new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve()))),
    );
    return fd;
  }

  private closeOffsets(): void {
    if (this.offsetsFd !== undefined) closeSync(this.offsetsFd);
    this.offsetsFd = undefined;
    this.offsetsFlush = undefined;
  }

  private loadTopics(): TopicDescription[] {
    const file = this.path(TOPICS_FILE);
    const stored = readJson<{ topics?: unknown }>(file);
    if (stored === undefined) return [];
    if (!Array.isArray(stored.topics)) throw new StorageMetadataError(file, 'expected {"topics": [...]}');
    return stored.topics.map((topic: unknown) => {
      const { name, partitions, configs } = (topic ?? {}) as Partial<TopicDescription>;
      if (typeof name !== 'string' || typeof partitions !== 'number' || typeof configs !== 'object') {
        throw new StorageMetadataError(
          file,
          `topic entry ${JSON.stringify(topic)} lacks name, partitions or configs`,
        );
      }
      return { name, partitions, configs };
    });
  }

  /** A crash between rewriting topics.json and removing a deleted topic's files leaves orphans. */
  private removeOrphanLogs(topics: readonly TopicDescription[]): void {
    const expected = new Set(
      topics.flatMap((t) => Array.from({ length: t.partitions }, (_, p) => `${t.name}-${p}`)),
    );
    for (const entry of readdirSync(this.path(LOGS_DIR))) {
      if (!expected.has(entry)) rmSync(this.path(LOGS_DIR, entry), { recursive: true, force: true });
    }
  }

  private loadCommits(): CommitRecord[] {
    const file = this.path(OFFSETS_FILE);
    if (!existsSync(file)) return [];
    const latest = new Map<string, CommitRecord>();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const commit = parseCommit(line);
      // A torn last line (crash mid-write) was never acknowledged: skip it.
      if (commit) latest.set(commitKey(commit), commit);
    }
    return [...latest.values()];
  }
}

function toPersisted(commit: CommitRecord): PersistedCommit {
  return {
    group: commit.group,
    topic: commit.topic,
    partition: commit.partition,
    offset: commit.offset.offset.toString(),
    metadata: commit.offset.metadata,
    leaderEpoch: commit.offset.leaderEpoch,
  };
}

function parseCommit(line: string): CommitRecord | undefined {
  if (line.trim() === '') return undefined;
  try {
    const p = JSON.parse(line) as Partial<PersistedCommit>;
    if (
      typeof p.group !== 'string' ||
      typeof p.topic !== 'string' ||
      typeof p.partition !== 'number' ||
      typeof p.offset !== 'string' ||
      typeof p.leaderEpoch !== 'number'
    ) {
      return undefined;
    }
    const offset = { offset: BigInt(p.offset), metadata: p.metadata ?? null, leaderEpoch: p.leaderEpoch };
    return { group: p.group, topic: p.topic, partition: p.partition, offset };
  } catch {
    return undefined;
  }
}

function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new StorageMetadataError(file, 'not valid JSON', { cause: error });
  }
}

/** Write-to-temporary, fsync, rename, fsync the directory: the file is either old or new after a crash. */
function writeFileAtomic(file: string, contents: string): void {
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, 'w', 0o644);
  try {
    writeSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  syncDirectory(join(file, '..'));
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function validate(options: FileStorageOptions): void {
  if (typeof options.dataDir !== 'string' || options.dataDir.length === 0) {
    throw new StorageConfigError('dataDir', options.dataDir, 'a directory path');
  }
  if (options.fsync !== undefined && !FSYNC_POLICIES.includes(options.fsync)) {
    throw new StorageConfigError('fsync', options.fsync, `one of ${FSYNC_POLICIES.join(', ')}`);
  }
}

/** The durable engine: segment files per partition under `dataDir`, recovered at open. */
export function createFileStorage(options: FileStorageOptions): StorageEngine {
  validate(options);
  return new StorageEngine(new FileBackend(options), options);
}
