import type { MSKEvent, MSKRecord, MSKRecordHeader } from 'aws-lambda';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { LOCAL_ACCOUNT_ID } from '../lambda-runtime';

/** A cluster ARN of the right shape, so handlers that parse eventSourceArn work locally too. */
export const LOCAL_CLUSTER_ARN = `arn:aws:kafka:us-east-1:${LOCAL_ACCOUNT_ID}:cluster/local/00000000-0000-0000-0000-000000000000-1`;

/** One topic record as the MSK event source mapping hands it to Lambda, plus its size in the event. */
export interface PendingRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly record: MSKRecord;
  /** Bytes this record adds to the event's JSON (the 6 MB invocation payload counts them). */
  readonly size: number;
}

/** kafkajs TimestampTypes.LOG_APPEND_TIME; the batch attributes bit 3 (Kafka record batch v2). */
const LOG_APPEND_TIME = 1;

/** Bytes as Java's signed `byte` values, the way the event source mapping serialises header values. */
export function toSignedBytes(bytes: Buffer): number[] {
  return Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length));
}

function toHeaderList(headers: IHeaders | undefined): MSKRecordHeader[] {
  const list: MSKRecordHeader[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    // kafkajs gathers repeated header names into an array; the event keeps one entry per header.
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one === undefined) continue;
      list.push({ [name]: toSignedBytes(Buffer.isBuffer(one) ? one : Buffer.from(one)) });
    }
  }
  return list;
}

/**
 * Shapes one Kafka record like the MSK event source mapping: base64 key and value (a null key is left
 * out), headers as a list of { name: signed bytes }, timestamp as a number.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html (event example)
 */
export function toPendingRecord(topic: string, partition: number, message: KafkaMessage): PendingRecord {
  const context = (message as { batchContext?: { timestampType?: number } }).batchContext;
  const record = {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType: context?.timestampType === LOG_APPEND_TIME ? 'LOG_APPEND_TIME' : 'CREATE_TIME',
    ...(message.key === null ? {} : { key: message.key.toString('base64') }),
    value: (message.value ?? Buffer.alloc(0)).toString('base64'),
    headers: toHeaderList(message.headers),
  } as MSKRecord;
  return {
    topic,
    partition,
    offset: BigInt(message.offset),
    record,
    size: JSON.stringify(record).length + 1,
  };
}

/** The key of a partition's records in the event: "<topic>-<partition>". */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export interface EventSourceIdentity {
  readonly eventSourceArn: string;
  readonly bootstrapServers: readonly string[];
}

/** Builds the event for one invocation; records keep their order within each partition. */
export function toMskEvent(records: readonly PendingRecord[], identity: EventSourceIdentity): MSKEvent {
  const grouped: Record<string, MSKRecord[]> = {};
  for (const pending of records) {
    const key = partitionKey(pending.topic, pending.partition);
    grouped[key] ??= [];
    grouped[key].push(pending.record);
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: identity.eventSourceArn,
    bootstrapServers: identity.bootstrapServers.join(','),
    records: grouped,
  };
}
