import { describe, expect, it } from 'vitest';
import { GroupFlush } from '../../../../local/broker/storage/group-flush';

/** A sync whose completion the test controls, counting how often it ran. */
function controlledSync() {
  const pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  return {
    pending,
    sync: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })),
    finish: () => pending.shift()?.resolve(),
    fail: (error: Error) => pending.shift()?.reject(error),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupFlush', () => {
  it('does not sync when nothing was written', async () => {
    const control = controlledSync();
    await new GroupFlush(control.sync).flush();
    expect(control.pending).toHaveLength(0);
  });

  it('lets writes made during a running sync share one following sync', async () => {
    const control = controlledSync();
    const flusher = new GroupFlush(control.sync);
    flusher.markWritten();
    const first = flusher.flush();
    const waiters = [1, 2, 3].map(() => {
      flusher.markWritten();
      return flusher.flush();
    });
    expect(control.pending).toHaveLength(1);
    control.finish();
    await first;
    await tick();
    expect(control.pending).toHaveLength(1);
    control.finish();
    await Promise.all(waiters);
    expect(control.pending).toHaveLength(0);
  });

  it('answers a flush covered by the running sync with that sync', async () => {
    const control = controlledSync();
    const flusher = new GroupFlush(control.sync);
    flusher.markWritten();
    const first = flusher.flush();
    const second = flusher.flush();
    control.finish();
    await Promise.all([first, second]);
    expect(control.pending).toHaveLength(0);
  });

  it('reports a failed sync and syncs again on the next flush', async () => {
    const control = controlledSync();
    const flusher = new GroupFlush(control.sync);
    flusher.markWritten();
    const failing = flusher.flush();
    control.fail(new Error('EIO'));
    await expect(failing).rejects.toThrow('EIO');
    const retry = flusher.flush();
    expect(control.pending).toHaveLength(1);
    control.finish();
    await retry;
  });
});
