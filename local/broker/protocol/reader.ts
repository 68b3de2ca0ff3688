/**
 * Reads Kafka protocol primitives (https://kafka.apache.org/protocol.html#protocol_types) from one
 * request body. Byte fields are returned as views into the request (no copy). With `flexible` set,
 * strings, bytes and arrays use the compact (unsigned varint length + 1) forms of KIP-482 and
 * `taggedFields()` skips a tagged-field section.
 */
import { MalformedRequestError, TruncatedRequestError } from './errors';

export class Reader {
  offset: number;

  constructor(
    readonly buffer: Buffer,
    offset = 0,
    readonly flexible = false,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  private take(size: number): number {
    const at = this.offset;
    if (size < 0 || at + size > this.buffer.length) {
      throw new TruncatedRequestError(size, at, this.buffer.length);
    }
    this.offset = at + size;
    return at;
  }

  int8(): number {
    return this.buffer.readInt8(this.take(1));
  }

  boolean(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    return this.buffer.readInt16BE(this.take(2));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.take(4));
  }

  uint32(): number {
    return this.buffer.readUInt32BE(this.take(4));
  }

  int64(): bigint {
    return this.buffer.readBigInt64BE(this.take(8));
  }

  /** Unsigned LEB128, at most 5 bytes (protobuf varint as used by Kafka). */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buffer[this.take(1)] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new MalformedRequestError(`varint at offset ${this.offset} is longer than 5 bytes`);
  }

  /** Zig-zag encoded signed 32-bit varint (record fields). */
  varint(): number {
    const raw = this.uvarint();
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  /** Zig-zag encoded signed 64-bit varint (record timestamp and offset deltas). */
  varlong(): bigint {
    let raw = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.buffer[this.take(1)] as number;
      raw |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (raw >> 1n) ^ -(raw & 1n);
    }
    throw new MalformedRequestError(`varlong at offset ${this.offset} is longer than 10 bytes`);
  }

  /** Length of a string/bytes/array field; -1 means null. */
  private length(): number {
    return this.flexible ? this.uvarint() - 1 : this.int32();
  }

  private stringLength(): number {
    return this.flexible ? this.uvarint() - 1 : this.int16();
  }

  nullableString(): string | null {
    const size = this.stringLength();
    if (size < 0) return null;
    const at = this.take(size);
    return this.buffer.toString('utf8', at, at + size);
  }

  string(): string {
    const at = this.offset;
    const value = this.nullableString();
    if (value === null)
      throw new MalformedRequestError(`null string at offset ${at} where a string is required`);
    return value;
  }

  nullableBytes(): Buffer | null {
    const size = this.length();
    if (size < 0) return null;
    const at = this.take(size);
    return this.buffer.subarray(at, at + size);
  }

  bytes(): Buffer {
    const at = this.offset;
    const value = this.nullableBytes();
    if (value === null)
      throw new MalformedRequestError(`null bytes at offset ${at} where bytes are required`);
    return value;
  }

  nullableArray<T>(readItem: (reader: Reader) => T): T[] | null {
    const count = this.length();
    if (count < 0) return null;
    // Every item takes at least one byte: a count larger than what is left is a malformed request,
    // caught before allocating for it.
    if (count > this.remaining) throw new TruncatedRequestError(count, this.offset, this.buffer.length);
    const items: T[] = new Array(count);
    for (let i = 0; i < count; i++) items[i] = readItem(this);
    return items;
  }

  array<T>(readItem: (reader: Reader) => T): T[] {
    return this.nullableArray(readItem) ?? [];
  }

  /** Skips a tagged-field section (KIP-482); none of them carries meaning for this broker. */
  taggedFields(): void {
    if (!this.flexible) return;
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.take(this.uvarint());
    }
  }
}
