import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecordBatch } from '../../../../local/broker/protocol/record-batch';
import type { LogOptions, StorageEngine } from '../../../../local/broker/storage/engine';
import { buildBatch, records } from './batch-fixture';
import { engines } from './engine-factories';

const T0 = 1_700_000_000_000n;

// One behavioural body for every engine: topic configs, segments and retention behave the same.
describe.each(engines)('$name storage engine: topic settings, segments and retention', ({ create }) => {
  let storage: StorageEngine;
  let reopen: () => Promise<StorageEngine>;
  const cleanups: Array<() => Promise<void>> = [];
  let clock = Number(T0);

  async function open(options: LogOptions = {}): Promise<StorageEngine> {
    const made = await create({ now: () => clock, ...options });
    cleanups.push(made.cleanup);
    storage = made.storage;
    reopen = made.reopen;
    await storage.open();
    return storage;
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    clock = Number(T0);
  });

  /** Appends `count` batches of one 100-byte record each, the i-th stamped T0 + i seconds. */
  async function appendBatches(count: number, from = 0): Promise<void> {
    for (let i = from; i < from + count; i++) {
      const batch = buildBatch({
        baseTimestamp: T0 + BigInt(i) * 1000n,
        records: [{ value: 'x'.repeat(100) }],
      });
      const result = await storage.append('payments', 0, batch.bytes, batch.header, true);
      expect(result.errorCode).toBe(0);
    }
  }

  describe('partition growth', () => {
    it('grows a topic, keeps what its old partitions hold, and refuses anything but growth', async () => {
      await open();
      storage.createTopic('payments', 2);
      await appendBatches(1);
      expect(storage.createPartitions('payments', 5)).toBe(0);
      expect(storage.describeTopic('payments')?.partitions).toBe(5);
      expect(storage.read('payments', 0, 0n, 1 << 20).batches).toHaveLength(1);
      const batch = buildBatch({ records: records(1) });
      expect((await storage.append('payments', 4, batch.bytes, batch.header, true)).errorCode).toBe(0);
      expect(storage.createPartitions('payments', 5)).toBe(37);
      expect(storage.createPartitions('payments', 3)).toBe(37);
      expect(storage.createPartitions('missing', 3)).toBe(3);
    });
  });

  describe('configs', () => {
    it('refuses unknown and invalid configs and cleanup.policy=compact with INVALID_CONFIG, at create and alter', async () => {
      await open();
      expect(storage.createTopic('a', 1, { 'cleanup.policy': 'compact' })).toBe(40);
      expect(storage.createTopic('b', 1, { 'no.such.config': '1' })).toBe(40);
      expect(storage.createTopic('c', 1, { 'retention.ms': 'soon' })).toBe(40);
      expect(storage.listTopics()).toEqual([]);
      storage.createTopic('payments', 1);
      expect(storage.alterTopicConfigs('payments', { 'cleanup.policy': 'compact,delete' })).toBe(40);
      expect(storage.describeTopic('payments')?.configs).toEqual({});
    });

    it('answers MESSAGE_TOO_LARGE above max.message.bytes and RECORD_LIST_TOO_LARGE above segment.bytes', async () => {
      await open({ messageMaxBytes: 150 });
      storage.createTopic('payments', 1);
      const batch = buildBatch({ records: [{ value: 'x'.repeat(100) }] });
      expect(batch.bytes.length).toBeGreaterThan(150);
      expect((await storage.append('payments', 0, batch.bytes, batch.header, true)).errorCode).toBe(10);
      expect(storage.alterTopicConfigs('payments', { 'max.message.bytes': '10000' })).toBe(0);
      expect((await storage.append('payments', 0, batch.bytes, batch.header, true)).errorCode).toBe(0);
      expect(
        storage.alterTopicConfigs('payments', { 'max.message.bytes': '10000', 'segment.bytes': '100' }),
      ).toBe(0);
      expect((await storage.append('payments', 0, batch.bytes, batch.header, true)).errorCode).toBe(18);
      expect(storage.read('payments', 0, 0n, 1 << 20).highWatermark).toBe(1n);
    });

    it('stamps batches with the append time when message.timestamp.type=LogAppendTime', async () => {
      await open();
      storage.createTopic('payments', 1, { 'message.timestamp.type': 'LogAppendTime' });
      clock = Number(T0) + 42_000;
      const batch = buildBatch({ baseTimestamp: 5n, records: records(2) });
      const result = await storage.append('payments', 0, batch.bytes, batch.header, true);
      expect(result.logAppendTime).toBe(BigInt(clock));
      const [stored] = storage.read('payments', 0, 0n, 1 << 20).batches;
      expect(decodeRecordBatch(stored?.bytes as Buffer).map((r) => r.timestamp)).toEqual([
        BigInt(clock),
        BigInt(clock),
      ]);
      expect(storage.listOffset('payments', 0, BigInt(clock))).toMatchObject({ offset: 0n });
    });
  });

  describe('segments and retention', () => {
    it('rolls segments on segment.bytes and deletes the oldest past retention.bytes, moving the log start', async () => {
      await open();
      const size = buildBatch({ records: [{ value: 'x'.repeat(100) }] }).bytes.length;
      // Two batches per segment; keep at least three batches' worth.
      storage.createTopic('payments', 1, {
        'segment.bytes': String(size * 2),
        'retention.bytes': String(size * 3),
      });
      await appendBatches(7);
      await storage.applyRetention();
      // Segments [0,1] [2,3] [4,5] [6]: deleting [0,1] leaves 5 batches >= 3; deleting [2,3] too leaves 3.
      expect(storage.listOffset('payments', 0, -2n).offset).toBe(4n);
      expect(storage.read('payments', 0, 3n, 1 << 20)).toMatchObject({ errorCode: 1, batches: [] });
      expect(storage.read('payments', 0, 4n, 1 << 20).batches.map((b) => b.baseOffset)).toEqual([4n, 5n]);
      expect(storage.listOffset('payments', 0, -1n).offset).toBe(7n);
      expect(storage.listOffset('payments', 0, 0n).offset).toBe(4n);
    });

    it('rolls segments on segment.ms and deletes segments older than retention.ms, then an expired active one', async () => {
      await open();
      storage.createTopic('payments', 1, { 'segment.ms': '2500', 'retention.ms': '60000' });
      await appendBatches(6); // timestamps T0+0s..T0+5s: segments [0,1,2] [3,4,5]
      clock = Number(T0) + 63_000; // [0,1,2] (largest T0+2s) expired, [3,4,5] (T0+5s) not yet
      await storage.applyRetention();
      expect(storage.listOffset('payments', 0, -2n).offset).toBe(3n);
      clock = Number(T0) + 70_000; // everything expired: an empty segment is rolled at the log end
      await storage.applyRetention();
      expect(storage.listOffset('payments', 0, -2n).offset).toBe(6n);
      expect(storage.read('payments', 0, 6n, 1 << 20)).toMatchObject({ errorCode: 0, batches: [] });
      expect(storage.read('payments', 0, 5n, 1 << 20).errorCode).toBe(1);
      // Offsets go on from the log end, never reused.
      const batch = buildBatch({ baseTimestamp: BigInt(clock), records: records(1) });
      expect((await storage.append('payments', 0, batch.bytes, batch.header, true)).baseOffset).toBe(6n);
    });

    it('keeps segments, log start offset and configs across a restart (durable engines)', async () => {
      await open();
      storage.createTopic('payments', 1, { 'segment.ms': '1500', 'retention.ms': '60000' });
      await appendBatches(4); // segments [0,1] [2,3]
      clock = Number(T0) + 62_000;
      await storage.applyRetention();
      expect(storage.listOffset('payments', 0, -2n).offset).toBe(2n);
      storage = await reopen();
      expect(storage.describeTopic('payments')?.configs).toEqual({
        'segment.ms': '1500',
        'retention.ms': '60000',
      });
      expect(storage.listOffset('payments', 0, -2n).offset).toBe(2n);
      expect(storage.read('payments', 0, 2n, 1 << 20).batches.map((b) => b.baseOffset)).toEqual([2n, 3n]);
      await appendBatches(1, 4);
      expect(storage.read('payments', 0, 0n, 1 << 20).errorCode).toBe(1);
      expect(storage.listOffset('payments', 0, -1n).offset).toBe(5n);
    });
  });
});
