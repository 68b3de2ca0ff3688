import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BatchAssembler, toPendingRecord } from '../../../local/event-source';

function records(partition: number, from: number, count: number, valueBytes = 1) {
  return Array.from({ length: count }, (_, i) =>
    toPendingRecord('payments', partition, {
      key: null,
      value: Buffer.alloc(valueBytes, 1),
      timestamp: '0',
      attributes: 0,
      offset: String(from + i),
      headers: {},
    } as KafkaMessage),
  );
}

const offsets = (next: ReturnType<BatchAssembler['next']>) =>
  next.kind === 'batch' ? next.records.map((r) => `${r.partition}:${r.offset}`) : next;

describe('BatchAssembler', () => {
  it('waits for the batching window when fewer than batchSize records are waiting', () => {
    const assembler = new BatchAssembler({ batchSize: 10, batchingWindowMs: 500, maxPayloadBytes: 1e6 });
    assembler.add(records(0, 0, 3), 1_000);

    expect(assembler.next(1_200)).toEqual({ kind: 'wait', wakeAt: 1_500 });
    expect(offsets(assembler.next(1_500))).toEqual(['0:0', '0:1', '0:2']);
    expect(assembler.size).toBe(0);
  });

  it('invokes as soon as batchSize records are waiting, taking partitions in turn', () => {
    const assembler = new BatchAssembler({ batchSize: 4, batchingWindowMs: 500, maxPayloadBytes: 1e6 });
    assembler.add(records(0, 0, 3), 1_000);
    assembler.add(records(1, 50, 3), 1_000);

    expect(offsets(assembler.next(1_000))).toEqual(['0:0', '1:50', '0:1', '1:51']);
    expect(assembler.size).toBe(2);
  });

  it('stops a batch before the payload quota but always takes at least one record', () => {
    const assembler = new BatchAssembler({ batchSize: 100, batchingWindowMs: 0, maxPayloadBytes: 4_000 });
    assembler.add(records(0, 0, 3, 1_500), 0);

    expect(offsets(assembler.next(0))).toEqual(['0:0']);
    expect(assembler.size).toBe(2);
  });

  it('keeps a held partition out until its backoff ends, and drop forgets its records', () => {
    const assembler = new BatchAssembler({ batchSize: 2, batchingWindowMs: 0, maxPayloadBytes: 1e6 });
    assembler.add(records(0, 0, 2), 0);
    assembler.add(records(1, 10, 1), 0);
    assembler.hold(0, 300);

    expect(offsets(assembler.next(100))).toEqual(['1:10']);
    expect(assembler.next(100)).toEqual({ kind: 'wait', wakeAt: 300 });
    expect(offsets(assembler.next(300))).toEqual(['0:0', '0:1']);

    assembler.add(records(2, 0, 5), 400);
    assembler.drop(2);
    expect(assembler.size).toBe(0);
    expect(assembler.next(1_000)).toEqual({ kind: 'wait', wakeAt: undefined });
  });
});
