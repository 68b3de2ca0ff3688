/**
 * Record batch v2 (magic 2), the only format this broker accepts (KIP-98;
 * https://kafka.apache.org/documentation/#recordbatch).
 *
 * RecordBatch =>
 *   baseOffset: int64            @0   rewritten by the broker
 *   batchLength: int32           @8   bytes after this field
 *   partitionLeaderEpoch: int32  @12  rewritten by the broker
 *   magic: int8                  @16  = 2
 *   crc: uint32                  @17  CRC-32C from attributes to the end of the batch
 *   attributes: int16            @21  bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control
 *   lastOffsetDelta: int32       @23
 *   baseTimestamp: int64         @27
 *   maxTimestamp: int64          @35
 *   producerId: int64            @43
 *   producerEpoch: int16         @51
 *   baseSequence: int32          @53
 *   records: [Record]            @57  int32 count, then the records (compressed as a whole if bit 0-2 set)
 *
 * Record =>
 *   length: varint, attributes: int8, timestampDelta: varlong, offsetDelta: varint,
 *   keyLength: varint, key: byte[], valueLen: varint, value: byte[],
 *   headers: varint count of [headerKeyLength: varint, headerKey: String, headerValueLength: varint, value: byte[]]
 */
import type { BatchHeader } from '../storage/types';
import { decompressRecords } from './compression';
import { crc32c } from './crc32c';
import { ErrorCode } from './error-codes';
import { Reader } from './reader';
import { Writer } from './writer';

export const RECORD_BATCH_HEADER_SIZE = 61;
/** Bytes before batchLength's coverage begins: baseOffset + batchLength. */
export const LOG_OVERHEAD = 12;
export const BATCH_LENGTH_OFFSET = 8;
export const LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const MAX_TIMESTAMP_OFFSET = 35;
export const ATTRIBUTES_OFFSET = 21;
/** Attribute bits 0-2: the compression codec (0 = none). */
export const COMPRESSION_MASK = 0x07;
/** Attribute bit 3: timestamps are the broker's append time (message.timestamp.type=LogAppendTime). */
export const LOG_APPEND_TIME_FLAG = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;

export type BatchValidation =
  | { readonly ok: true; readonly header: BatchHeader }
  | {
      readonly ok: false;
      readonly errorCode: typeof ErrorCode.CORRUPT_MESSAGE | typeof ErrorCode.INVALID_RECORD;
      readonly reason: string;
    };

function corrupt(reason: string): BatchValidation {
  return { ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE, reason };
}

function invalid(reason: string): BatchValidation {
  return { ok: false, errorCode: ErrorCode.INVALID_RECORD, reason };
}

/**
 * Checks that `records` (the RECORDS field of one partition in a Produce request) holds exactly one
 * record batch v2 with a valid CRC-32C, and reads the header fields storage needs. Produce v3+ must
 * carry exactly one batch per partition (ProduceRequest.validateRecords in Apache Kafka).
 */
export function validateRecordBatch(records: Buffer): BatchValidation {
  if (records.length < RECORD_BATCH_HEADER_SIZE) {
    return corrupt(
      `record batch of ${records.length} byte(s) is shorter than the ${RECORD_BATCH_HEADER_SIZE}-byte header`,
    );
  }
  const batchLength = records.readInt32BE(BATCH_LENGTH_OFFSET);
  if (batchLength + LOG_OVERHEAD !== records.length) {
    if (
      batchLength + LOG_OVERHEAD < records.length &&
      batchLength >= RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD
    ) {
      return invalid(
        `expected exactly one record batch, got ${records.length} bytes after a batch of ${batchLength + LOG_OVERHEAD}`,
      );
    }
    return corrupt(
      `batch length ${batchLength} does not match the ${records.length - LOG_OVERHEAD} byte(s) received`,
    );
  }
  const magic = records.readInt8(MAGIC_OFFSET);
  if (magic !== 2) return invalid(`record batch magic ${magic} is not supported, expected 2`);
  const expectedCrc = records.readUInt32BE(CRC_OFFSET);
  const actualCrc = crc32c(records, ATTRIBUTES_OFFSET);
  if (expectedCrc !== actualCrc) {
    return corrupt(`record batch CRC-32C is ${actualCrc}, but the batch says ${expectedCrc}`);
  }
  const attributes = records.readInt16BE(ATTRIBUTES_OFFSET);
  const lastOffsetDelta = records.readInt32BE(23);
  const recordCount = records.readInt32BE(57);
  if (recordCount < 1 || lastOffsetDelta !== recordCount - 1) {
    return invalid(`record batch has ${recordCount} record(s) and last offset delta ${lastOffsetDelta}`);
  }
  return {
    ok: true,
    header: {
      lastOffsetDelta,
      recordCount,
      firstTimestamp: records.readBigInt64BE(27),
      maxTimestamp: records.readBigInt64BE(MAX_TIMESTAMP_OFFSET),
      producerId: records.readBigInt64BE(43),
      producerEpoch: records.readInt16BE(51),
      baseSequence: records.readInt32BE(53),
      isTransactional: (attributes & TRANSACTIONAL_FLAG) !== 0,
      isControl: (attributes & CONTROL_FLAG) !== 0,
    },
  };
}

/**
 * Why the records of a compressed batch cannot be read, or undefined when they can (or it is not
 * compressed). Kafka decompresses every compressed batch on Produce (LogValidator); a payload it cannot
 * read fails there with a KafkaException, which ReplicaManager answers as UNKNOWN_SERVER_ERROR. The CRC
 * is checked first, so this only catches a batch compressed wrongly before it was checksummed.
 */
export function unreadableRecordsProblem(batch: Buffer): string | undefined {
  const compression = batch.readInt16BE(ATTRIBUTES_OFFSET) & COMPRESSION_MASK;
  if (compression === 0) return undefined;
  try {
    decodeRecordBatch(batch);
    return undefined;
  } catch (error) {
    return `records compressed with codec ${compression} cannot be read: ${(error as Error).message}`;
  }
}

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface BatchRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: readonly RecordHeader[];
  /** Milliseconds since the epoch; defaults to the batch's base timestamp. */
  readonly timestamp?: bigint;
}

export interface RecordBatchInput {
  readonly records: readonly BatchRecord[];
  readonly baseOffset?: bigint;
  readonly baseTimestamp?: bigint;
  /** -1 (the default) for a non-idempotent producer. */
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  /** Attribute bit 4: the batch belongs to a transaction (KIP-98). */
  readonly transactional?: boolean;
  /** Attribute bit 5: the batch holds control records (transaction markers). */
  readonly control?: boolean;
}

function varintBytes(writer: Writer, value: Buffer | null): void {
  if (value === null) {
    writer.varint(-1);
    return;
  }
  writer.varint(value.length).raw(value);
}

/** Builds an uncompressed record batch v2 with a valid CRC (transaction markers, tests, benchmarks). */
export function encodeRecordBatch(input: RecordBatchInput): Buffer {
  const baseTimestamp = input.baseTimestamp ?? 0n;
  const body = new Writer();
  let maxTimestamp = baseTimestamp;
  input.records.forEach((record, index) => {
    const timestamp = record.timestamp ?? baseTimestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const fields = new Writer();
    fields
      .int8(0)
      .varlong(timestamp - baseTimestamp)
      .varint(index);
    varintBytes(fields, record.key);
    varintBytes(fields, record.value);
    const headers = record.headers ?? [];
    fields.varint(headers.length);
    for (const header of headers) {
      varintBytes(fields, Buffer.from(header.key));
      varintBytes(fields, header.value);
    }
    const encoded = fields.finish();
    body.varint(encoded.length).raw(encoded);
  });
  const records = body.finish();
  const batch = Buffer.alloc(RECORD_BATCH_HEADER_SIZE + records.length);
  batch.writeBigInt64BE(input.baseOffset ?? 0n, 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  batch.writeInt32BE(0, LEADER_EPOCH_OFFSET);
  batch.writeInt8(2, MAGIC_OFFSET);
  batch.writeInt16BE(
    (input.transactional ? TRANSACTIONAL_FLAG : 0) | (input.control ? CONTROL_FLAG : 0),
    ATTRIBUTES_OFFSET,
  );
  batch.writeInt32BE(input.records.length - 1, 23);
  batch.writeBigInt64BE(baseTimestamp, 27);
  batch.writeBigInt64BE(maxTimestamp, MAX_TIMESTAMP_OFFSET);
  batch.writeBigInt64BE(input.producerId ?? -1n, 43);
  batch.writeInt16BE(input.producerEpoch ?? -1, 51);
  batch.writeInt32BE(input.baseSequence ?? -1, 53);
  batch.writeInt32BE(input.records.length, 57);
  records.copy(batch, RECORD_BATCH_HEADER_SIZE);
  batch.writeUInt32BE(crc32c(batch, ATTRIBUTES_OFFSET), CRC_OFFSET);
  return batch;
}

export interface DecodedRecord {
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeader[];
}

function readVarintBytes(reader: Reader): Buffer | null {
  const size = reader.varint();
  if (size < 0) return null;
  const start = reader.offset;
  reader.offset += size;
  if (reader.offset > reader.buffer.length)
    throw new RangeError(`record field of ${size} bytes overruns the batch`);
  return reader.buffer.subarray(start, start + size);
}

/**
 * Reads the records of one batch, uncompressed or compressed with any of Kafka's codecs (ListOffsets by
 * timestamp, tests and tools); throws on a malformed batch.
 * In a LogAppendTime batch every record carries the batch's max timestamp (Kafka's DefaultRecordBatch).
 */
export function decodeRecordBatch(batch: Buffer): DecodedRecord[] {
  const attributes = batch.readInt16BE(ATTRIBUTES_OFFSET);
  const baseOffset = batch.readBigInt64BE(0);
  const baseTimestamp = batch.readBigInt64BE(27);
  const logAppendTime =
    (attributes & LOG_APPEND_TIME_FLAG) !== 0 ? batch.readBigInt64BE(MAX_TIMESTAMP_OFFSET) : undefined;
  const count = batch.readInt32BE(57);
  const reader = new Reader(
    decompressRecords(attributes & COMPRESSION_MASK, batch.subarray(RECORD_BATCH_HEADER_SIZE)),
    0,
  );
  const records: DecodedRecord[] = [];
  for (let i = 0; i < count; i++) {
    reader.varint();
    reader.int8();
    const timestamp = logAppendTime ?? baseTimestamp + reader.varlong();
    if (logAppendTime !== undefined) reader.varlong();
    const offset = baseOffset + BigInt(reader.varint());
    const key = readVarintBytes(reader);
    const value = readVarintBytes(reader);
    const headerCount = reader.varint();
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const headerKey = readVarintBytes(reader);
      headers.push({ key: headerKey?.toString('utf8') ?? '', value: readVarintBytes(reader) });
    }
    records.push({ offset, timestamp, key, value, headers });
  }
  return records;
}

/** Splits a record set (Fetch response RECORDS) into its batches, using each batch's length field. */
export function splitRecordBatches(recordSet: Buffer): Buffer[] {
  const batches: Buffer[] = [];
  let at = 0;
  while (at + LOG_OVERHEAD <= recordSet.length) {
    const end = at + LOG_OVERHEAD + recordSet.readInt32BE(at + BATCH_LENGTH_OFFSET);
    if (end > recordSet.length) break;
    batches.push(recordSet.subarray(at, end));
    at = end;
  }
  return batches;
}
