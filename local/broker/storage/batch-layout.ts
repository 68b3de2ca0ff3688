import { crc32c } from '../protocol/crc32c';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LEADER_EPOCH_OFFSET,
  LOG_APPEND_TIME_FLAG,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_HEADER_SIZE,
} from '../protocol/record-batch';

/*
 * The few record batch v2 fields storage touches (layout in ../protocol/record-batch.ts).
 * Base offset (@0) and partition leader epoch (@12) belong to the broker and are not covered by
 * the CRC-32C (KIP-98), so they are rewritten without re-checksumming.
 */

/** Bytes of a batch that follow the broker-owned prefix (base offset, length, leader epoch). */
export const BROKER_PREFIX_SIZE = MAGIC_OFFSET;

/** Total size of the batch starting at `bytes[0]`, from its batchLength field. */
export function batchSizeOf(bytes: Buffer): number {
  return LOG_OVERHEAD + bytes.readInt32BE(BATCH_LENGTH_OFFSET);
}

/** A new 16-byte prefix carrying the broker-assigned base offset and leader epoch for `batch`. */
export function brokerPrefix(batch: Buffer, baseOffset: bigint, leaderEpoch = 0): Buffer {
  const prefix = Buffer.allocUnsafe(BROKER_PREFIX_SIZE);
  prefix.writeBigInt64BE(baseOffset, 0);
  prefix.writeInt32BE(batch.readInt32BE(BATCH_LENGTH_OFFSET), BATCH_LENGTH_OFFSET);
  prefix.writeInt32BE(leaderEpoch, LEADER_EPOCH_OFFSET);
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
  const magic = bytes.readInt8(MAGIC_OFFSET);
  if (magic !== 2) return `magic is ${magic}, expected 2`;
  return undefined;
}

/**
 * A copy of `batch` stamped with the broker's append time, as Kafka's LogValidator does for a topic with
 * message.timestamp.type=LogAppendTime: timestamp-type bit set, max timestamp = now, CRC-32C recomputed
 * (both fields are covered by it). Consumers then read `now` as every record's timestamp.
 */
export function stampLogAppendTime(batch: Buffer, now: bigint): Buffer {
  const stamped = Buffer.from(batch);
  stamped.writeInt16BE(stamped.readInt16BE(ATTRIBUTES_OFFSET) | LOG_APPEND_TIME_FLAG, ATTRIBUTES_OFFSET);
  stamped.writeBigInt64BE(now, MAX_TIMESTAMP_OFFSET);
  stamped.writeUInt32BE(crc32c(stamped, ATTRIBUTES_OFFSET), CRC_OFFSET);
  return stamped;
}
