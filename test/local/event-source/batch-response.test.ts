import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { readBatchResponse, toPendingRecord } from '../../../local/event-source';

const batch = [
  ...[10, 11, 12].map((offset) => toPendingRecord('payments', 0, messageAt(offset))),
  ...[20, 21].map((offset) => toPendingRecord('payments', 1, messageAt(offset))),
];

function messageAt(offset: number): KafkaMessage {
  return {
    key: null,
    value: Buffer.from('x'),
    timestamp: '0',
    attributes: 0,
    offset: String(offset),
    headers: {},
  };
}

describe('readBatchResponse', () => {
  it('treats no answer, an empty object and an empty or null list as complete success', () => {
    for (const response of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      expect(readBatchResponse(response, batch)).toEqual({ kind: 'success' });
    }
  });

  it('keeps the lowest failed offset per partition', () => {
    const outcome = readBatchResponse(
      {
        batchItemFailures: [
          { itemIdentifier: { partition: 'payments-0', offset: 12 } },
          { itemIdentifier: { partition: 'payments-0', offset: 11 } },
          { itemIdentifier: { partition: 'payments-1', offset: '21' } },
        ],
      },
      batch,
    );
    expect(outcome).toEqual({
      kind: 'partial',
      firstFailed: new Map([
        ['payments-0', 11n],
        ['payments-1', 21n],
      ]),
    });
  });

  it('accepts a bare partition number for a one-topic batch and the "<topic>-<partition>-<offset>" string', () => {
    const outcome = readBatchResponse(
      {
        batchItemFailures: [
          { itemIdentifier: { partition: 1, offset: 20 } },
          { itemIdentifier: 'payments-0-10' },
        ],
      },
      batch,
    );
    expect(outcome.kind === 'partial' && [...outcome.firstFailed]).toEqual([
      ['payments-1', 20n],
      ['payments-0', 10n],
    ]);
  });

  it('fails the whole batch for identifiers that are empty, malformed or outside the batch', () => {
    for (const itemIdentifier of [
      null,
      '',
      { partition: 'payments-0' },
      { partition: 'payments-0', offset: 99 },
    ]) {
      const outcome = readBatchResponse({ batchItemFailures: [{ itemIdentifier }] }, batch);
      expect(outcome.kind).toBe('failed');
    }
    expect(readBatchResponse('ok', batch).kind).toBe('failed');
  });
});
