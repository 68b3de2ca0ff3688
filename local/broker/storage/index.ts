/** The storage layer: one contract, an in-memory and a file-backed engine. */
export { type FsyncPolicy, PRODUCER_ID_BLOCK, StorageEngine } from './engine';
export { StorageConfigError, StorageMetadataError } from './errors';
export { createFileStorage, type FileStorageOptions } from './file';
export type { TornTail } from './log-recovery';
export { createMemoryStorage } from './memory';
export * from './types';
