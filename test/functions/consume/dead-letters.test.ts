import { describe, expect, it } from 'vitest';
import {
  type DeadLetter,
  DeadLetterHeader,
  KafkaDeadLetterSink,
  toDeadLetterRecord,
} from '../../../functions/consume/dead-letters';
import { decodeKafkaEvent } from '../../../functions/consume/kafka-event';
import { appNames } from '../../../functions/shared/app-names';
import type { OutgoingRecord } from '../../../functions/shared/producer-session';
import { mskEvent, mskRecord, partitionName, type RecordSpec, topic } from './support';

function letter(spec: RecordSpec, reason: DeadLetter['anomaly']['reason'] = 'MALFORMED'): DeadLetter {
  const record = decodeKafkaEvent(mskEvent([mskRecord(spec)]))[0]?.records[0];
  if (!record) throw new Error('no record');
  return { record, anomaly: { reason, detail: `${partitionName(0)}@${spec.offset}: something is wrong` } };
}

/** Records what a producer was asked to publish (the sink's only collaborator). */
class RecordingPublisher {
  readonly calls: { topic: string; records: readonly OutgoingRecord[] }[] = [];
  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<unknown> {
    this.calls.push({ topic, records });
    return [];
  }
}

describe('toDeadLetterRecord', () => {
  it('keeps the key, value and headers and adds the reason, detail, id and source coordinates', () => {
    const record = toDeadLetterRecord(
      letter({
        offset: 17,
        key: 'acct-1',
        value: '{"eventId":',
        headers: { 'event-id': 'pay-9', 'producer-session': 's-1', 'partition-sequence': '4', trace: 'abc' },
      }),
    );
    expect(record.key).toBe('acct-1');
    expect(record.value.toString()).toBe('{"eventId":');
    expect(record.eventId).toBe('pay-9');
    expect(record.headers).toMatchObject({
      trace: Buffer.from('abc'),
      [DeadLetterHeader.reason]: 'MALFORMED',
      [DeadLetterHeader.detail]: `${partitionName(0)}@17: something is wrong`,
      [DeadLetterHeader.id]: `${partitionName(0)}@17/MALFORMED`,
      [DeadLetterHeader.sourceTopic]: topic,
      [DeadLetterHeader.sourcePartition]: '0',
      [DeadLetterHeader.sourceOffset]: '17',
      [DeadLetterHeader.sourceProducerSession]: Buffer.from('s-1'),
      [DeadLetterHeader.sourcePartitionSequence]: Buffer.from('4'),
    });
  });

  it('keys a record without a key or event id by its coordinates, and an empty value stays empty', () => {
    const record = toDeadLetterRecord(letter({ offset: 3 }));
    expect([record.key, record.eventId, record.value.length]).toEqual([
      `${partitionName(0)}@3/MALFORMED`,
      `${partitionName(0)}@3/MALFORMED`,
      0,
    ]);
  });

  it('carries a key that is not UTF-8 as base64 and says so', () => {
    const record = toDeadLetterRecord(letter({ offset: 3, key: Buffer.from([0xff, 0x00, 0xfe]) }));
    expect(record.key).toBe(Buffer.from([0xff, 0x00, 0xfe]).toString('base64'));
    expect(record.headers?.[DeadLetterHeader.sourceKeyBase64]).toBe('true');
  });
});

describe('KafkaDeadLetterSink', () => {
  it('publishes nothing for no letters, and everything in order to its topic', async () => {
    const producer = new RecordingPublisher();
    const sink = new KafkaDeadLetterSink(producer, appNames().deadLetterTopic);
    await sink.publish([]);
    expect(producer.calls).toEqual([]);

    await sink.publish([letter({ offset: 1 }), letter({ offset: 2 }, 'DUPLICATE')]);
    expect(producer.calls.map((call) => call.topic)).toEqual([appNames().deadLetterTopic]);
    expect(producer.calls[0]?.records.map((r) => r.headers?.[DeadLetterHeader.id])).toEqual([
      `${partitionName(0)}@1/MALFORMED`,
      `${partitionName(0)}@2/DUPLICATE`,
    ]);
  });

  it('splits large letters over several publishes, in order, so no request outgrows the broker limit', async () => {
    const producer = new RecordingPublisher();
    const sink = new KafkaDeadLetterSink(producer, 'dlq', 1_000);
    const big = 'x'.repeat(600);
    await sink.publish([1, 2, 3, 4].map((offset) => letter({ offset, value: big })));
    expect(
      producer.calls.map((call) => call.records.map((r) => r.headers?.[DeadLetterHeader.sourceOffset])),
    ).toEqual([['1'], ['2'], ['3'], ['4']]);
  });
});
