/**
 * Splits a TCP byte stream into Kafka request frames: a 4-byte big-endian size, then that many bytes
 * (https://kafka.apache.org/protocol.html#protocol_common). Frames within one received chunk are
 * returned as views, without copying; only a frame spread over several chunks is joined.
 */

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly code: 'OVERSIZE_FRAME' | 'INVALID_FRAME_SIZE',
    message: string,
  ) {
    super(message);
  }
}

/** The smallest request: api key, api version, correlation id and a client id length. */
const MIN_REQUEST_SIZE = 10;

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Adds received bytes; returns the frames (without size prefix) they complete. Throws FrameError. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= 4) {
      const size = this.peekSize();
      if (size > this.maxFrameBytes) {
        throw new FrameError(
          'OVERSIZE_FRAME',
          `frame of ${size} bytes exceeds the maximum of ${this.maxFrameBytes}`,
        );
      }
      if (size < MIN_REQUEST_SIZE) {
        throw new FrameError(
          'INVALID_FRAME_SIZE',
          `frame size ${size} is smaller than the smallest request (${MIN_REQUEST_SIZE} bytes)`,
        );
      }
      if (this.buffered < size + 4) break;
      frames.push(this.take(size + 4).subarray(4));
    }
    return frames;
  }

  private peekSize(): number {
    const first = this.chunks[0] as Buffer;
    if (first.length >= 4) return first.readInt32BE(0);
    return this.take(4, false).readInt32BE(0);
  }

  /** Removes (or, with consume=false, only joins) the first `size` buffered bytes. */
  private take(size: number, consume = true): Buffer {
    let first = this.chunks[0] as Buffer;
    if (first.length < size) {
      // Join just enough chunks to cover `size`, keeping the rest as they are.
      let joined = 0;
      let count = 0;
      while (joined < size) joined += (this.chunks[count++] as Buffer).length;
      first = Buffer.concat(this.chunks.slice(0, count), joined);
      this.chunks.splice(0, count, first);
    }
    if (!consume) return first;
    this.buffered -= size;
    if (first.length === size) this.chunks.shift();
    else this.chunks[0] = first.subarray(size);
    return first.subarray(0, size);
  }
}
