import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../../local/broker/protocol/error-codes';
import { silentLogger } from '../../../../local/broker/server/logger';
import type { StorageEngine } from '../../../../local/broker/storage/engine';
import { createMemoryStorage } from '../../../../local/broker/storage/memory';
import {
  MAX_TRANSACTION_TIMEOUT_MS,
  TransactionCoordinator,
} from '../../../../local/broker/transactions/coordinator';

const TIMEOUT_MS = 10_000;

describe('TransactionCoordinator', () => {
  let storage: StorageEngine;
  let coordinator: TransactionCoordinator;

  beforeEach(async () => {
    vi.useFakeTimers();
    storage = createMemoryStorage();
    await storage.open();
    storage.createTopic('payments', 2);
    coordinator = new TransactionCoordinator(storage, silentLogger);
  });

  afterEach(async () => {
    coordinator.close();
    await storage.close();
    vi.useRealTimers();
  });

  const addPayments = (producerId: bigint, producerEpoch: number, partitions = [0]) =>
    coordinator.addPartitions({
      transactionalId: 'tx',
      producerId,
      producerEpoch,
      topics: [{ name: 'payments', partitions }],
    });
  const errorsOf = (results: ReturnType<typeof addPayments>) =>
    results.flatMap((topic) => topic.results.map((result) => result.errorCode));

  it('bumps the epoch of a known transactional id and fences the older one', async () => {
    const first = await coordinator.initProducerId('tx', TIMEOUT_MS);
    expect(first).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    const second = await coordinator.initProducerId('tx', TIMEOUT_MS);
    expect(second).toEqual({ errorCode: 0, producerId: first.producerId, producerEpoch: 1 });
    expect(errorsOf(addPayments(first.producerId, 0))).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH]);
    expect(await coordinator.end('tx', first.producerId, 0, true)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(errorsOf(addPayments(first.producerId + 1n, 1))).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    expect(errorsOf(addPayments(first.producerId, 1))).toEqual([0]);
  });

  it('refuses transaction timeouts outside 1 ms to transaction.max.timeout.ms', async () => {
    for (const timeout of [0, MAX_TRANSACTION_TIMEOUT_MS + 1]) {
      expect((await coordinator.initProducerId('tx', timeout)).errorCode).toBe(
        ErrorCode.INVALID_TRANSACTION_TIMEOUT,
      );
    }
  });

  it('adds all partitions or none: an unknown one fails and the others are not attempted', async () => {
    const { producerId } = await coordinator.initProducerId('tx', TIMEOUT_MS);
    expect(errorsOf(addPayments(producerId, 0, [0, 5]))).toEqual([
      ErrorCode.OPERATION_NOT_ATTEMPTED,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    // Nothing was added: there is no transaction to end.
    expect(await coordinator.end('tx', producerId, 0, true)).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('writes a marker to every partition on EndTxn, and answers a retried EndTxn the same', async () => {
    const { producerId } = await coordinator.initProducerId('tx', TIMEOUT_MS);
    addPayments(producerId, 0, [0, 1]);
    expect(await coordinator.end('tx', producerId, 0, true)).toBe(0);
    expect(storage.read('payments', 0, 0n, 1 << 20).highWatermark).toBe(1n);
    expect(storage.read('payments', 1, 0n, 1 << 20).highWatermark).toBe(1n);
    expect(await coordinator.end('tx', producerId, 0, true)).toBe(0);
    expect(await coordinator.end('tx', producerId, 0, false)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(storage.read('payments', 0, 0n, 1 << 20).highWatermark).toBe(1n);
  });

  it('applies transactional offsets to the group on commit only', async () => {
    const { producerId } = await coordinator.initProducerId('tx', TIMEOUT_MS);
    const commit = (offset: bigint) =>
      coordinator.commitOffsets({
        transactionalId: 'tx',
        groupId: 'readers',
        producerId,
        producerEpoch: 0,
        topics: [
          {
            name: 'payments',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: offset,
                committedLeaderEpoch: -1,
                committedMetadata: null,
              },
            ],
          },
        ],
      });
    expect(errorsOf(commit(5n))).toEqual([ErrorCode.INVALID_TXN_STATE]);
    expect(coordinator.addOffsets('tx', producerId, 0, 'readers')).toBe(0);
    expect(errorsOf(commit(5n))).toEqual([0]);
    expect(storage.fetchOffset('readers', 'payments', 0)).toBeUndefined();
    expect(await coordinator.end('tx', producerId, 0, false)).toBe(0);
    expect(storage.fetchOffset('readers', 'payments', 0)).toBeUndefined();
    coordinator.addOffsets('tx', producerId, 0, 'readers');
    commit(7n);
    expect(await coordinator.end('tx', producerId, 0, true)).toBe(0);
    expect(storage.fetchOffset('readers', 'payments', 0)?.offset).toBe(7n);
  });

  it('aborts a transaction that outlives its timeout and fences its producer', async () => {
    const { producerId } = await coordinator.initProducerId('tx', TIMEOUT_MS);
    addPayments(producerId, 0);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);
    expect(storage.read('payments', 0, 0n, 1 << 20).highWatermark).toBe(1n);
    expect(await coordinator.end('tx', producerId, 0, true)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await coordinator.initProducerId('tx', TIMEOUT_MS)).producerEpoch).toBe(2);
  });
});
