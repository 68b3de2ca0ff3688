/** The storage layer: one contract, an in-memory and a file-backed engine. */
export { type FsyncPolicy, type LogOptions, PRODUCER_ID_BLOCK, StorageEngine } from './engine';
export { StorageConfigError, StorageMetadataError } from './errors';
export { createFileStorage, type FileStorageOptions } from './file';
export type { TornTail } from './log-recovery';
export { createMemoryStorage } from './memory';
export {
  DEFAULT_MESSAGE_MAX_BYTES,
  KAFKA_LOG_DEFAULTS,
  type LogDefaults,
  topicConfigsProblem,
} from './topic-configs';
export * from './types';
