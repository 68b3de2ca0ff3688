import { type OutgoingRecord, recordBytes } from '../shared/producer-session';
import { RecordHeader } from '../shared/record-headers';
import type { Anomaly } from './anomaly';
import type { SourceRecord } from './kafka-event';

/** Headers added to every dead letter, next to the source record's own headers. */
export const DeadLetterHeader = {
  reason: 'x-dlq-reason',
  detail: 'x-dlq-detail',
  /**
   * `<topic>-<partition>@<offset>` of the source record. A dead letter published and then lost by a failed
   * ledger write is published again when the batch is redelivered; both copies carry the same id, so a
   * reader of the dead-letter topic keeps the first copy per id. The ledger records each id once.
   */
  id: 'x-dlq-id',
  sourceTopic: 'x-source-topic',
  sourcePartition: 'x-source-partition',
  sourceOffset: 'x-source-offset',
  /** The source's producer-session and partition-sequence (the dead-letter producer writes its own). */
  sourceProducerSession: 'x-source-producer-session',
  sourcePartitionSequence: 'x-source-partition-sequence',
  /** Present when the source key was not UTF-8 and the dead letter's key is its base64 form. */
  sourceKeyBase64: 'x-source-key-base64',
} as const;

export interface DeadLetter {
  readonly record: SourceRecord;
  readonly anomaly: Anomaly;
}

/**
 * Where anomalies go. `publish` resolves only once every letter is durably stored (acks = all); when it
 * rejects, none of them may be assumed stored, so the caller acknowledges nothing from the first one on.
 */
export interface DeadLetterSink {
  publish(letters: readonly DeadLetter[]): Promise<void>;
}

/** What the sink needs from a producer: WarmProducer from functions/shared fits. */
export interface RecordPublisher {
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<unknown>;
}

/**
 * Bytes of dead letters sent in one publish. A batch may carry megabytes (the event source mapping allows
 * 6 MB), while a broker takes record batches up to message.max.bytes (1 MB by default in Apache Kafka and MSK).
 */
const DEFAULT_MAX_PUBLISH_BYTES = 512 * 1024;

/** Dead letters on a Kafka topic, through the execution environment's warm idempotent producer. */
export class KafkaDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly producer: RecordPublisher,
    readonly topic: string,
    private readonly maxPublishBytes = DEFAULT_MAX_PUBLISH_BYTES,
  ) {}

  /** In order, in publishes of at most maxPublishBytes (a larger letter goes alone). */
  async publish(letters: readonly DeadLetter[]): Promise<void> {
    let chunk: OutgoingRecord[] = [];
    let bytes = 0;
    for (const record of letters.map(toDeadLetterRecord)) {
      const size = recordBytes(record);
      if (chunk.length > 0 && bytes + size > this.maxPublishBytes) {
        await this.producer.publish(this.topic, chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(record);
      bytes += size;
    }
    if (chunk.length > 0) await this.producer.publish(this.topic, chunk);
  }
}

export function deadLetterId(record: Pick<SourceRecord, 'topic' | 'partition' | 'offset'>): string {
  return `${record.topic}-${record.partition}@${record.offset}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The source record as a dead letter: same key, value and headers, plus the x-dlq-* and x-source-* headers.
 * The producer writes its own event-id (the source's event id, else the dead-letter id), producer-session and
 * partition-sequence, so the source's session and sequence travel as x-source-* headers.
 */
export function toDeadLetterRecord(letter: DeadLetter): OutgoingRecord {
  const { record, anomaly } = letter;
  const id = deadLetterId(record);
  const headers: Record<string, string | Buffer> = {};
  for (const header of record.headers) headers[header.name] ??= header.value;
  const sourceSession = headers[RecordHeader.producerSession];
  const sourceSequence = headers[RecordHeader.partitionSequence];
  const sourceEventId = headers[RecordHeader.eventId]?.toString();
  if (sourceSession !== undefined) headers[DeadLetterHeader.sourceProducerSession] = sourceSession;
  if (sourceSequence !== undefined) headers[DeadLetterHeader.sourcePartitionSequence] = sourceSequence;

  let key = id;
  if (record.key !== undefined) {
    try {
      key = utf8.decode(record.key);
    } catch {
      key = record.key.toString('base64');
      headers[DeadLetterHeader.sourceKeyBase64] = 'true';
    }
  }
  Object.assign(headers, {
    [DeadLetterHeader.reason]: anomaly.reason,
    [DeadLetterHeader.detail]: anomaly.detail,
    [DeadLetterHeader.id]: id,
    [DeadLetterHeader.sourceTopic]: record.topic,
    [DeadLetterHeader.sourcePartition]: String(record.partition),
    [DeadLetterHeader.sourceOffset]: String(record.offset),
  });
  return {
    eventId: sourceEventId || id,
    key,
    value: record.value ?? Buffer.alloc(0),
    headers,
  };
}
