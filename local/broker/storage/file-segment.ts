import {
  closeSync,
  constants,
  fstatSync,
  fsync,
  ftruncateSync,
  openSync,
  readSync,
  unlinkSync,
  writevSync,
} from 'node:fs';
import { GroupFlush } from './group-flush';
import type { Segment } from './segment';

/**
 * One partition's segment file. Writes are synchronous positional writes into the page cache
 * (ordered with offset assignment); durability comes from `flush`, a grouped fsync.
 */
export class FileSegment implements Segment {
  private readonly fd: number;
  private length: number;
  private readonly flusher: GroupFlush;
  private closed = false;

  constructor(readonly path: string) {
    // Read-write and created if missing, but not O_APPEND: on Linux, positional writes to an
    // O_APPEND descriptor ignore the position (pwrite(2)).
    this.fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    this.length = fstatSync(this.fd).size;
    this.flusher = new GroupFlush(
      () =>
        new Promise<void>((resolve, reject) =>
          fsync(this.fd, (error) => (error ? reject(error) : resolve())),
        ),
    );
  }

  get size(): number {
    return this.length;
  }

  append(parts: readonly Buffer[]): number {
    const position = this.length;
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    let written = 0;
    while (written < total) {
      const remaining = skip(parts, written);
      written += writevSync(this.fd, remaining, position + written);
    }
    this.length += total;
    this.flusher.markWritten();
    return position;
  }

  read(position: number, length: number): Buffer {
    const bytes = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const count = readSync(this.fd, bytes, done, length - done, position + done);
      if (count === 0)
        throw new RangeError(`segment ${this.path} ends at ${position + done}, wanted ${position + length}`);
      done += count;
    }
    return bytes;
  }

  truncate(size: number): void {
    ftruncateSync(this.fd, size);
    this.length = Math.min(this.length, size);
    this.flusher.markWritten();
  }

  flush(): Promise<void> {
    return this.flusher.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flusher.settle();
    await this.flusher.flush().catch(() => {});
    closeSync(this.fd);
  }

  /** Unlinking first is safe: the open descriptor stays valid until closed (POSIX). */
  async remove(): Promise<void> {
    unlinkSync(this.path);
    await this.close();
  }
}

/** The parts after the first `offset` bytes (a short writev continues where it stopped). */
function skip(parts: readonly Buffer[], offset: number): Buffer[] {
  if (offset === 0) return [...parts];
  const rest: Buffer[] = [];
  let toSkip = offset;
  for (const part of parts) {
    if (toSkip >= part.length) {
      toSkip -= part.length;
      continue;
    }
    rest.push(toSkip > 0 ? part.subarray(toSkip) : part);
    toSkip = 0;
  }
  return rest;
}
