/** Transactions in storage: markers, the last stable offset, aborted transactions, epoch fencing, restart. */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { StorageEngine } from '../../../../local/broker/storage/engine';
import { createFileStorage } from '../../../../local/broker/storage/file';
import { buildBatch as buildFixtureBatch, records } from './batch-fixture';
import { engines, temporaryDataDir } from './engine-factories';

/**
 * Batches stamped now, like the markers the coordinator writes: with the fixture's fixed 2023 timestamps a
 * marker would be more than segment.ms (7 days) later and roll a new segment, and a fetch reads one segment.
 */
const buildBatch = (options: Parameters<typeof buildFixtureBatch>[0]) =>
  buildFixtureBatch({ baseTimestamp: BigInt(Date.now()), ...options });

const TXN_PRODUCER = 7n;
const OTHER_PRODUCER = 8n;

function transactional(producerId: bigint, baseSequence: number, count: number, producerEpoch = 0) {
  return buildBatch({
    records: records(count),
    producerId,
    producerEpoch,
    baseSequence,
    transactional: true,
  });
}

async function append(storage: StorageEngine, batch: ReturnType<typeof buildBatch>) {
  return storage.append('payments', 0, batch.bytes, batch.header, true);
}

const marker = (result: 'commit' | 'abort', producerId = TXN_PRODUCER, producerEpoch = 0) => ({
  producerId,
  producerEpoch,
  result,
  coordinatorEpoch: 0,
});

describe.each(engines)('$name storage engine transactions', ({ create }) => {
  let storage: StorageEngine;
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function open(): Promise<StorageEngine> {
    const made = await create();
    cleanups.push(made.cleanup);
    storage = made.storage;
    await storage.open();
    expect(storage.createTopic('payments', 1)).toBe(0);
    return storage;
  }

  it('holds the last stable offset at the first record of an open transaction until its marker', async () => {
    await open();
    await append(storage, buildBatch({ records: records(2) }));
    await append(storage, transactional(TXN_PRODUCER, 0, 3));
    await append(storage, buildBatch({ records: records(1) }));

    const whileOpen = storage.read('payments', 0, 0n, 1 << 20, 'read_committed');
    expect(whileOpen).toMatchObject({ highWatermark: 6n, lastStableOffset: 2n, abortedTransactions: [] });
    expect(whileOpen.batches.map((batch) => batch.baseOffset)).toEqual([0n]);
    // read_uncommitted reads to the high watermark, and is told the same last stable offset.
    const uncommitted = storage.read('payments', 0, 0n, 1 << 20);
    expect(uncommitted.batches.map((batch) => batch.baseOffset)).toEqual([0n, 2n, 5n]);
    expect(uncommitted.lastStableOffset).toBe(2n);
    // A read_committed fetch at the last stable offset waits: nothing to return yet.
    expect(storage.read('payments', 0, 2n, 1 << 20, 'read_committed').batches).toEqual([]);

    expect((await storage.appendTransactionMarker('payments', 0, marker('commit'))).baseOffset).toBe(6n);
    const committed = storage.read('payments', 0, 0n, 1 << 20, 'read_committed');
    expect(committed).toMatchObject({ highWatermark: 7n, lastStableOffset: 7n, abortedTransactions: [] });
    expect(committed.batches.map((batch) => batch.baseOffset)).toEqual([0n, 2n, 5n, 6n]);
  });

  it('lists an aborted transaction to read_committed fetches that overlap it, and only to them', async () => {
    await open();
    await append(storage, transactional(TXN_PRODUCER, 0, 2));
    await storage.appendTransactionMarker('payments', 0, marker('abort'));
    await append(storage, buildBatch({ records: records(1) }));

    const aborted = { producerId: TXN_PRODUCER, firstOffset: 0n, lastOffset: 2n };
    expect(storage.read('payments', 0, 0n, 1 << 20, 'read_committed').abortedTransactions).toEqual([aborted]);
    expect(storage.read('payments', 0, 2n, 1 << 20, 'read_committed').abortedTransactions).toEqual([aborted]);
    expect(storage.read('payments', 0, 3n, 1 << 20, 'read_committed').abortedTransactions).toEqual([]);
    expect(storage.read('payments', 0, 0n, 1 << 20).abortedTransactions).toEqual([]);
  });

  it('fences older epochs with a marker of a newer epoch, and restarts the sequence at 0', async () => {
    await open();
    await append(storage, transactional(TXN_PRODUCER, 0, 2));
    // A new instance of the transactional id aborted the transaction under epoch 1.
    await storage.appendTransactionMarker('payments', 0, marker('abort', TXN_PRODUCER, 1));
    expect((await append(storage, transactional(TXN_PRODUCER, 2, 1, 0))).errorCode).toBe(47);
    expect((await append(storage, transactional(TXN_PRODUCER, 5, 1, 1))).errorCode).toBe(45);
    expect((await append(storage, transactional(TXN_PRODUCER, 0, 1, 1))).errorCode).toBe(0);
    const stale = await storage.appendTransactionMarker('payments', 0, marker('commit', TXN_PRODUCER, 0));
    expect(stale.errorCode).toBe(47);
  });

  it('keeps transactions of different producers apart', async () => {
    await open();
    await append(storage, transactional(TXN_PRODUCER, 0, 1));
    await append(storage, transactional(OTHER_PRODUCER, 0, 1));
    await storage.appendTransactionMarker('payments', 0, marker('commit'));
    expect(storage.read('payments', 0, 0n, 1 << 20, 'read_committed').lastStableOffset).toBe(1n);
    await storage.appendTransactionMarker('payments', 0, marker('abort', OTHER_PRODUCER));
    expect(storage.read('payments', 0, 0n, 1 << 20, 'read_committed')).toMatchObject({
      lastStableOffset: 4n,
      abortedTransactions: [{ producerId: OTHER_PRODUCER, firstOffset: 1n, lastOffset: 3n }],
    });
  });
});

describe('file storage transactions across a restart', () => {
  it('rebuilds aborted transactions from the log and aborts the ones left open', async () => {
    const dataDir = await temporaryDataDir();
    try {
      const first = createFileStorage({ dataDir });
      await first.open();
      first.createTopic('payments', 1);
      await append(first, transactional(TXN_PRODUCER, 0, 2));
      await first.appendTransactionMarker('payments', 0, marker('abort'));
      await append(first, transactional(OTHER_PRODUCER, 0, 1));
      await first.close();

      const second = createFileStorage({ dataDir });
      await second.open();
      try {
        // The transaction left open (no coordinator remembers it) was aborted at open, after offset 3.
        expect(second.read('payments', 0, 0n, 1 << 20, 'read_committed')).toMatchObject({
          highWatermark: 5n,
          lastStableOffset: 5n,
          abortedTransactions: [
            { producerId: TXN_PRODUCER, firstOffset: 0n, lastOffset: 2n },
            { producerId: OTHER_PRODUCER, firstOffset: 3n, lastOffset: 4n },
          ],
        });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
