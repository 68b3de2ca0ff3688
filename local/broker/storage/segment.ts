import type { BatchHeader } from './types';

/**
 * The byte store under one partition's log: an append-only sequence of record batches.
 * The in-memory engine keeps it in a growable buffer, the file engine in one segment file.
 */
export interface Segment {
  /** Bytes stored so far; the position the next append lands at. */
  readonly size: number;
  /** Writes the parts back to back at the end and returns the position of the first byte. */
  append(parts: readonly Buffer[]): number;
  /** Bytes [position, position + length); callers stay within `size`. */
  read(position: number, length: number): Buffer;
  /** Drops everything from `size` on (a torn or corrupt tail found at start-up). */
  truncate(size: number): void;
  /** Resolves once every byte appended before the call is on stable storage. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Closes the segment and deletes its bytes (retention). */
  remove(): Promise<void>;
}

/** One segment of a partition found at open: its first offset (its name) and its valid batches. */
export interface StoredSegment {
  readonly baseOffset: bigint;
  readonly segment: Segment;
  /** Yields the valid batches in offset order; a torn or corrupt tail is truncated once reached. */
  readonly stored: Iterable<StoredBytes>;
}

/** A batch found in a segment at open, already validated. */
export interface StoredBytes {
  readonly position: number;
  readonly bytes: Buffer;
  readonly header: BatchHeader;
}

/**
 * Memory is taken in chunks that double from 64 KiB to 16 MiB (or one batch, if larger): small for the
 * many tiny topics of a test run, and no copying of what is stored as a log grows.
 */
const FIRST_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

interface MemoryChunk {
  /** Segment position of the chunk's first byte. */
  readonly start: number;
  readonly bytes: Buffer;
  used: number;
}

/**
 * A segment held in memory, in fixed chunks. A batch never straddles two chunks, so reads of one
 * chunk are zero-copy views; a read across chunks is joined.
 */
export class MemorySegment implements Segment {
  private readonly chunks: MemoryChunk[] = [];
  private length = 0;

  get size(): number {
    return this.length;
  }

  append(parts: readonly Buffer[]): number {
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    let chunk = this.chunks.at(-1);
    if (!chunk || chunk.bytes.length - chunk.used < total) {
      const grown = chunk ? Math.min(MAX_CHUNK_BYTES, chunk.bytes.length * 2) : FIRST_CHUNK_BYTES;
      chunk = { start: this.length, bytes: Buffer.allocUnsafe(Math.max(grown, total)), used: 0 };
      this.chunks.push(chunk);
    }
    const position = this.length;
    for (const part of parts) {
      part.copy(chunk.bytes, chunk.used);
      chunk.used += part.length;
    }
    this.length += total;
    return position;
  }

  read(position: number, length: number): Buffer {
    const pieces: Buffer[] = [];
    let at = position;
    const end = position + length;
    for (let i = this.chunkIndexOf(position); at < end && i < this.chunks.length; i++) {
      const chunk = this.chunks[i] as MemoryChunk;
      const from = at - chunk.start;
      const to = Math.min(chunk.used, end - chunk.start);
      pieces.push(chunk.bytes.subarray(from, to));
      at = chunk.start + to;
    }
    return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
  }

  truncate(size: number): void {
    while (this.chunks.length > 0 && (this.chunks.at(-1) as MemoryChunk).start >= size) this.chunks.pop();
    const last = this.chunks.at(-1);
    if (last) last.used = Math.min(last.used, size - last.start);
    this.length = Math.min(this.length, size);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}

  async remove(): Promise<void> {
    this.chunks.length = 0;
    this.length = 0;
  }

  /** The chunk holding `position` (binary search over chunk starts). */
  private chunkIndexOf(position: number): number {
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if ((this.chunks[middle] as MemoryChunk).start <= position) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
