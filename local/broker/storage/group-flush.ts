/**
 * Coalesces flush requests: appends that ask for durability while an fsync is running share the
 * next one, so N concurrent acks=-1 producers cost about one fsync per round, not N.
 */
export class GroupFlush {
  private written = 0;
  private synced = 0;
  private running: Promise<void> | undefined;
  private runningCovers = 0;
  private queued: Promise<void> | undefined;

  constructor(private readonly sync: () => Promise<void>) {}

  /** Notes that bytes were written that the next flush must cover. */
  markWritten(): void {
    this.written++;
  }

  /** Resolves once everything written before the call is on stable storage. */
  flush(): Promise<void> {
    const target = this.written;
    if (this.synced >= target) return Promise.resolve();
    if (!this.running) return this.start();
    if (this.runningCovers >= target) return this.running;
    if (!this.queued) {
      const next = () => {
        this.queued = undefined;
        return this.start();
      };
      this.queued = this.running.then(next, next);
    }
    return this.queued;
  }

  /** Waits for any flush in progress (before closing the file). */
  async settle(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
  }

  private start(): Promise<void> {
    const covers = this.written;
    this.runningCovers = covers;
    const running = this.sync().then(() => {
      this.synced = Math.max(this.synced, covers);
    });
    this.running = running;
    const clear = () => {
      if (this.running === running) this.running = undefined;
    };
    running.then(clear, clear);
    return running;
  }
}
