import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FsyncPolicy, LogOptions, StorageEngine } from '../../../../local/broker/storage/engine';
import { createFileStorage } from '../../../../local/broker/storage/file';
import { createMemoryStorage } from '../../../../local/broker/storage/memory';

export interface EngineFactory {
  readonly name: string;
  readonly create: (options?: LogOptions) => Promise<{
    storage: StorageEngine;
    cleanup: () => Promise<void>;
    reopen: () => Promise<StorageEngine>;
  }>;
}

export async function temporaryDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'broker-storage-'));
}

function fileEngine(fsync: FsyncPolicy): EngineFactory {
  return {
    name: `file (fsync ${fsync})`,
    create: async (options = {}) => {
      const dataDir = await temporaryDataDir();
      const opened: StorageEngine[] = [createFileStorage({ dataDir, fsync, ...options })];
      return {
        storage: opened[0] as StorageEngine,
        // A restart: the same data directory, opened by a new engine once the old one is closed.
        reopen: async () => {
          for (const storage of opened) await storage.close();
          const storage = createFileStorage({ dataDir, fsync, ...options });
          opened.push(storage);
          await storage.open();
          return storage;
        },
        cleanup: async () => {
          for (const storage of opened) await storage.close();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}

export const engines: EngineFactory[] = [
  {
    name: 'memory',
    create: async (options = {}) => {
      const storage = createMemoryStorage(options);
      // Nothing survives a memory engine's restart: reopening hands back the running engine.
      return { storage, cleanup: () => storage.close(), reopen: async () => storage };
    },
  },
  fileEngine('acks-all'),
  fileEngine('always'),
  fileEngine('never'),
];
