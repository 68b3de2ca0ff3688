import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Codec } from '../../../../local/broker/protocol/compression';
import { ErrorCode } from '../../../../local/broker/protocol/error-codes';
import {
  decodeRecordBatch,
  encodeRecordBatch,
  splitRecordBatches,
  unreadableRecordsProblem,
  validateRecordBatch,
} from '../../../../local/broker/protocol/record-batch';
import { compressBatch, markCompressed } from './compressed-batch';

const idempotent = { producerId: 12n, producerEpoch: 3, baseSequence: 2147483646 };

function sample() {
  return encodeRecordBatch({
    baseTimestamp: 1_700_000_000_000n,
    ...idempotent,
    records: [
      {
        key: Buffer.from('acct-1'),
        value: Buffer.from('{"amount":100}'),
        headers: [{ key: 'event-id', value: Buffer.from('e1') }],
      },
      { key: null, value: null, timestamp: 1_700_000_000_500n },
    ],
  });
}

describe('record batch v2', () => {
  it('reads the header fields storage needs from a valid batch', () => {
    const result = validateRecordBatch(sample());
    expect(result).toEqual({
      ok: true,
      header: {
        lastOffsetDelta: 1,
        recordCount: 2,
        firstTimestamp: 1_700_000_000_000n,
        maxTimestamp: 1_700_000_000_500n,
        producerId: 12n,
        producerEpoch: 3,
        baseSequence: 2147483646,
        isTransactional: false,
        isControl: false,
      },
    });
  });

  it('round-trips records, keys, null values and headers', () => {
    const records = decodeRecordBatch(sample());
    expect(
      records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null]),
    ).toEqual([
      [0n, 1_700_000_000_000n, 'acct-1', '{"amount":100}'],
      [1n, 1_700_000_000_500n, null, null],
    ]);
    expect(records[0]?.headers).toEqual([{ key: 'event-id', value: Buffer.from('e1') }]);
  });

  it.each([
    ['gzip', Codec.GZIP, 'raw'],
    ['snappy', Codec.SNAPPY, 'raw'],
    ['xerial-framed snappy', Codec.SNAPPY, 'xerial'],
    ['lz4', Codec.LZ4, 'raw'],
    ['zstd', Codec.ZSTD, 'raw'],
  ] as const)('reads the records of a %s batch', (_, codec, snappyFraming) => {
    // Over 32 KiB of records, so a xerial stream has more than one block.
    const records = Array.from({ length: 300 }, (_, i) => ({
      key: Buffer.from(`key-${i}`),
      value: Buffer.from(`value-${i}-${'x'.repeat(i % 7)}-${randomBytes(64).toString('hex')}`),
      timestamp: 1_700_000_000_000n + BigInt(i),
    }));
    const plain = encodeRecordBatch({ baseTimestamp: 1_700_000_000_000n, records });
    const compressed = compressBatch(plain, codec, snappyFraming);
    expect(validateRecordBatch(compressed).ok).toBe(true);
    expect(compressed.length).not.toBe(plain.length);
    const readable = (batch: Buffer) =>
      decodeRecordBatch(batch).map((r) => `${r.offset} ${r.timestamp} ${r.key} ${r.value}`);
    expect(readable(compressed)).toEqual(readable(plain));
  });

  it('tells why the records of a compressed batch cannot be read', () => {
    const zstd = compressBatch(sample(), Codec.ZSTD);
    expect(unreadableRecordsProblem(markCompressed(sample(), Codec.ZSTD))).toMatch(/codec 4 cannot be read/);
    expect(unreadableRecordsProblem(markCompressed(sample(), Codec.GZIP))).toMatch(/codec 1 cannot be read/);
    const cutShort = markCompressed(zstd.subarray(0, zstd.length - 4), Codec.ZSTD);
    expect(unreadableRecordsProblem(cutShort)).toMatch(/codec 4 cannot be read/);
    expect(unreadableRecordsProblem(zstd)).toBeUndefined();
    expect(unreadableRecordsProblem(sample())).toBeUndefined();
  });

  it('rejects a flipped bit anywhere the CRC covers with CORRUPT_MESSAGE', () => {
    const bytes = sample();
    for (const at of [21, 30, 57, 61, bytes.length - 1]) {
      const corrupt = Buffer.from(bytes);
      corrupt[at] = (corrupt[at] as number) ^ 0x01;
      const result = validateRecordBatch(corrupt);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
        expect(result.reason).toMatch(/CRC-32C/);
      }
    }
  });

  it('ignores base offset and leader epoch, which the broker rewrites and the CRC does not cover', () => {
    const bytes = sample();
    bytes.writeBigInt64BE(999n, 0);
    bytes.writeInt32BE(7, 12);
    expect(validateRecordBatch(bytes).ok).toBe(true);
  });

  it('rejects truncated batches, length mismatches, other magic values and two batches in one', () => {
    const bytes = sample();
    const expectError = (input: Buffer, errorCode: number, reason: RegExp) => {
      const result = validateRecordBatch(input);
      expect(result).toMatchObject({ ok: false, errorCode });
      if (!result.ok) expect(result.reason).toMatch(reason);
    };
    expectError(bytes.subarray(0, 40), ErrorCode.CORRUPT_MESSAGE, /shorter than the 61-byte header/);
    expectError(bytes.subarray(0, bytes.length - 3), ErrorCode.CORRUPT_MESSAGE, /does not match/);
    const magic1 = Buffer.from(bytes);
    magic1.writeInt8(1, 16);
    expectError(magic1, ErrorCode.INVALID_RECORD, /magic 1/);
    expectError(Buffer.concat([bytes, bytes]), ErrorCode.INVALID_RECORD, /exactly one record batch/);
  });

  it('splits a record set into its batches', () => {
    const a = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }] });
    const b = sample();
    expect(splitRecordBatches(Buffer.concat([a, b]))).toEqual([a, b]);
    // A partial trailing batch (max_bytes cut) is left out.
    expect(splitRecordBatches(Buffer.concat([a, b.subarray(0, 20)]))).toEqual([a]);
  });
});
