import { afterEach, describe, expect, it } from 'vitest';
import { Codec } from '../../../../local/broker/protocol/compression';
import { crc32c } from '../../../../local/broker/protocol/crc32c';
import type { StorageEngine } from '../../../../local/broker/storage/engine';
import { createMemoryStorage } from '../../../../local/broker/storage/memory';
import { markCompressed } from '../protocol/compressed-batch';
import { buildBatch, records } from './batch-fixture';
import { engines } from './engine-factories';

// One behavioural body for every engine: they must be indistinguishable to the server layer.
describe.each(engines)('$name storage engine', ({ create }) => {
  let storage: StorageEngine;
  const cleanups: Array<() => Promise<void>> = [];

  async function open(): Promise<StorageEngine> {
    const made = await create();
    cleanups.push(made.cleanup);
    storage = made.storage;
    await storage.open();
    return storage;
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  describe('topics', () => {
    it('creates, lists, describes and deletes a topic', async () => {
      await open();
      expect(storage.createTopic('payments', 3, { 'retention.ms': '-1' })).toBe(0);
      expect(storage.describeTopic('payments')).toEqual({
        name: 'payments',
        partitions: 3,
        configs: { 'retention.ms': '-1' },
      });
      expect(storage.listTopics().map((t) => t.name)).toEqual(['payments']);
      expect(storage.deleteTopic('payments')).toBe(0);
      expect(storage.describeTopic('payments')).toBeUndefined();
      expect(storage.deleteTopic('payments')).toBe(3);
    });

    it.each([
      ['', 17],
      ['.', 17],
      ['..', 17],
      ['a'.repeat(250), 17],
      ['payments!', 17],
      ['pay ments', 17],
      ['paymênts', 17],
    ])('rejects the illegal name %j with %i', async (name, code) => {
      await open();
      expect(storage.createTopic(name, 1)).toBe(code);
      expect(storage.listTopics()).toEqual([]);
    });

    it('accepts a name of 249 legal characters', async () => {
      await open();
      expect(storage.createTopic(`a.b_c-D9${'x'.repeat(241)}`, 1)).toBe(0);
    });

    it.each([0, -1, 1.5])('rejects %d partitions with 37', async (partitions) => {
      await open();
      expect(storage.createTopic('payments', partitions)).toBe(37);
    });

    it('rejects an existing topic with 36', async () => {
      await open();
      storage.createTopic('payments', 1);
      expect(storage.createTopic('payments', 2)).toBe(36);
      expect(storage.describeTopic('payments')?.partitions).toBe(1);
    });

    it('answers 3 for a topic or partition that does not exist', async () => {
      await open();
      storage.createTopic('payments', 1);
      const { bytes, header } = buildBatch({ records: records(1) });
      expect((await storage.append('missing', 0, bytes, header, true)).errorCode).toBe(3);
      expect((await storage.append('payments', 1, bytes, header, true)).errorCode).toBe(3);
      expect(storage.read('payments', 1, 0n, 1000).errorCode).toBe(3);
      expect(storage.listOffset('missing', 0, -1n).errorCode).toBe(3);
    });

    it('starts a re-created topic empty', async () => {
      await open();
      storage.createTopic('payments', 1);
      const { bytes, header } = buildBatch({ records: records(2) });
      await storage.append('payments', 0, bytes, header, true);
      storage.deleteTopic('payments');
      storage.createTopic('payments', 1);
      expect(storage.read('payments', 0, 0n, 1000)).toMatchObject({
        errorCode: 0,
        highWatermark: 0n,
        batches: [],
      });
    });
  });

  describe('append', () => {
    it('assigns consecutive offsets and rewrites base offset and leader epoch, keeping the CRC valid', async () => {
      await open();
      storage.createTopic('payments', 1);
      const first = buildBatch({ records: records(3) });
      const second = buildBatch({ records: records(2) });
      expect(await storage.append('payments', 0, first.bytes, first.header, true)).toEqual({
        errorCode: 0,
        baseOffset: 0n,
        logStartOffset: 0n,
        logAppendTime: -1n,
        duplicate: false,
      });
      expect((await storage.append('payments', 0, second.bytes, second.header, false)).baseOffset).toBe(3n);

      const { batches, highWatermark } = storage.read('payments', 0, 0n, 1 << 20);
      expect(highWatermark).toBe(5n);
      expect(batches.map((b) => [b.baseOffset, b.lastOffset])).toEqual([
        [0n, 2n],
        [3n, 4n],
      ]);
      const stored = batches[1]?.bytes ?? Buffer.alloc(0);
      expect(stored.readBigInt64BE(0)).toBe(3n);
      expect(stored.readInt32BE(12)).toBe(0);
      expect(stored.subarray(16)).toEqual(second.bytes.subarray(16));
      expect(crc32c(stored, 21)).toBe(stored.readUInt32BE(17));
    });

    it('does not let later changes to the request buffer alter what is stored', async () => {
      await open();
      storage.createTopic('payments', 1);
      const batch = buildBatch({ records: records(1) });
      const original = Buffer.from(batch.bytes);
      await storage.append('payments', 0, batch.bytes, batch.header, true);
      batch.bytes.fill(0);
      expect(storage.read('payments', 0, 0n, 1000).batches[0]?.bytes.subarray(16)).toEqual(
        original.subarray(16),
      );
    });

    it('rejects a batch that is not a record batch v2 with 2, writing nothing', async () => {
      await open();
      storage.createTopic('payments', 1);
      const batch = buildBatch({ records: records(1) });
      const magicV1 = Buffer.from(batch.bytes);
      magicV1.writeInt8(1, 16);
      expect((await storage.append('payments', 0, magicV1, batch.header, true)).errorCode).toBe(2);
      expect(
        (await storage.append('payments', 0, batch.bytes.subarray(0, 40), batch.header, true)).errorCode,
      ).toBe(2);
      expect(storage.read('payments', 0, 0n, 1000).highWatermark).toBe(0n);
    });

    it('answers a retried idempotent batch with its original offset and does not append it again', async () => {
      await open();
      storage.createTopic('payments', 1);
      const producerId = await storage.nextProducerId();
      const first = buildBatch({ records: records(2), producerId, baseSequence: 0 });
      const second = buildBatch({ records: records(2), producerId, baseSequence: 2 });
      await storage.append('payments', 0, first.bytes, first.header, true);
      await storage.append('payments', 0, second.bytes, second.header, true);
      expect(await storage.append('payments', 0, first.bytes, first.header, true)).toEqual({
        errorCode: 0,
        baseOffset: 0n,
        logStartOffset: 0n,
        logAppendTime: -1n,
        duplicate: true,
      });
      expect(storage.read('payments', 0, 0n, 1 << 20).highWatermark).toBe(4n);
    });

    it('answers 45 for a sequence gap and 47 for a fenced epoch, with base offset -1', async () => {
      await open();
      storage.createTopic('payments', 1);
      const producerId = await storage.nextProducerId();
      const epoch1 = buildBatch({ records: records(1), producerId, producerEpoch: 1, baseSequence: 0 });
      await storage.append('payments', 0, epoch1.bytes, epoch1.header, true);
      const gap = buildBatch({ records: records(1), producerId, producerEpoch: 1, baseSequence: 5 });
      const fenced = buildBatch({ records: records(1), producerId, producerEpoch: 0, baseSequence: 1 });
      expect(await storage.append('payments', 0, gap.bytes, gap.header, true)).toMatchObject({
        errorCode: 45,
        baseOffset: -1n,
      });
      expect(await storage.append('payments', 0, fenced.bytes, fenced.header, true)).toMatchObject({
        errorCode: 47,
        baseOffset: -1n,
      });
      expect(storage.read('payments', 0, 0n, 1 << 20).highWatermark).toBe(1n);
    });

    it('keeps producer state per partition', async () => {
      await open();
      storage.createTopic('payments', 2);
      const producerId = await storage.nextProducerId();
      const batch = buildBatch({ records: records(1), producerId, baseSequence: 0 });
      await storage.append('payments', 0, batch.bytes, batch.header, true);
      expect((await storage.append('payments', 1, batch.bytes, batch.header, true)).duplicate).toBe(false);
    });

    it('orders concurrent appends by arrival', async () => {
      await open();
      storage.createTopic('payments', 1);
      const producerId = await storage.nextProducerId();
      const batches = Array.from({ length: 20 }, (_, i) =>
        buildBatch({ records: records(1, `v${i}`), producerId, baseSequence: i }),
      );
      const results = await Promise.all(
        batches.map((b) => storage.append('payments', 0, b.bytes, b.header, true)),
      );
      expect(results.map((r) => r.errorCode)).toEqual(Array(20).fill(0));
      expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
    });
  });

  describe('read', () => {
    async function threeBatches(): Promise<number> {
      await open();
      storage.createTopic('payments', 1);
      let size = 0;
      for (let i = 0; i < 3; i++) {
        const batch = buildBatch({ records: records(10, `batch${i}`) });
        size = batch.bytes.length;
        await storage.append('payments', 0, batch.bytes, batch.header, true);
      }
      return size;
    }

    it('starts at the batch containing the fetch offset', async () => {
      await threeBatches();
      const result = storage.read('payments', 0, 15n, 1 << 20);
      expect(result.errorCode).toBe(0);
      expect(result.batches.map((b) => b.baseOffset)).toEqual([10n, 20n]);
    });

    it('respects maxBytes with whole batches', async () => {
      const size = await threeBatches();
      expect(storage.read('payments', 0, 0n, size * 2 + 1).batches.map((b) => b.baseOffset)).toEqual([
        0n,
        10n,
      ]);
      expect(storage.read('payments', 0, 0n, size * 2).batches.map((b) => b.baseOffset)).toEqual([0n, 10n]);
      expect(storage.read('payments', 0, 0n, size * 2 - 1).batches.map((b) => b.baseOffset)).toEqual([0n]);
    });

    it('always returns at least one whole batch', async () => {
      const size = await threeBatches();
      const [only] = storage.read('payments', 0, 20n, 1).batches;
      expect(only?.baseOffset).toBe(20n);
      expect(only?.bytes.length).toBe(size);
    });

    it('returns nothing, without error, at the high watermark', async () => {
      await threeBatches();
      expect(storage.read('payments', 0, 30n, 1 << 20)).toEqual({
        errorCode: 0,
        highWatermark: 30n,
        lastStableOffset: 30n,
        logStartOffset: 0n,
        batches: [],
        abortedTransactions: [],
      });
    });

    it('answers 1 with offsets -1 beyond the high watermark and below the log start, like Kafka', async () => {
      await threeBatches();
      // Kafka's FetchResponse.partitionResponse for an error: no high watermark, LSO or log start offset.
      const outOfRange = {
        errorCode: 1,
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
        batches: [],
        abortedTransactions: [],
      };
      expect(storage.read('payments', 0, 31n, 1 << 20)).toEqual(outOfRange);
      expect(storage.read('payments', 0, -1n, 1 << 20)).toEqual(outOfRange);
    });
  });

  describe('listOffset', () => {
    it('answers earliest, latest and the first record at or after a timestamp', async () => {
      await open();
      storage.createTopic('payments', 1);
      const first = buildBatch({
        baseTimestamp: 1000n,
        records: [{ value: 'a' }, { value: 'b', timestampDelta: 10 }, { value: 'c', timestampDelta: 20 }],
      });
      const second = buildBatch({
        baseTimestamp: 2000n,
        records: [{ value: 'd' }, { value: 'e', timestampDelta: 5 }],
      });
      await storage.append('payments', 0, first.bytes, first.header, true);
      await storage.append('payments', 0, second.bytes, second.header, true);

      expect(storage.listOffset('payments', 0, -2n)).toEqual({ errorCode: 0, offset: 0n, timestamp: -1n });
      expect(storage.listOffset('payments', 0, -1n)).toEqual({ errorCode: 0, offset: 5n, timestamp: -1n });
      expect(storage.listOffset('payments', 0, 0n)).toEqual({ errorCode: 0, offset: 0n, timestamp: 1000n });
      expect(storage.listOffset('payments', 0, 1005n)).toEqual({
        errorCode: 0,
        offset: 1n,
        timestamp: 1010n,
      });
      expect(storage.listOffset('payments', 0, 1020n)).toEqual({
        errorCode: 0,
        offset: 2n,
        timestamp: 1020n,
      });
      expect(storage.listOffset('payments', 0, 1021n)).toEqual({
        errorCode: 0,
        offset: 3n,
        timestamp: 2000n,
      });
      expect(storage.listOffset('payments', 0, 2003n)).toEqual({
        errorCode: 0,
        offset: 4n,
        timestamp: 2005n,
      });
      expect(storage.listOffset('payments', 0, 2006n)).toEqual({ errorCode: 0, offset: -1n, timestamp: -1n });
    });

    it.each([
      ['gzip', { compression: Codec.GZIP }],
      ['snappy', { compression: Codec.SNAPPY }],
      ['xerial-framed snappy', { compression: Codec.SNAPPY, snappyFraming: 'xerial' }],
      ['lz4', { compression: Codec.LZ4 }],
      ['zstd', { compression: Codec.ZSTD }],
    ] as const)('answers the first record at or after the timestamp inside a %s batch', async (_, codec) => {
      await open();
      storage.createTopic('payments', 1);
      const compressed = buildBatch({
        ...codec,
        baseTimestamp: 1000n,
        records: [{ value: 'a' }, { value: 'b', timestampDelta: 5 }, { value: 'c', timestampDelta: 9 }],
      });
      await storage.append('payments', 0, compressed.bytes, compressed.header, true);
      expect(storage.listOffset('payments', 0, 1003n)).toEqual({
        errorCode: 0,
        offset: 1n,
        timestamp: 1005n,
      });
      expect(storage.listOffset('payments', 0, 1009n)).toEqual({
        errorCode: 0,
        offset: 2n,
        timestamp: 1009n,
      });
    });

    it('answers with the batch for a batch whose compressed records cannot be read', async () => {
      await open();
      storage.createTopic('payments', 1);
      const { bytes, header } = buildBatch({
        baseTimestamp: 1000n,
        records: [{ value: 'a' }, { value: 'b', timestampDelta: 7 }],
      });
      // Claims zstd, holds plain records: the CRC is right, the zstd frame is not.
      await storage.append('payments', 0, markCompressed(bytes, Codec.ZSTD), header, true);
      expect(storage.listOffset('payments', 0, 1003n)).toEqual({
        errorCode: 0,
        offset: 0n,
        timestamp: 1007n,
      });
    });
  });

  describe('waitForAppend', () => {
    it('wakes on an append to one of the watched partitions', async () => {
      await open();
      storage.createTopic('payments', 2);
      let woken = false;
      const waiting = storage
        .waitForAppend(
          [
            { topic: 'payments', partition: 0 },
            { topic: 'payments', partition: 1 },
          ],
          new AbortController().signal,
        )
        .then(() => {
          woken = true;
        });
      await Promise.resolve();
      expect(woken).toBe(false);
      const batch = buildBatch({ records: records(1) });
      await storage.append('payments', 1, batch.bytes, batch.header, false);
      await waiting;
      expect(woken).toBe(true);
    });

    it('does not wake on an append to another partition', async () => {
      await open();
      storage.createTopic('payments', 2);
      const controller = new AbortController();
      let woken = false;
      const waiting = storage
        .waitForAppend([{ topic: 'payments', partition: 0 }], controller.signal)
        .then(() => {
          woken = true;
        });
      const batch = buildBatch({ records: records(1) });
      await storage.append('payments', 1, batch.bytes, batch.header, true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(woken).toBe(false);
      controller.abort();
      await waiting;
      expect(woken).toBe(true);
    });

    it('resolves at once when the signal is already aborted', async () => {
      await open();
      storage.createTopic('payments', 1);
      await expect(
        storage.waitForAppend([{ topic: 'payments', partition: 0 }], AbortSignal.abort()),
      ).resolves.toBe(undefined);
    });
  });

  describe('producer ids and committed offsets', () => {
    it('hands out distinct producer ids, also when asked concurrently', async () => {
      await open();
      const ids = await Promise.all(Array.from({ length: 2500 }, () => storage.nextProducerId()));
      expect(new Set(ids).size).toBe(2500);
    });

    it('stores, overwrites and lists committed offsets', async () => {
      await open();
      storage.createTopic('payments', 2);
      await storage.commitOffset('ledger', 'payments', 0, { offset: 5n, metadata: null, leaderEpoch: -1 });
      await storage.commitOffset('ledger', 'payments', 0, { offset: 9n, metadata: 'm', leaderEpoch: 0 });
      await storage.commitOffset('audit', 'payments', 1, { offset: 1n, metadata: null, leaderEpoch: -1 });
      expect(storage.fetchOffset('ledger', 'payments', 0)).toEqual({
        offset: 9n,
        metadata: 'm',
        leaderEpoch: 0,
      });
      expect(storage.fetchOffset('ledger', 'payments', 1)).toBeUndefined();
      expect([...storage.listCommittedGroups()].sort()).toEqual(['audit', 'ledger']);
    });

    it('drops the committed offsets of a deleted topic', async () => {
      await open();
      storage.createTopic('payments', 1);
      await storage.commitOffset('ledger', 'payments', 0, { offset: 5n, metadata: null, leaderEpoch: -1 });
      storage.deleteTopic('payments');
      storage.createTopic('payments', 1);
      expect(storage.fetchOffset('ledger', 'payments', 0)).toBeUndefined();
    });
  });
});

describe('createMemoryStorage', () => {
  it('starts empty each time', async () => {
    const first = createMemoryStorage();
    await first.open();
    first.createTopic('payments', 1);
    await first.close();
    const second = createMemoryStorage();
    await second.open();
    expect(second.listTopics()).toEqual([]);
    await second.close();
  });
});
