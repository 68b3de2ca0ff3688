import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Another running pipeline owns the data folder: two brokers or ledger stores on one folder corrupt it. */
export class DataFolderInUseError extends Error {
  readonly code = 'DATA_FOLDER_IN_USE';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the data folder ${dataDir} is in use by another local pipeline (process ${pid}); ` +
        'stop it first or choose another folder (--data-dir <folder> or LOCAL_DATA_DIR=<folder>)',
    );
    this.name = 'DataFolderInUseError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 only checks that the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data folder for this process with a lock file holding its pid. A lock left by a process that
 * no longer runs (killed, crashed) is taken over. Returns the release function.
 */
export async function lockDataFolder(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = join(dataDir, 'pipeline.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new DataFolderInUseError(dataDir, owner);
      }
      await rm(lockFile, { force: true }); // stale: its process is gone
    }
  }
  throw new DataFolderInUseError(dataDir, Number.NaN);
}
