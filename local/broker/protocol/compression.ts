/**
 * Decompression of a record batch's records section, for every codec of record batch v2 (attributes
 * bits 0-2; Kafka's CompressionType): the broker stores batches as producers compressed them and only
 * reads inside one to answer ListOffsets by timestamp.
 *
 * - gzip: node:zlib.
 * - snappy: raw snappy (librdkafka, @platformatic/kafka) or xerial-framed snappy (the Java client's
 *   SnappyOutputStream), blocks decoded by @platformatic/wasm-utils.
 * - lz4: an LZ4 frame (Kafka's Lz4BlockOutputStream, magic v2 headers), decoded by @platformatic/wasm-utils.
 * - zstd: zstd frames, decoded by fzstd (node:zlib has zstd only from Node 22.15).
 */
import { gunzipSync } from 'node:zlib';
import { lz4Decompress, snappyDecompress } from '@platformatic/wasm-utils';
import { decompress as zstdDecompress } from 'fzstd';

export const Codec = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;

/** xerial snappy-java stream header: magic "\x82SNAPPY\0", then version and compatible version (int32). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;

/** Each xerial block is an int32 length and that many bytes of raw snappy. */
function snappyUnframe(payload: Buffer): Buffer {
  if (!payload.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return snappyDecompress(payload);
  const blocks: Buffer[] = [];
  let at = XERIAL_HEADER_SIZE;
  while (at < payload.length) {
    if (at + 4 > payload.length) throw new RangeError(`xerial snappy block length cut at byte ${at}`);
    const size = payload.readInt32BE(at);
    const end = at + 4 + size;
    if (size < 0 || end > payload.length)
      throw new RangeError(`xerial snappy block of ${size} byte(s) at byte ${at} overruns the stream`);
    blocks.push(snappyDecompress(payload.subarray(at + 4, end)));
    at = end;
  }
  return Buffer.concat(blocks);
}

/** The records section of a batch compressed with `codec`, decompressed; throws on a malformed payload. */
export function decompressRecords(codec: number, payload: Buffer): Buffer {
  switch (codec) {
    case Codec.NONE:
      return payload;
    case Codec.GZIP:
      return gunzipSync(payload);
    case Codec.SNAPPY:
      return snappyUnframe(payload);
    case Codec.LZ4:
      return lz4Decompress(payload);
    case Codec.ZSTD: {
      const plain = zstdDecompress(payload);
      return Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
    }
    default:
      throw new RangeError(`compression codec ${codec} is not one of Kafka's (0-4)`);
  }
}
