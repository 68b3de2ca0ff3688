import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { LOCAL_CLUSTER_ARN, toMskEvent, toPendingRecord, toSignedBytes } from '../../../local/event-source';

function message(offset: string, fields: Partial<KafkaMessage> = {}): KafkaMessage {
  return {
    key: Buffer.from('acct-1'),
    value: Buffer.from('{"value":1}'),
    timestamp: '1545084650987',
    attributes: 0,
    offset,
    headers: {},
    ...fields,
  } as KafkaMessage;
}

describe('MSK event shape', () => {
  it('writes header values as signed bytes, as in the AWS example', () => {
    // "heë" in UTF-8 is 68 65 C3 AB: the two high bytes become negative Java bytes.
    expect(toSignedBytes(Buffer.from('heë'))).toEqual([104, 101, -61, -85]);
  });

  it('turns a record into the event source mapping shape: base64 key and value, header list', () => {
    // Act
    const { record, offset } = toPendingRecord(
      'payments',
      2,
      message('15', {
        headers: { 'event-id': Buffer.from('evt-1'), trace: [Buffer.from('a'), Buffer.from('b')] },
      }),
    );

    // Assess
    expect(offset).toBe(15n);
    expect(record).toEqual({
      topic: 'payments',
      partition: 2,
      offset: 15,
      timestamp: 1545084650987,
      timestampType: 'CREATE_TIME',
      key: Buffer.from('acct-1').toString('base64'),
      value: Buffer.from('{"value":1}').toString('base64'),
      headers: [{ 'event-id': [...Buffer.from('evt-1')] }, { trace: [97] }, { trace: [98] }],
    });
  });

  it('leaves out a null key and reports log-append time when the batch says so', () => {
    const logAppend = Object.assign(message('3', { key: null }), { batchContext: { timestampType: 1 } });
    const { record } = toPendingRecord('payments', 0, logAppend);
    expect(record).not.toHaveProperty('key');
    expect(record.timestampType).toBe('LOG_APPEND_TIME');
  });

  it('groups records by "<topic>-<partition>" keeping their order', () => {
    // Prepare
    const records = [
      toPendingRecord('payments', 1, message('7')),
      toPendingRecord('payments', 0, message('4')),
      toPendingRecord('payments', 1, message('8')),
    ];

    // Act
    const event = toMskEvent(records, {
      eventSourceArn: LOCAL_CLUSTER_ARN,
      bootstrapServers: ['127.0.0.1:9092'],
    });

    // Assess
    expect(event.eventSource).toBe('aws:kafka');
    expect(event.eventSourceArn).toMatch(/^arn:aws:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/);
    expect(event.bootstrapServers).toBe('127.0.0.1:9092');
    expect(Object.keys(event.records)).toEqual(['payments-1', 'payments-0']);
    expect(event.records['payments-1']?.map((r) => r.offset)).toEqual([7, 8]);
  });
});
