import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { eventDefinition } from '../../functions/event/definition';
import { appNames } from '../../functions/shared/app-names';
import type { EventDefinition } from '../../functions/shared/event-definition';
import { RecordHeader } from '../../functions/shared/record-headers';

/** Builders for MSK event-source batches shaped exactly like the ones Lambda delivers. */

export interface RecordSpec {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset: number;
  readonly key?: string | Buffer | null;
  readonly value?: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  readonly timestamp?: number;
}

/** Header values as the event source mapping sends them: arrays of signed bytes (Java `byte`). */
export function signedBytes(value: string | Buffer): number[] {
  return [...(typeof value === 'string' ? Buffer.from(value, 'utf8') : value)].map((b) =>
    b > 127 ? b - 256 : b,
  );
}

export function mskRecord(spec: RecordSpec): MSKRecord {
  const encode = (data: string | Buffer) =>
    (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
  const record: Record<string, unknown> = {
    topic: spec.topic ?? appNames().topic,
    partition: spec.partition ?? 0,
    offset: spec.offset,
    timestamp: spec.timestamp ?? 1_767_225_600_000 + spec.offset,
    timestampType: 'CREATE_TIME',
  };
  // A null key or value is left out of the record, as the event source mapping does.
  if (spec.key !== undefined && spec.key !== null) record.key = encode(spec.key);
  if (spec.value !== undefined && spec.value !== null) record.value = encode(spec.value);
  record.headers = Object.entries(spec.headers ?? {}).map(([name, value]) => ({
    [name]: signedBytes(value),
  }));
  return record as unknown as MSKRecord;
}

/** An MSK batch; `selfManaged` shapes it as a self-managed Kafka event source sends it (no cluster ARN). */
export function mskEvent(records: readonly MSKRecord[], options: { selfManaged?: boolean } = {}): MSKEvent {
  const grouped: Record<string, MSKRecord[]> = {};
  for (const record of records) {
    const name = `${record.topic}-${record.partition}`;
    grouped[name] = [...(grouped[name] ?? []), record];
  }
  if (options.selfManaged) {
    return {
      eventSource: 'SelfManagedKafka',
      bootstrapServers: 'kafka-1.example.internal:9092,kafka-2.example.internal:9092',
      records: grouped,
    } as unknown as MSKEvent;
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn:
      'arn:aws:kafka:eu-west-1:123456789012:cluster/events/11111111-2222-3333-4444-555555555555-1',
    bootstrapServers: 'b-1.events.abc123.c2.kafka.eu-west-1.amazonaws.com:9098',
    records: grouped,
  };
}

/** Where a record sits and which producer session and sequence its headers carry. */
export interface RecordPlacement {
  readonly session: string;
  readonly sequence: number;
  readonly offset: number;
  readonly topic?: string;
  readonly partition?: number;
}

/**
 * A record as the ingest function writes it for an event of `definition`: keyed by its ordering key, the
 * event as JSON, and the three headers. `value` replaces the JSON (a record the consumer must refuse).
 */
export function eventRecord<E extends object>(
  definition: EventDefinition<E>,
  event: E,
  placement: RecordPlacement & { readonly value?: string },
): MSKRecord {
  return mskRecord({
    topic: placement.topic ?? appNames().topic,
    partition: placement.partition,
    offset: placement.offset,
    key: definition.orderingKey(event),
    value: placement.value ?? JSON.stringify(event),
    headers: {
      [RecordHeader.eventId]: definition.eventId(event),
      [RecordHeader.producerSession]: placement.session,
      [RecordHeader.partitionSequence]: String(placement.sequence),
    },
  });
}

const SESSION = '0b6c1e52-8d4f-4b7a-9a57-3f1f4f0a9e11';
const sample = (id: string, group: number) => eventDefinition.sample(id, group);

/**
 * A batch of valid records on two partitions, as the event source mapping delivers it; the first record
 * carries an extra header with a non-ASCII value (sent as Java signed bytes).
 */
export function validBatch(): MSKEvent {
  return mskEvent(
    [
      eventRecord(eventDefinition, sample('pay-1001', 7), { session: SESSION, sequence: 0, offset: 15 }),
      eventRecord(eventDefinition, sample('pay-1002', 7), { session: SESSION, sequence: 1, offset: 16 }),
      eventRecord(eventDefinition, sample('pay-2001', 9), {
        session: SESSION,
        sequence: 0,
        offset: 3,
        partition: 1,
      }),
    ].map((record, index) => (index === 0 ? withHeader(record, 'origin', 'caisse-é') : record)),
  );
}

/**
 * One partition with one record of each anomaly: 40 applied, 41 its DUPLICATE, 42 after a GAP (sequences
 * 2-4 missing), 43 OUT_OF_ORDER, 44 MALFORMED (not JSON), 45 INVALID (only an id: the schema refuses it),
 * 46 applied.
 */
export function anomalyBatch(): MSKEvent {
  const place = (offset: number, sequence: number) => ({ session: SESSION, sequence, offset });
  const { idField } = eventDefinition;
  return mskEvent([
    eventRecord(eventDefinition, sample('pay-4001', 4), place(40, 0)),
    eventRecord(eventDefinition, sample('pay-4001', 4), place(41, 1)),
    eventRecord(eventDefinition, sample('pay-4003', 4), place(42, 5)),
    eventRecord(eventDefinition, sample('pay-4004', 4), place(43, 3)),
    eventRecord(eventDefinition, sample('pay-4005', 4), { ...place(44, 6), value: 'not json at all' }),
    eventRecord(eventDefinition, sample('pay-4006', 4), {
      ...place(45, 7),
      value: JSON.stringify({ [idField]: 'pay-4006' }),
    }),
    eventRecord(eventDefinition, sample('pay-4007', 4), place(46, 8)),
  ]);
}

/** One valid record from a self-managed Kafka event source. */
export function selfManagedBatch(): MSKEvent {
  return mskEvent(
    [eventRecord(eventDefinition, sample('pay-3001', 1), { session: SESSION, sequence: 0, offset: 0 })],
    { selfManaged: true },
  );
}

function withHeader(record: MSKRecord, name: string, value: string): MSKRecord {
  return { ...record, headers: [...record.headers, { [name]: signedBytes(value) }] };
}
