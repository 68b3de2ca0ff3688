import { type LogOptions, type StorageBackend, StorageEngine } from './engine';
import { MemorySegment } from './segment';

/** Keeps nothing beyond the process: every open starts empty. */
function memoryBackend(): StorageBackend {
  return {
    fsync: 'never',
    load: async () => ({ topics: [], commits: [], nextProducerId: 0n }),
    openPartition: () => [],
    newSegment: () => new MemorySegment(),
    saveTopics: () => {},
    removeTopic: () => {},
    saveCommit: async () => {},
    replaceCommits: () => {},
    reserveProducerIds: async () => {},
    close: async () => {},
  };
}

/** The in-memory engine: same behaviour as the file engine, nothing survives the process. */
export function createMemoryStorage(options: LogOptions = {}): StorageEngine {
  return new StorageEngine(memoryBackend(), options);
}
