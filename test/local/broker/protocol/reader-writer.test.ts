import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedRequestError, TruncatedRequestError } from '../../../../local/broker/protocol/errors';
import { Reader } from '../../../../local/broker/protocol/reader';
import { Writer } from '../../../../local/broker/protocol/writer';

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

describe('Writer then Reader', () => {
  it('round-trips every fixed-width primitive', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: -32768, max: 32767 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        int64,
        fc.boolean(),
        (i8, i16, i32, u32, i64, bool) => {
          const bytes = new Writer()
            .int8(i8)
            .int16(i16)
            .int32(i32)
            .uint32(u32)
            .int64(i64)
            .boolean(bool)
            .finish();
          const r = new Reader(bytes);
          expect([r.int8(), r.int16(), r.int32(), r.uint32(), r.int64(), r.boolean()]).toEqual([
            i8,
            i16,
            i32,
            u32,
            i64,
            bool,
          ]);
          expect(r.remaining).toBe(0);
        },
      ),
    );
  });

  it('round-trips varints and varlongs (zig-zag) and unsigned varints', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        int64,
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (v, l, u) => {
          const r = new Reader(new Writer().varint(v).varlong(l).uvarint(u).finish());
          expect([r.varint(), r.varlong(), r.uvarint()]).toEqual([v, l, u]);
        },
      ),
    );
  });

  it('encodes varints as the protocol buffers zig-zag examples', () => {
    expect([...new Writer().varint(0).varint(-1).varint(1).varint(-2).varint(150).finish()]).toEqual([
      0x00, 0x01, 0x02, 0x03, 0xac, 0x02,
    ]);
    expect([...new Writer().varlong(-(2n ** 63n)).finish()]).toEqual([
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
  });

  for (const flexible of [false, true]) {
    it(`round-trips strings, bytes and arrays (${flexible ? 'compact' : 'classic'} encoding)`, () => {
      fc.assert(
        fc.property(
          fc.option(fc.string({ unit: 'grapheme' })),
          fc.option(fc.uint8Array({ maxLength: 2000 })),
          fc.option(fc.array(fc.string(), { maxLength: 5 })),
          (text, bytes, list) => {
            const w = new Writer(flexible)
              .nullableString(text)
              .nullableBytes(bytes)
              .nullableArray(list, (iw, item) => iw.string(item))
              .taggedFields();
            const r = new Reader(w.finish(), 0, flexible);
            expect(r.nullableString()).toBe(text);
            const readBytes = r.nullableBytes();
            expect(readBytes === null ? null : new Uint8Array(readBytes)).toEqual(bytes);
            expect(r.nullableArray((ir) => ir.string())).toEqual(list);
            r.taggedFields();
            expect(r.remaining).toBe(0);
          },
        ),
      );
    });
  }

  it('writes the classic null markers: string length -1 (int16), bytes and arrays -1 (int32)', () => {
    expect([
      ...new Writer()
        .nullableString(null)
        .nullableBytes(null)
        .nullableArray(null, () => {})
        .finish(),
    ]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect([...new Writer(true).nullableString(null).string('a').finish()]).toEqual([0x00, 0x02, 0x61]);
  });

  it('joins many chunks, references large byte fields and fills in a frame size prefix', () => {
    const large = Buffer.alloc(10_000, 7);
    const w = new Writer(false, true).int32(42).bytes(large).string('tail');
    const frame = w.finish();
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const r = new Reader(frame, 4);
    expect(r.int32()).toBe(42);
    expect(r.bytes().equals(large)).toBe(true);
    expect(r.string()).toBe('tail');
    const parts = [Buffer.alloc(600, 1), Buffer.alloc(3, 2)];
    expect(new Reader(new Writer().concatenatedBytes(parts).finish()).bytes()).toEqual(Buffer.concat(parts));
  });

  it('skips unknown tagged fields in flexible mode', () => {
    const bytes = new Writer(true)
      .uvarint(2)
      .uvarint(0)
      .uvarint(3)
      .raw(Buffer.from('abc'))
      .uvarint(9)
      .uvarint(0)
      .int8(5)
      .finish();
    const r = new Reader(bytes, 0, true);
    r.taggedFields();
    expect(r.int8()).toBe(5);
  });
});

describe('Reader on bad input', () => {
  it('throws TruncatedRequestError when a field runs past the end', () => {
    expect(() => new Reader(Buffer.from([0, 1])).int32()).toThrow(TruncatedRequestError);
    expect(() => new Reader(Buffer.from([0, 5, 0x61])).string()).toThrow(/needed 5 byte\(s\) at offset 2/);
    expect(() => new Reader(Buffer.from([0, 0, 0, 9, 1])).bytes()).toThrow(TruncatedRequestError);
  });

  it('rejects an array count larger than the bytes left before allocating', () => {
    expect(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])).array((r) => r.int8())).toThrow(
      TruncatedRequestError,
    );
  });

  it('rejects nulls where the grammar requires a value, and over-long varints', () => {
    expect(() => new Reader(Buffer.from([0xff, 0xff])).string()).toThrow(MalformedRequestError);
    expect(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).uvarint()).toThrow(
      MalformedRequestError,
    );
  });
});
