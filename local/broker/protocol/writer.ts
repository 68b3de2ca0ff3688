/**
 * Writes Kafka protocol primitives into a list of chunks: small fields go into a scratch buffer,
 * large byte fields (record batches) are kept by reference, and `finish()` joins everything with one
 * Buffer.concat (or `finishParts()` hands the chunks over as they are). With `flexible` set, strings,
 * bytes and arrays use the compact forms of KIP-482.
 */

const SCRATCH_SIZE = 4096;
/** Byte fields at least this large are referenced instead of copied into the scratch buffer. */
const REFERENCE_THRESHOLD = 512;

export class Writer {
  private readonly chunks: Buffer[] = [];
  private scratch: Buffer;
  private position = 0;
  private flushedLength = 0;

  constructor(
    readonly flexible = false,
    /** Reserve a 4-byte size prefix that `finish()` fills in (a whole frame). */
    private readonly sizePrefixed = false,
  ) {
    this.scratch = Buffer.allocUnsafe(SCRATCH_SIZE);
    if (sizePrefixed) this.position = 4;
  }

  get length(): number {
    return this.flushedLength + this.position;
  }

  private flush(): void {
    if (this.position === 0) return;
    this.chunks.push(this.scratch.subarray(0, this.position));
    this.flushedLength += this.position;
    this.scratch = this.scratch.subarray(this.position);
    this.position = 0;
  }

  private reserve(size: number): Buffer {
    if (this.position + size > this.scratch.length) {
      this.flush();
      this.scratch = Buffer.allocUnsafe(Math.max(SCRATCH_SIZE, size));
    }
    return this.scratch;
  }

  int8(value: number): this {
    this.reserve(1).writeInt8(value, this.position);
    this.position += 1;
    return this;
  }

  boolean(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  int16(value: number): this {
    this.reserve(2).writeInt16BE(value, this.position);
    this.position += 2;
    return this;
  }

  int32(value: number): this {
    this.reserve(4).writeInt32BE(value, this.position);
    this.position += 4;
    return this;
  }

  uint32(value: number): this {
    this.reserve(4).writeUInt32BE(value, this.position);
    this.position += 4;
    return this;
  }

  int64(value: bigint): this {
    this.reserve(8).writeBigInt64BE(value, this.position);
    this.position += 8;
    return this;
  }

  uvarint(value: number): this {
    const target = this.reserve(5);
    let rest = value >>> 0;
    while (rest >= 0x80) {
      target[this.position++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    target[this.position++] = rest;
    return this;
  }

  varint(value: number): this {
    return this.uvarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  varlong(value: bigint): this {
    const target = this.reserve(10);
    let rest = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
    while (rest >= 0x80n) {
      target[this.position++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    target[this.position++] = Number(rest);
    return this;
  }

  private sizeField(size: number): this {
    return this.flexible ? this.uvarint(size + 1) : this.int32(size);
  }

  nullableString(value: string | null): this {
    if (value === null) return this.flexible ? this.uvarint(0) : this.int16(-1);
    const size = Buffer.byteLength(value, 'utf8');
    if (this.flexible) this.uvarint(size + 1);
    else this.int16(size);
    this.reserve(size).write(value, this.position, size, 'utf8');
    this.position += size;
    return this;
  }

  string(value: string): this {
    return this.nullableString(value);
  }

  /** Appends bytes as they are, with no length prefix (a record set after its length). */
  raw(bytes: Uint8Array): this {
    if (bytes.length >= REFERENCE_THRESHOLD) {
      this.flush();
      this.chunks.push(
        Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
      );
      this.flushedLength += bytes.length;
      return this;
    }
    this.reserve(bytes.length).set(bytes, this.position);
    this.position += bytes.length;
    return this;
  }

  nullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.sizeField(-1);
    return this.sizeField(value.length).raw(value);
  }

  bytes(value: Uint8Array): this {
    return this.nullableBytes(value);
  }

  /** One BYTES field made of several parts (a record set of whole batches), none of them copied. */
  concatenatedBytes(parts: readonly Uint8Array[]): this {
    let size = 0;
    for (const part of parts) size += part.length;
    this.sizeField(size);
    for (const part of parts) this.raw(part);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null, writeItem: (writer: Writer, item: T) => void): this {
    if (items === null) return this.sizeField(-1);
    this.sizeField(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  array<T>(items: readonly T[], writeItem: (writer: Writer, item: T) => void): this {
    return this.nullableArray(items, writeItem);
  }

  /** An empty tagged-field section; this broker sets no tagged fields. */
  taggedFields(): this {
    return this.flexible ? this.uvarint(0) : this;
  }

  /**
   * The written bytes as their chunks, not joined: large byte fields stay the caller's buffers, so a
   * socket can send them with one writev. Fills in the size prefix when the writer was created for a frame.
   */
  finishParts(): readonly Buffer[] {
    this.flush();
    const first = this.chunks[0];
    if (this.sizePrefixed && first) first.writeInt32BE(this.flushedLength - 4, 0);
    return this.chunks;
  }

  /** The written bytes in one buffer (joined once, when there are several chunks). */
  finish(): Buffer {
    const parts = this.finishParts();
    const first = parts[0];
    return parts.length === 1 && first ? first : Buffer.concat(parts, this.flushedLength);
  }
}
