/** A storage option that cannot work; raised before anything is opened. */
export class StorageConfigError extends Error {
  readonly code = 'STORAGE_CONFIG_INVALID';
  constructor(setting: string, received: unknown, expected: string) {
    super(`storage setting ${setting} is ${JSON.stringify(received)}, expected ${expected}`);
    this.name = 'StorageConfigError';
  }
}

/** A data directory file that cannot be understood; the broker must not start and silently drop it. */
export class StorageMetadataError extends Error {
  readonly code = 'STORAGE_METADATA_UNREADABLE';
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`cannot read ${file}: ${problem}`, options);
    this.name = 'StorageMetadataError';
  }
}
