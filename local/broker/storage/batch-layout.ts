import { LOG_OVERHEAD, RECORD_BATCH_HEADER_SIZE } from '../protocol/record-batch';

/**
 * The few record batch v2 fields storage touches (layout in ../protocol/record-batch.ts).
 * Base offset (@0) and partition leader epoch (@12) belong to the broker and are not covered by
 * the CRC-32C (KIP-98), so they are rewritten without re-checksumming.
 */
const BATCH_LENGTH_AT = 8;
const LEADER_EPOCH_AT = 12;
const MAGIC_AT = 16;
const ATTRIBUTES_AT = 21;
export const LAST_OFFSET_DELTA_AT = 23;
const COMPRESSION_MASK = 0x07;

/** Bytes of a batch that follow the broker-owned prefix (base offset, length, leader epoch). */
export const BROKER_PREFIX_SIZE = MAGIC_AT;

/** Total size of the batch starting at `bytes[0]`, from its batchLength field. */
export function batchSizeOf(bytes: Buffer): number {
  return LOG_OVERHEAD + bytes.readInt32BE(BATCH_LENGTH_AT);
}

export function isCompressed(bytes: Buffer): boolean {
  return (bytes.readInt16BE(ATTRIBUTES_AT) & COMPRESSION_MASK) !== 0;
}

/** A new 16-byte prefix carrying the broker-assigned base offset and leader epoch for `batch`. */
export function brokerPrefix(batch: Buffer, baseOffset: bigint, leaderEpoch = 0): Buffer {
  const prefix = Buffer.allocUnsafe(BROKER_PREFIX_SIZE);
  prefix.writeBigInt64BE(baseOffset, 0);
  prefix.writeInt32BE(batch.readInt32BE(BATCH_LENGTH_AT), BATCH_LENGTH_AT);
  prefix.writeInt32BE(leaderEpoch, LEADER_EPOCH_AT);
  return prefix;
}

/**
 * Why bytes cannot be framed as one batch v2 (undefined when they can). Storage checks this even
 * though the protocol layer validated the batch: a wrong length would break the segment's framing.
 */
export function batchShapeProblem(bytes: Buffer): string | undefined {
  if (bytes.length < RECORD_BATCH_HEADER_SIZE) {
    return `batch of ${bytes.length} bytes is shorter than the ${RECORD_BATCH_HEADER_SIZE}-byte v2 header`;
  }
  const size = batchSizeOf(bytes);
  if (size !== bytes.length) return `batchLength says ${size} bytes in total, got ${bytes.length}`;
  const magic = bytes.readInt8(MAGIC_AT);
  if (magic !== 2) return `magic is ${magic}, expected 2`;
  return undefined;
}
