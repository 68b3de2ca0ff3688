import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StorageEngine } from '../../../../local/broker/storage/engine';
import { PRODUCER_ID_BLOCK } from '../../../../local/broker/storage/engine';
import { createFileStorage, type FileStorageOptions } from '../../../../local/broker/storage/file';
import { buildBatch, records } from './batch-fixture';
import { temporaryDataDir } from './engine-factories';

type TornTailEvent = Parameters<NonNullable<FileStorageOptions['onTornTail']>>[0];

describe('file storage engine', () => {
  const open: StorageEngine[] = [];
  const dirs: string[] = [];
  const tornTails: TornTailEvent[] = [];

  async function start(
    dataDir: string,
    fsync: FileStorageOptions['fsync'] = 'acks-all',
  ): Promise<StorageEngine> {
    const storage = createFileStorage({ dataDir, fsync, onTornTail: (event) => tornTails.push(event) });
    await storage.open();
    open.push(storage);
    return storage;
  }

  async function freshDir(): Promise<string> {
    const dir = await temporaryDataDir();
    dirs.push(dir);
    return dir;
  }

  const segmentOf = (dataDir: string, topic: string, partition: number) =>
    join(dataDir, 'logs', `${topic}-${partition}`, '00000000000000000000.log');

  afterEach(async () => {
    for (const storage of open.splice(0)) await storage.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
    tornTails.length = 0;
  });

  it('keeps topics, batches, committed offsets and producer state across a restart', async () => {
    const dataDir = await freshDir();
    const before = await start(dataDir);
    before.createTopic('payments', 2, { 'cleanup.policy': 'delete' });
    const producerId = await before.nextProducerId();
    const sent = Array.from({ length: 7 }, (_, i) =>
      buildBatch({ records: records(2, `b${i}`), producerId, baseSequence: i * 2 }),
    );
    for (const batch of sent) await before.append('payments', 1, batch.bytes, batch.header, true);
    const plain = buildBatch({ records: records(3) });
    await before.append('payments', 0, plain.bytes, plain.header, true);
    await before.commitOffset('ledger', 'payments', 1, { offset: 6n, metadata: 'm', leaderEpoch: 0 });
    const storedBefore = before.read('payments', 1, 0n, 1 << 20).batches.map((b) => Buffer.from(b.bytes));
    await before.close();

    const after = await start(dataDir);
    expect(after.describeTopic('payments')).toEqual({
      name: 'payments',
      partitions: 2,
      configs: { 'cleanup.policy': 'delete' },
    });
    const read = after.read('payments', 1, 0n, 1 << 20);
    expect(read.highWatermark).toBe(14n);
    expect(read.batches.map((b) => b.bytes)).toEqual(storedBefore);
    expect(after.read('payments', 0, 0n, 1 << 20).highWatermark).toBe(3n);
    expect(after.fetchOffset('ledger', 'payments', 1)).toEqual({ offset: 6n, metadata: 'm', leaderEpoch: 0 });

    // A retry of one of the last 5 batches after the restart is a duplicate with its original offset…
    const retry = sent[5];
    if (!retry) throw new Error('fixture has 7 batches');
    expect(await after.append('payments', 1, retry.bytes, retry.header, true)).toMatchObject({
      errorCode: 0,
      baseOffset: 10n,
      duplicate: true,
    });
    // …one older than the window is out of order, and the next sequence continues the log.
    const old = sent[1];
    if (!old) throw new Error('fixture has 7 batches');
    expect((await after.append('payments', 1, old.bytes, old.header, true)).errorCode).toBe(45);
    const next = buildBatch({ records: records(1), producerId, baseSequence: 14 });
    expect(await after.append('payments', 1, next.bytes, next.header, true)).toMatchObject({
      errorCode: 0,
      baseOffset: 14n,
      duplicate: false,
    });
  });

  it('recovers what a process that never closed had acknowledged', async () => {
    const dataDir = await freshDir();
    const crashed = await start(dataDir);
    crashed.createTopic('payments', 1);
    const producerId = await crashed.nextProducerId();
    const batch = buildBatch({ records: records(4), producerId, baseSequence: 0 });
    await crashed.append('payments', 0, batch.bytes, batch.header, true);

    const restarted = await start(dataDir);
    expect(restarted.read('payments', 0, 0n, 1 << 20).highWatermark).toBe(4n);
    expect((await restarted.append('payments', 0, batch.bytes, batch.header, true)).duplicate).toBe(true);
  });

  it('never hands out a producer id twice across restarts', async () => {
    const dataDir = await freshDir();
    const first = await start(dataDir);
    const before = await Promise.all(Array.from({ length: 3 }, () => first.nextProducerId()));
    await first.close();
    const second = await start(dataDir);
    const after = await second.nextProducerId();
    for (const id of before) expect(after).toBeGreaterThan(id);
    expect(after).toBe(PRODUCER_ID_BLOCK);
  });

  it('skips producer ids found in the log even if the reservation file is lost', async () => {
    const dataDir = await freshDir();
    const first = await start(dataDir);
    first.createTopic('payments', 1);
    const batch = buildBatch({ records: records(1), producerId: 4321n, baseSequence: 0 });
    await first.append('payments', 0, batch.bytes, batch.header, true);
    await first.nextProducerId();
    await first.close();
    unlinkSync(join(dataDir, 'producer-ids.json'));
    const second = await start(dataDir);
    expect(await second.nextProducerId()).toBe(4322n);
  });

  it('names segments by their base offset and drops the segments after one that lost its tail', async () => {
    // GIVEN three segments of two batches each (segment.bytes fits two)
    const dataDir = await freshDir();
    const first = await start(dataDir);
    const size = buildBatch({ records: records(2, 'b0') }).bytes.length;
    first.createTopic('payments', 1, { 'segment.bytes': String(size * 2) });
    for (let i = 0; i < 6; i++) {
      const b = buildBatch({ records: records(2, `b${i}`) });
      await first.append('payments', 0, b.bytes, b.header, true);
    }
    await first.close();
    const dir = join(dataDir, 'logs', 'payments-0');
    const names = ['00000000000000000000.log', '00000000000000000004.log', '00000000000000000008.log'];
    expect(names.every((name) => existsSync(join(dir, name)))).toBe(true);

    // WHEN the middle segment loses half of its last batch
    const middle = join(dir, names[1] as string);
    writeFileSync(middle, readFileSync(middle).subarray(0, size + 10));
    const second = await start(dataDir);

    // THEN the log ends after the middle segment's whole batch, and the last segment is gone
    expect(second.read('payments', 0, 0n, 1 << 20).highWatermark).toBe(6n);
    expect(existsSync(join(dir, names[2] as string))).toBe(false);
    const next = buildBatch({ records: records(1) });
    expect((await second.append('payments', 0, next.bytes, next.header, true)).baseOffset).toBe(6n);
  });

  it('truncates half a batch at the end of a segment and appends after the valid part', async () => {
    const dataDir = await freshDir();
    const first = await start(dataDir);
    first.createTopic('payments', 1);
    const batches = [0, 1, 2].map((i) => buildBatch({ records: records(2, `b${i}`) }));
    for (const b of batches) await first.append('payments', 0, b.bytes, b.header, true);
    await first.close();
    const segment = segmentOf(dataDir, 'payments', 0);
    const validSize = statSync(segment).size;
    const torn = buildBatch({ records: records(5) }).bytes;
    appendFileSync(segment, torn.subarray(0, torn.length - 7));

    const second = await start(dataDir);
    expect(tornTails).toEqual([
      expect.objectContaining({
        topic: 'payments',
        partition: 0,
        validBytes: validSize,
        truncatedBytes: torn.length - 7,
      }),
    ]);
    expect(statSync(segment).size).toBe(validSize);
    expect(second.read('payments', 0, 0n, 1 << 20).highWatermark).toBe(6n);
    const next = buildBatch({ records: records(1) });
    expect((await second.append('payments', 0, next.bytes, next.header, true)).baseOffset).toBe(6n);
    await second.close();

    const third = await start(dataDir);
    expect(third.read('payments', 0, 0n, 1 << 20).batches.map((b) => b.baseOffset)).toEqual([0n, 2n, 4n, 6n]);
  });

  it.each([
    ['a few garbage bytes', (file: string) => appendFileSync(file, Buffer.from([1, 2, 3]))],
    [
      'a header declaring more bytes than remain',
      (file: string) => {
        const header = Buffer.alloc(61);
        header.writeInt32BE(10_000, 8);
        header.writeInt8(2, 16);
        appendFileSync(file, header);
      },
    ],
  ])('truncates %s after the last batch', async (_, damage) => {
    const dataDir = await freshDir();
    const first = await start(dataDir);
    first.createTopic('payments', 1);
    const batch = buildBatch({ records: records(3) });
    await first.append('payments', 0, batch.bytes, batch.header, true);
    await first.close();
    damage(segmentOf(dataDir, 'payments', 0));
    const second = await start(dataDir);
    expect(tornTails).toHaveLength(1);
    expect(second.read('payments', 0, 0n, 1 << 20).batches.map((b) => b.baseOffset)).toEqual([0n]);
  });

  it('drops a last batch whose CRC-32C does not match its bytes', async () => {
    const dataDir = await freshDir();
    const first = await start(dataDir);
    first.createTopic('payments', 1);
    for (let i = 0; i < 2; i++) {
      const batch = buildBatch({ records: records(2, `b${i}`) });
      await first.append('payments', 0, batch.bytes, batch.header, true);
    }
    await first.close();
    const segment = segmentOf(dataDir, 'payments', 0);
    const bytes = readFileSync(segment);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0xff;
    writeFileSync(segment, bytes);

    const second = await start(dataDir);
    expect(tornTails[0]?.reason).toContain('CRC-32C');
    expect(second.read('payments', 0, 0n, 1 << 20).highWatermark).toBe(2n);
  });

  it('ignores a torn last line of the committed-offsets log', async () => {
    const dataDir = await freshDir();
    const first = await start(dataDir);
    first.createTopic('payments', 1);
    await first.commitOffset('ledger', 'payments', 0, { offset: 3n, metadata: null, leaderEpoch: -1 });
    await first.close();
    appendFileSync(join(dataDir, 'offsets.log'), '{"group":"ledger","topic":"payments","partition":0,"off');
    const second = await start(dataDir);
    expect(second.fetchOffset('ledger', 'payments', 0)?.offset).toBe(3n);
  });

  it('compacts the committed-offsets log at open to the latest commit per group and partition', async () => {
    const dataDir = await freshDir();
    const first = await start(dataDir);
    first.createTopic('payments', 1);
    for (let offset = 1n; offset <= 50n; offset++) {
      await first.commitOffset('ledger', 'payments', 0, { offset, metadata: null, leaderEpoch: -1 });
    }
    await first.close();
    expect(readFileSync(join(dataDir, 'offsets.log'), 'utf8').trim().split('\n')).toHaveLength(50);
    const second = await start(dataDir);
    expect(readFileSync(join(dataDir, 'offsets.log'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(second.fetchOffset('ledger', 'payments', 0)?.offset).toBe(50n);
  });

  it('removes a deleted topic for good, including files a crash left behind', async () => {
    const dataDir = await freshDir();
    const first = await start(dataDir);
    first.createTopic('payments', 1);
    const batch = buildBatch({ records: records(1) });
    await first.append('payments', 0, batch.bytes, batch.header, true);
    first.deleteTopic('payments');
    expect(existsSync(join(dataDir, 'logs', 'payments-0'))).toBe(false);
    // What a crash between the metadata write and the removal would leave:
    mkdirSync(join(dataDir, 'logs', 'orphan-0'));
    await first.close();

    const second = await start(dataDir);
    expect(second.listTopics()).toEqual([]);
    expect(existsSync(join(dataDir, 'logs', 'orphan-0'))).toBe(false);
  });

  it('refuses to start on an unreadable topics file rather than forget the topics', async () => {
    const dataDir = await freshDir();
    writeFileSync(join(dataDir, 'topics.json'), '{"topics": [');
    const storage = createFileStorage({ dataDir });
    await expect(storage.open()).rejects.toMatchObject({ code: 'STORAGE_METADATA_UNREADABLE' });
  });

  it('rejects bad options with the setting named', () => {
    expect(() => createFileStorage({ dataDir: '' })).toThrow(/dataDir/);
    expect(() => createFileStorage({ dataDir: '/tmp/x', fsync: 'sometimes' as 'never' })).toThrow(
      'storage setting fsync is "sometimes", expected one of always, acks-all, never',
    );
  });

  it('acknowledges many concurrent durable appends', async () => {
    const dataDir = await freshDir();
    const storage = await start(dataDir);
    storage.createTopic('payments', 1);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const batch = buildBatch({ records: records(1, `v${i}`) });
        return storage.append('payments', 0, batch.bytes, batch.header, true);
      }),
    );
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 200 }, (_, i) => BigInt(i)));
  });
});
