import { describe, expect, it } from 'vitest';
import { KafkaEventError } from '../../../functions/consume/errors';
import { decodeKafkaEvent } from '../../../functions/consume/kafka-event';
import { eventDefinition } from '../../../functions/event/definition';
import { selfManagedBatch, validBatch } from '../../helpers/msk-events';
import { mskEvent, mskRecord, partitionName, topic } from './support';

describe('decodeKafkaEvent', () => {
  it('decodes an MSK batch: partitions by group, base64 key and value, signed-byte headers', () => {
    const partitions = decodeKafkaEvent(validBatch());

    expect(partitions.map((p) => [p.name, p.topic, p.partition, p.records.length])).toEqual([
      [partitionName(0), topic, 0, 2],
      [partitionName(1), topic, 1, 1],
    ]);
    const first = partitions[0]?.records[0];
    expect(first?.offset).toBe(15);
    expect(first?.key?.toString()).toBe(eventDefinition.orderingKey(eventDefinition.sample('pay-1001', 7)));
    expect(first?.value).toEqual(Buffer.from(JSON.stringify(eventDefinition.sample('pay-1001', 7))));
    // [..., -61, -87] are the two bytes of "é" in UTF-8 (0xc3 0xa9) sent as Java signed bytes.
    const origin = first?.headers.find((h) => h.name === 'origin');
    expect(origin?.value).toEqual(Buffer.from([0x63, 0x61, 0x69, 0x73, 0x73, 0x65, 0x2d, 0xc3, 0xa9]));
    expect(origin?.value.toString('utf8')).toBe('caisse-é');
    expect(first?.headers.map((h) => h.name)).toEqual([
      'event-id',
      'producer-session',
      'partition-sequence',
      'origin',
    ]);
  });

  it('accepts self-managed Kafka batches', () => {
    const [partition] = decodeKafkaEvent(selfManagedBatch());
    expect(partition?.records[0]?.key?.toString()).toBe(
      eventDefinition.orderingKey(eventDefinition.sample('pay-3001', 1)),
    );
  });

  it('leaves a null key or value undefined and orders records by offset', () => {
    const [partition] = decodeKafkaEvent(
      mskEvent([mskRecord({ offset: 9 }), mskRecord({ offset: 4, key: 'k' })]),
    );
    expect(partition?.records.map((r) => [r.offset, r.key?.toString(), r.value])).toEqual([
      [4, 'k', undefined],
      [9, undefined, undefined],
    ]);
  });

  it('rejects events that are not Kafka batches, naming what is wrong', () => {
    expect(() => decodeKafkaEvent({ eventSource: 'aws:sqs', records: {} })).toThrow(KafkaEventError);
    expect(() => decodeKafkaEvent({ eventSource: 'aws:sqs', records: {} })).toThrow(/eventSource/);
    expect(() => decodeKafkaEvent({ ...mskEvent([]), records: { [partitionName(0)]: [{ topic }] } })).toThrow(
      `records.${partitionName(0)}.0.partition`,
    );
  });

  it('rejects a record grouped under another partition', () => {
    const event = mskEvent([mskRecord({ offset: 1, partition: 2 })]);
    const moved = { ...event, records: { [partitionName(0)]: event.records[partitionName(2)] } };
    expect(() => decodeKafkaEvent(moved)).toThrow(
      `${partitionName(2)}@1 is grouped under "${partitionName(0)}"`,
    );
  });
});
