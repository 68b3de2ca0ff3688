import { encodeRecordBatch, validateRecordBatch } from '../../../../local/broker/protocol/record-batch';
import type { BatchHeader } from '../../../../local/broker/storage/types';
import { compressBatch } from '../protocol/compressed-batch';

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
  /** Attribute bits 0-2: the codec that compresses the records (1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  readonly compression?: number;
  /** How snappy records are framed: raw (librdkafka, @platformatic/kafka) or xerial (the Java client). */
  readonly snappyFraming?: 'raw' | 'xerial';
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
  const batch =
    options.compression === undefined
      ? bytes
      : compressBatch(bytes, options.compression, options.snappyFraming);
  const validation = validateRecordBatch(batch);
  if (!validation.ok) throw new Error(`fixture batch is invalid: ${validation.reason}`);
  return { bytes: batch, header: validation.header };
}

/** `count` keyed records with values `${prefix}-${i}`. */
export function records(count: number, prefix = 'value'): FixtureRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: `key-${i}`, value: `${prefix}-${i}` }));
}
