import { isJsonObject } from '../shared/json-object';
import { KafkaEventError } from './errors';

/**
 * Decoding of the batch an event source mapping delivers for Amazon MSK (`aws:kafka`) or self-managed Kafka
 * (`SelfManagedKafka`). Shape from the AWS Lambda developer guide ("Using Lambda with Amazon MSK", "Using
 * Lambda with self-managed Apache Kafka"): records grouped by `<topic>-<partition>`, key and value in base64,
 * each header an object with one name whose value is an array of signed bytes.
 */

export interface SourceHeader {
  readonly name: string;
  readonly value: Buffer;
}

export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | undefined;
  readonly value: Buffer | undefined;
  readonly headers: readonly SourceHeader[];
}

export interface SourcePartition {
  readonly topic: string;
  readonly partition: number;
  /** `<topic>-<partition>`: the group name in the event and in `batchItemFailures`. */
  readonly name: string;
  /** In offset order. */
  readonly records: readonly SourceRecord[];
}

/** `aws:kafka` for MSK; self-managed Kafka events say `SelfManagedKafka` (older documents: `aws:SelfManagedKafka`). */
export const KAFKA_EVENT_SOURCES = ['aws:kafka', 'SelfManagedKafka', 'aws:SelfManagedKafka'] as const;

/**
 * Checked by hand rather than with a schema library: a batch holds up to 10,000 records whose headers are
 * arrays of numbers, and checking each byte through a generic validator costs more than the rest of decoding.
 */
export function decodeKafkaEvent(event: unknown): SourcePartition[] {
  if (!isJsonObject(event)) throw invalid('event', `is ${typeof event}, not an object`);
  const source = event.eventSource;
  if (!KAFKA_EVENT_SOURCES.includes(source as (typeof KAFKA_EVENT_SOURCES)[number])) {
    throw invalid('eventSource', `is ${JSON.stringify(source)}`);
  }
  if (!isJsonObject(event.records)) throw invalid('records', 'is not an object of record groups');
  return Object.entries(event.records).map(([name, group]) => {
    if (!Array.isArray(group)) throw invalid(`records.${name}`, 'is not an array');
    const records = group.map((raw, index) => decodeRecord(raw, `records.${name}.${index}`));
    for (const record of records) {
      if (`${record.topic}-${record.partition}` !== name) {
        throw new KafkaEventError(
          `record ${record.topic}-${record.partition}@${record.offset} is grouped under "${name}"; each group must hold one partition's records`,
        );
      }
    }
    const split = name.lastIndexOf('-');
    return {
      topic: records[0]?.topic ?? name.slice(0, split),
      partition: records[0]?.partition ?? Number(name.slice(split + 1)),
      name,
      records: records.sort((a, b) => a.offset - b.offset),
    };
  });
}

function decodeRecord(raw: unknown, path: string): SourceRecord {
  if (!isJsonObject(raw)) throw invalid(path, 'is not a record object');
  const { topic, partition, offset, timestamp, key, value, headers } = raw;
  if (typeof topic !== 'string' || topic === '') throw invalid(`${path}.topic`, 'is not a topic name');
  if (!isCount(partition))
    throw invalid(`${path}.partition`, `is ${JSON.stringify(partition)}, not an integer >= 0`);
  if (!isCount(offset)) throw invalid(`${path}.offset`, `is ${JSON.stringify(offset)}, not an integer >= 0`);
  if (typeof timestamp !== 'number') throw invalid(`${path}.timestamp`, 'is not a number');
  return {
    topic,
    partition,
    offset,
    timestamp,
    key: fromBase64(key, `${path}.key`),
    value: fromBase64(value, `${path}.value`),
    headers: decodeHeaders(headers, `${path}.headers`),
  };
}

function decodeHeaders(raw: unknown, path: string): SourceHeader[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalid(path, 'is not an array');
  const headers: SourceHeader[] = [];
  raw.forEach((header: unknown, index) => {
    if (!isJsonObject(header)) throw invalid(`${path}.${index}`, 'is not an object');
    for (const [name, bytes] of Object.entries(header)) {
      if (!Array.isArray(bytes) || !bytes.every(isByte)) {
        throw invalid(`${path}.${index}.${name}`, 'is not an array of bytes (-128 to 255)');
      }
      // Buffer.from keeps the low 8 bits of each number, turning signed bytes (-61) into 0xc3.
      headers.push({ name, value: Buffer.from(bytes) });
    }
  });
  return headers;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isByte(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= -128 && value <= 255;
}

function invalid(where: string, problem: string): KafkaEventError {
  return new KafkaEventError(
    `not a Kafka event-source batch: ${where} ${problem} (expected eventSource ${KAFKA_EVENT_SOURCES.join(' or ')} and records grouped by "<topic>-<partition>")`,
  );
}

function fromBase64(text: unknown, path: string): Buffer | undefined {
  if (text === null || text === undefined) return undefined;
  if (typeof text !== 'string') throw invalid(path, 'is not a base64 string');
  return Buffer.from(text, 'base64');
}
