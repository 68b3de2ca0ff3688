import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataFolderInUseError } from '../../../local/pipeline';
import { lockDataFolder } from '../../../local/pipeline/data-lock';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'data-lock-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('data folder lock', () => {
  it('refuses a folder whose lock belongs to a running process, naming it', async () => {
    // The test runner's parent process is alive for the whole test.
    await writeFile(join(folder, 'pipeline.lock'), String(process.ppid));
    const attempt = lockDataFolder(folder);
    await expect(attempt).rejects.toBeInstanceOf(DataFolderInUseError);
    await expect(attempt).rejects.toThrow(`in use by another local pipeline (process ${process.ppid})`);
  });

  it('takes over a lock left by a process that is gone, and releases it', async () => {
    // Prepare: the pid of a process that has already exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    await writeFile(join(folder, 'pipeline.lock'), String(gone));

    // Act
    const release = await lockDataFolder(folder);

    // Assess
    expect(await readFile(join(folder, 'pipeline.lock'), 'utf8')).toBe(String(process.pid));
    await release();
    await expect(readFile(join(folder, 'pipeline.lock'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
