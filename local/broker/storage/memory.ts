import { type StorageBackend, StorageEngine } from './engine';
import { MemorySegment } from './segment';

/** Keeps nothing beyond the process: every open starts empty. */
function memoryBackend(): StorageBackend {
  return {
    fsync: 'never',
    load: async () => ({ topics: [], commits: [], nextProducerId: 0n }),
    openPartition: () => ({ segment: new MemorySegment(), stored: [] }),
    saveTopics: () => {},
    removeTopic: () => {},
    saveCommit: async () => {},
    replaceCommits: () => {},
    reserveProducerIds: async () => {},
    close: async () => {},
  };
}

/** The in-memory engine: same behaviour as the file engine, nothing survives the process. */
export function createMemoryStorage(): StorageEngine {
  return new StorageEngine(memoryBackend());
}
