import { gzipSync } from 'node:zlib';
import { crc32c } from '../../../../local/broker/protocol/crc32c';
import {
  encodeRecordBatch,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  validateRecordBatch,
} from '../../../../local/broker/protocol/record-batch';
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
  /** Attribute bits 0-2: gzip (1) compresses the records for real; other codecs only set the bits. */
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
  const batch = options.compression === undefined ? bytes : compress(bytes, options.compression);
  const validation = validateRecordBatch(batch);
  if (!validation.ok) throw new Error(`fixture batch is invalid: ${validation.reason}`);
  return { bytes: batch, header: validation.header };
}

function compress(bytes: Buffer, codec: number): Buffer {
  const body = bytes.subarray(RECORD_BATCH_HEADER_SIZE);
  const batch = Buffer.concat([
    bytes.subarray(0, RECORD_BATCH_HEADER_SIZE),
    codec === 1 ? gzipSync(body) : body,
  ]);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, 8);
  batch.writeInt16BE(codec, 21);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

/** `count` keyed records with values `${prefix}-${i}`. */
export function records(count: number, prefix = 'value'): FixtureRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: `key-${i}`, value: `${prefix}-${i}` }));
}
