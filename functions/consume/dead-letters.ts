import { isUsableEventId } from '../ledger/keys';
import { type OutgoingRecord, recordBytes } from '../shared/producer-session';
import { RecordHeader } from '../shared/record-headers';
import { type Anomaly, clipBytes, clipText, MAX_DETAIL_BYTES } from './anomaly';
import type { SourceRecord } from './kafka-event';

/** Headers added to every dead letter, next to the source record's own headers. */
export const DeadLetterHeader = {
  reason: 'x-dlq-reason',
  detail: 'x-dlq-detail',
  /**
   * `<topic>-<partition>@<offset>/<reason>`: one id, one reason, forever. A letter is published only after
   * the ledger step that records it commits; if the function stops between the two, the redelivery sends it
   * again with the same id and content, so a reader of the dead-letter topic keeps one copy per id.
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
  /**
   * Present when the source value did not fit the dead-letter topic's message size: the letter's value is
   * then a clipped preview, and this header gives the source value's size in bytes.
   */
  sourceValueBytes: 'x-source-value-bytes',
} as const;

/**
 * The dead-letter topic's largest record: Apache Kafka's and MSK's message.max.bytes default is 1,048,588
 * bytes for a whole record batch; this leaves room for the batch and record framing.
 */
export const DEFAULT_MAX_LETTER_BYTES = 1_000_000;

export interface DeadLetterLimits {
  /** The most bytes (key, value, headers) one letter may take. @default DEFAULT_MAX_LETTER_BYTES */
  readonly maxMessageBytes?: number;
}

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
    private readonly limits: DeadLetterLimits = {},
  ) {}

  /** In order, in publishes of at most maxPublishBytes (a larger letter goes alone). */
  async publish(letters: readonly DeadLetter[]): Promise<void> {
    let chunk: OutgoingRecord[] = [];
    let bytes = 0;
    for (const record of letters.map((letter) => toDeadLetterRecord(letter, this.limits))) {
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

export function deadLetterId(
  record: Pick<SourceRecord, 'topic' | 'partition' | 'offset'>,
  reason: Anomaly['reason'],
): string {
  return `${record.topic}-${record.partition}@${record.offset}/${reason}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The source record as a dead letter: same key, value and headers, plus the x-dlq-* and x-source-* headers.
 * The producer writes its own event-id (the source's event id, else the dead-letter id), producer-session and
 * partition-sequence, so the source's session and sequence travel as x-source-* headers.
 * Bounded: every header and the key at most MAX_DETAIL_BYTES (clipped visibly), and the whole letter at most
 * `maxMessageBytes`; a value that does not fit becomes a clipped preview and x-source-value-bytes its size.
 */
export function toDeadLetterRecord(letter: DeadLetter, limits: DeadLetterLimits = {}): OutgoingRecord {
  const { record, anomaly } = letter;
  const maxMessageBytes = limits.maxMessageBytes ?? DEFAULT_MAX_LETTER_BYTES;
  const id = deadLetterId(record, anomaly.reason);
  const headers: Record<string, string | Buffer> = {};
  for (const header of record.headers) headers[header.name] ??= clipBytes(header.value, MAX_DETAIL_BYTES);
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
    key = clipText(key, MAX_DETAIL_BYTES);
  }
  Object.assign(headers, {
    [DeadLetterHeader.reason]: anomaly.reason,
    [DeadLetterHeader.detail]: clipText(anomaly.detail, MAX_DETAIL_BYTES),
    [DeadLetterHeader.id]: id,
    [DeadLetterHeader.sourceTopic]: record.topic,
    [DeadLetterHeader.sourcePartition]: String(record.partition),
    [DeadLetterHeader.sourceOffset]: String(record.offset),
  });
  const letterRecord: OutgoingRecord = {
    eventId: isUsableEventId(sourceEventId) ? sourceEventId : id,
    key,
    value: record.value ?? Buffer.alloc(0),
    headers,
  };
  if (recordBytes(letterRecord) <= maxMessageBytes) return letterRecord;
  const value = letterRecord.value as Buffer;
  return {
    ...letterRecord,
    value: clipBytes(value, MAX_DETAIL_BYTES),
    headers: { ...headers, [DeadLetterHeader.sourceValueBytes]: String(value.length) },
  };
}
