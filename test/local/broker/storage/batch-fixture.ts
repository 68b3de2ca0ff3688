import { crc32c } from '../../../../local/broker/protocol/crc32c';
import { encodeRecordBatch, validateRecordBatch } from '../../../../local/broker/protocol/record-batch';
import type { BatchHeader } from '../../../../local/broker/storage/types';

export interface FixtureRecord {
  readonly key?: string;
  readonly value: string;
  /** Milliseconds after the batch's base timestamp. */
  readonly timestampDelta?: number;
}

export interface FixtureBatchOptions {
  readonly records: readonly FixtureRecord[];
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly baseTimestamp?: bigint;
  /** Sets attribute bits 0-2 only; the records stay as they are (storage never decompresses). */
  readonly compression?: number;
  /** Attribute bit 4: part of a transaction. */
  readonly transactional?: boolean;
}

export interface FixtureBatch {
  readonly bytes: Buffer;
  readonly header: BatchHeader;
}

/** A record batch v2 as a client sends it, with a valid CRC-32C, and the header the protocol layer reads. */
export function buildBatch(options: FixtureBatchOptions): FixtureBatch {
  const producerId = options.producerId ?? -1n;
  const baseTimestamp = options.baseTimestamp ?? 1_700_000_000_000n;
  const bytes = encodeRecordBatch({
    baseTimestamp,
    producerId,
    producerEpoch: options.producerEpoch ?? (producerId < 0n ? -1 : 0),
    baseSequence: options.baseSequence ?? (producerId < 0n ? -1 : 0),
    transactional: options.transactional ?? false,
    records: options.records.map((record) => ({
      key: record.key === undefined ? null : Buffer.from(record.key),
      value: Buffer.from(record.value),
      timestamp: baseTimestamp + BigInt(record.timestampDelta ?? 0),
    })),
  });
  bytes.writeInt32BE(-1, 12);
  if (options.compression !== undefined) {
    bytes.writeInt16BE(options.compression, 21);
    bytes.writeUInt32BE(crc32c(bytes, 21), 17);
  }
  const validation = validateRecordBatch(bytes);
  if (!validation.ok) throw new Error(`fixture batch is invalid: ${validation.reason}`);
  return { bytes, header: validation.header };
}

/** `count` keyed records with values `${prefix}-${i}`. */
export function records(count: number, prefix = 'value'): FixtureRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: `key-${i}`, value: `${prefix}-${i}` }));
}
