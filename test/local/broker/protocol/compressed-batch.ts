/**
 * Compresses record batches as producers do, for every codec of record batch v2 (the broker itself only
 * decompresses): gzip with node:zlib, snappy and lz4 with @platformatic/wasm-utils (the codecs
 * @platformatic/kafka produces with), zstd with @bokuweb/zstd-wasm (node:zlib has none before Node 22.15).
 */
import { gzipSync } from 'node:zlib';
import { init as loadZstd, compress as zstdCompress } from '@bokuweb/zstd-wasm';
import { lz4Compress, snappyCompress } from '@platformatic/wasm-utils';
import { Codec } from '../../../../local/broker/protocol/compression';
import { crc32c } from '../../../../local/broker/protocol/crc32c';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_MASK,
  CRC_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
} from '../../../../local/broker/protocol/record-batch';

await loadZstd();

/** Every compressing codec by name, as the differential and storage tests iterate them. */
export const COMPRESSING_CODECS = {
  gzip: Codec.GZIP,
  snappy: Codec.SNAPPY,
  lz4: Codec.LZ4,
  zstd: Codec.ZSTD,
} as const;

/**
 * Snappy as the Java client writes it (snappy-java's SnappyOutputStream): a 16-byte header, then
 * blocks of at most `blockSize` input bytes, each an int32 length and raw snappy.
 */
export function xerialSnappy(plain: Buffer, blockSize = 32 * 1024): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts: Buffer[] = [header];
  for (let at = 0; at < plain.length; at += blockSize) {
    const block = snappyCompress(plain.subarray(at, at + blockSize));
    const size = Buffer.alloc(4);
    size.writeInt32BE(block.length);
    parts.push(size, block);
  }
  return Buffer.concat(parts);
}

function compressRecords(codec: number, plain: Buffer, snappyFraming: 'raw' | 'xerial'): Buffer {
  switch (codec) {
    case Codec.GZIP:
      return gzipSync(plain);
    case Codec.SNAPPY:
      return snappyFraming === 'xerial' ? xerialSnappy(plain) : snappyCompress(plain);
    case Codec.LZ4:
      return lz4Compress(plain);
    case Codec.ZSTD:
      return Buffer.from(zstdCompress(plain, 3));
    default:
      throw new RangeError(`codec ${codec} does not compress`);
  }
}

/**
 * `batch` with its compression bits set to `codec` beside the other attributes, its length and CRC-32C
 * recomputed, and its records section left as it is (a batch whose records are not what its codec says).
 */
export function markCompressed(batch: Buffer, codec: number): Buffer {
  const marked = Buffer.from(batch);
  marked.writeInt32BE(marked.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  const attributes = marked.readInt16BE(ATTRIBUTES_OFFSET) & ~COMPRESSION_MASK;
  marked.writeInt16BE(attributes | codec, ATTRIBUTES_OFFSET);
  marked.writeUInt32BE(crc32c(marked, ATTRIBUTES_OFFSET), CRC_OFFSET);
  return marked;
}

/** `batch` (uncompressed, as encodeRecordBatch builds it) with its records compressed by `codec`. */
export function compressBatch(batch: Buffer, codec: number, snappyFraming: 'raw' | 'xerial' = 'raw'): Buffer {
  const records = compressRecords(codec, batch.subarray(RECORD_BATCH_HEADER_SIZE), snappyFraming);
  return markCompressed(Buffer.concat([batch.subarray(0, RECORD_BATCH_HEADER_SIZE), records]), codec);
}
