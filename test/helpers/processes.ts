import type { ChildProcess } from 'node:child_process';

/** Kills a child process with SIGKILL (no clean-up, as in a crash) and waits until it is gone. */
export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((wake) => setTimeout(wake, ms));
