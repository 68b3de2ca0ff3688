import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FsyncPolicy, StorageEngine } from '../../../../local/broker/storage/engine';
import { createFileStorage } from '../../../../local/broker/storage/file';
import { createMemoryStorage } from '../../../../local/broker/storage/memory';

export interface EngineFactory {
  readonly name: string;
  readonly create: () => Promise<{ storage: StorageEngine; cleanup: () => Promise<void> }>;
}

export async function temporaryDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'broker-storage-'));
}

function fileEngine(fsync: FsyncPolicy): EngineFactory {
  return {
    name: `file (fsync ${fsync})`,
    create: async () => {
      const dataDir = await temporaryDataDir();
      const storage = createFileStorage({ dataDir, fsync });
      return {
        storage,
        cleanup: async () => {
          await storage.close();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}

export const engines: EngineFactory[] = [
  {
    name: 'memory',
    create: async () => {
      const storage = createMemoryStorage();
      return { storage, cleanup: () => storage.close() };
    },
  },
  fileEngine('acks-all'),
  fileEngine('always'),
  fileEngine('never'),
];
