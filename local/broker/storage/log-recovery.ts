import {
  BATCH_LENGTH_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  validateRecordBatch,
} from '../protocol/record-batch';
import type { Segment, StoredBytes } from './segment';

/** What recovery found at the end of a segment that was not a whole, valid batch. */
export interface TornTail {
  readonly validBytes: number;
  readonly truncatedBytes: number;
  readonly reason: string;
}

/**
 * Yields the valid batches of a segment in order and truncates it at the first one that is not:
 * cut short by a crash, a bad length, magic or CRC-32C, or an offset that does not follow its
 * predecessor. As in Kafka's log recovery, everything from the first bad batch on is dropped; none of
 * it was acknowledged with acks=-1, since that acknowledgement waits for a flush of every byte before it.
 */
export function* recoverSegment(
  segment: Segment,
  baseOffset: bigint,
  onTornTail?: (tail: TornTail) => void,
): Generator<StoredBytes> {
  let position = 0;
  let expectedOffset = baseOffset;
  const size = segment.size;
  while (position < size) {
    const candidate = readCandidate(segment, position, size, expectedOffset);
    if ('problem' in candidate) {
      segment.truncate(position);
      onTornTail?.({ validBytes: position, truncatedBytes: size - position, reason: candidate.problem });
      return;
    }
    yield candidate;
    expectedOffset += BigInt(candidate.header.lastOffsetDelta) + 1n;
    position += candidate.bytes.length;
  }
}

function readCandidate(
  segment: Segment,
  position: number,
  size: number,
  expectedOffset: bigint,
): StoredBytes | { problem: string } {
  if (size - position < RECORD_BATCH_HEADER_SIZE) {
    return { problem: `${size - position} bytes at ${position} are less than a batch header` };
  }
  const total = LOG_OVERHEAD + segment.read(position + BATCH_LENGTH_OFFSET, 4).readInt32BE(0);
  if (total < RECORD_BATCH_HEADER_SIZE || position + total > size) {
    return { problem: `batch at ${position} declares ${total} bytes, ${size - position} remain` };
  }
  const bytes = segment.read(position, total);
  const validation = validateRecordBatch(bytes);
  if (!validation.ok) return { problem: `batch at ${position}: ${validation.reason}` };
  const baseOffset = bytes.readBigInt64BE(0);
  if (baseOffset !== expectedOffset) {
    return { problem: `batch at ${position} has base offset ${baseOffset}, expected ${expectedOffset}` };
  }
  return { position, bytes, header: validation.header };
}
