/**
 * The transaction coordinator of Apache Kafka's TransactionCoordinator (KIP-98), for one broker that
 * is also every partition's leader and every group's coordinator, so markers and offsets are written
 * straight to storage instead of through WriteTxnMarkers.
 *
 * Per transactional id: one producer id and its epoch, and the transaction in progress.
 *   Empty / CompleteCommit / CompleteAbort ──AddPartitionsToTxn, AddOffsetsToTxn──▶ Ongoing
 *   Ongoing ──EndTxn──▶ markers on every partition, offsets applied on commit ──▶ CompleteCommit / CompleteAbort
 *   Ongoing ──transaction timeout, or InitProducerId of a new instance──▶ epoch bumped, aborted
 * InitProducerId with a known transactional id bumps the epoch: the previous instance (a zombie) is
 * fenced with INVALID_PRODUCER_EPOCH (47) by the coordinator and by every partition its transaction
 * touched (the abort markers carry the new epoch).
 *
 * This state is kept in memory: after a restart a transactional id starts again with a new producer id,
 * and storage aborts the transactions its log shows open.
 */
import type {
  AddPartitionsToTxnRequest,
  TopicPartitionResults,
} from '../protocol/apis/add-partitions-to-txn';
import type { TxnOffsetCommitRequest } from '../protocol/apis/txn-offset-commit';
import type { TransactionResult } from '../protocol/control-record';
import { ErrorCode } from '../protocol/error-codes';
import type { BrokerLogger } from '../server/logger';
import type { BrokerStorage, CommittedOffset } from '../storage/types';

/** Kafka's transaction.max.timeout.ms default: longer transaction timeouts are refused (error 50). */
export const MAX_TRANSACTION_TIMEOUT_MS = 900_000;
/** Epochs are int16; an exhausted producer id is replaced by a new one (Kafka's TransactionMetadata). */
const MAX_PRODUCER_EPOCH = 32_767;

type TransactionState = 'Empty' | 'Ongoing' | 'CompleteCommit' | 'CompleteAbort';

interface PendingOffset {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: CommittedOffset;
}

interface Transaction {
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TransactionState;
  /** Partitions written in the current transaction, by `topic\0partition`. */
  readonly partitions: Map<string, { readonly topic: string; readonly partition: number }>;
  /** Groups added by AddOffsetsToTxn, and the offsets TxnOffsetCommit stored for them, applied on commit. */
  readonly groups: Set<string>;
  readonly offsets: Map<string, PendingOffset>;
  /** While markers are written; requests that would change the transaction wait or get error 51. */
  ending: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
}

export interface ProducerIdAndEpoch {
  readonly errorCode: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

type Checked = { readonly transaction: Transaction } | { readonly errorCode: number };

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class TransactionCoordinator {
  private readonly transactions = new Map<string, Transaction>();

  constructor(
    private readonly storage: BrokerStorage,
    private readonly logger: BrokerLogger,
  ) {}

  /** InitProducerId with a transactional id: a producer id, and a new epoch that fences older instances. */
  async initProducerId(transactionalId: string, timeoutMs: number): Promise<ProducerIdAndEpoch> {
    const refuse = (errorCode: number) => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    if (transactionalId === '') return refuse(ErrorCode.INVALID_REQUEST);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TRANSACTION_TIMEOUT_MS) {
      return refuse(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    }
    let transaction = this.transactions.get(transactionalId);
    if (!transaction) {
      const producerId = await this.storage.nextProducerId();
      // Another InitProducerId for the same id may have won the race while the id was reserved.
      transaction = this.transactions.get(transactionalId);
      if (!transaction) {
        const created = newTransaction(producerId, timeoutMs);
        this.transactions.set(transactionalId, created);
        return { errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
      }
    }
    await transaction.ending;
    await this.bumpEpoch(transaction);
    transaction.timeoutMs = timeoutMs;
    if (transaction.state === 'Ongoing') {
      // The previous instance left a transaction open: abort it under the new epoch, fencing it everywhere.
      await this.finish(transactionalId, transaction, 'abort');
    }
    return {
      errorCode: ErrorCode.NONE,
      producerId: transaction.producerId,
      producerEpoch: transaction.producerEpoch,
    };
  }

  addPartitions(request: AddPartitionsToTxnRequest): TopicPartitionResults[] {
    const checked = this.check(request.transactionalId, request.producerId, request.producerEpoch, true);
    const unknown = (topic: string, partition: number) => !this.hasPartition(topic, partition);
    const anyUnknown = request.topics.some((topic) => topic.partitions.some((p) => unknown(topic.name, p)));
    const results = request.topics.map((topic) => ({
      name: topic.name,
      results: topic.partitions.map((partitionIndex) => {
        let errorCode: number = ErrorCode.NONE;
        if ('errorCode' in checked) errorCode = checked.errorCode;
        else if (unknown(topic.name, partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        // Kafka adds all partitions or none: the valid ones of a request with an unknown one are not attempted.
        else if (anyUnknown) errorCode = ErrorCode.OPERATION_NOT_ATTEMPTED;
        return { partitionIndex, errorCode };
      }),
    }));
    if ('transaction' in checked && !anyUnknown) {
      const { transaction } = checked;
      this.begin(request.transactionalId, transaction);
      for (const topic of request.topics) {
        for (const partition of topic.partitions) {
          transaction.partitions.set(key(topic.name, partition), { topic: topic.name, partition });
        }
      }
    }
    return results;
  }

  addOffsets(transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const checked = this.check(transactionalId, producerId, producerEpoch, true);
    if ('errorCode' in checked) return checked.errorCode;
    this.begin(transactionalId, checked.transaction);
    checked.transaction.groups.add(groupId);
    return ErrorCode.NONE;
  }

  /** TxnOffsetCommit: offsets held with the transaction, committed to the group only if it commits. */
  commitOffsets(request: TxnOffsetCommitRequest): TopicPartitionResults[] {
    const checked = this.check(request.transactionalId, request.producerId, request.producerEpoch, true);
    let transactionError = 'errorCode' in checked ? checked.errorCode : ErrorCode.NONE;
    if ('transaction' in checked && !checked.transaction.groups.has(request.groupId)) {
      // The group must have been added with AddOffsetsToTxn first.
      transactionError = ErrorCode.INVALID_TXN_STATE;
    }
    return request.topics.map((topic) => ({
      name: topic.name,
      results: topic.partitions.map((p) => {
        let errorCode: number = transactionError;
        if (errorCode === ErrorCode.NONE && !this.hasPartition(topic.name, p.partitionIndex)) {
          errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        }
        if (errorCode === ErrorCode.NONE && 'transaction' in checked) {
          checked.transaction.offsets.set(`${request.groupId}\u0000${key(topic.name, p.partitionIndex)}`, {
            group: request.groupId,
            topic: topic.name,
            partition: p.partitionIndex,
            offset: {
              offset: p.committedOffset,
              metadata: p.committedMetadata,
              leaderEpoch: p.committedLeaderEpoch,
            },
          });
        }
        return { partitionIndex: p.partitionIndex, errorCode };
      }),
    }));
  }

  /** EndTxn: writes the markers (and, on commit, the offsets) before answering. */
  async end(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    commit: boolean,
  ): Promise<number> {
    await this.transactions.get(transactionalId)?.ending;
    const checked = this.check(transactionalId, producerId, producerEpoch, false);
    if ('errorCode' in checked) return checked.errorCode;
    const { transaction } = checked;
    const result: TransactionResult = commit ? 'commit' : 'abort';
    if (transaction.state === 'Ongoing') {
      await this.finish(transactionalId, transaction, result);
      return ErrorCode.NONE;
    }
    // A retry of an EndTxn that already completed gets the same answer (Kafka's TransactionCoordinator.endTransaction).
    const completed = transaction.state === (commit ? 'CompleteCommit' : 'CompleteAbort');
    return completed ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
  }

  close(): void {
    for (const transaction of this.transactions.values()) clearTimeout(transaction.timer);
    this.transactions.clear();
  }

  private check(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    changes: boolean,
  ): Checked {
    if (transactionalId === '') return { errorCode: ErrorCode.INVALID_REQUEST };
    const transaction = this.transactions.get(transactionalId);
    if (!transaction || transaction.producerId !== producerId) {
      return { errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
    }
    // PRODUCER_FENCED (90) reaches clients of these versions as INVALID_PRODUCER_EPOCH.
    if (transaction.producerEpoch !== producerEpoch) return { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH };
    if (changes && transaction.ending) return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
    return { transaction };
  }

  private hasPartition(topic: string, partition: number): boolean {
    const description = this.storage.describeTopic(topic);
    return description !== undefined && partition >= 0 && partition < description.partitions;
  }

  /** Makes the transaction Ongoing; the first time, its timeout starts (transaction.timeout.ms). */
  private begin(transactionalId: string, transaction: Transaction): void {
    if (transaction.state === 'Ongoing') return;
    transaction.state = 'Ongoing';
    transaction.timer = setTimeout(
      () => void this.expire(transactionalId, transaction),
      transaction.timeoutMs,
    );
    transaction.timer.unref();
  }

  /** A transaction past its timeout is aborted under a new epoch, fencing its producer (Kafka does the same). */
  private async expire(transactionalId: string, transaction: Transaction): Promise<void> {
    if (transaction.state !== 'Ongoing' || transaction.ending) return;
    this.logger.warn('transaction timed out, aborting', {
      transactionalId,
      timeoutMs: transaction.timeoutMs,
    });
    await this.bumpEpoch(transaction);
    await this.finish(transactionalId, transaction, 'abort');
  }

  private async bumpEpoch(transaction: Transaction): Promise<void> {
    if (transaction.producerEpoch < MAX_PRODUCER_EPOCH - 1) {
      transaction.producerEpoch += 1;
      return;
    }
    transaction.producerId = await this.storage.nextProducerId();
    transaction.producerEpoch = 0;
  }

  private finish(
    transactionalId: string,
    transaction: Transaction,
    result: TransactionResult,
  ): Promise<void> {
    clearTimeout(transaction.timer);
    transaction.timer = undefined;
    const ending = this.writeMarkers(transaction, result)
      .then(() => {
        transaction.state = result === 'commit' ? 'CompleteCommit' : 'CompleteAbort';
        transaction.partitions.clear();
        transaction.groups.clear();
        transaction.offsets.clear();
      })
      .catch((error: unknown) => {
        this.logger.error('transaction markers could not be written', {
          transactionalId,
          result,
          error: String(error),
        });
        throw error;
      })
      .finally(() => {
        transaction.ending = undefined;
      });
    transaction.ending = ending.catch(() => undefined);
    return ending;
  }

  private async writeMarkers(transaction: Transaction, result: TransactionResult): Promise<void> {
    const marker = {
      producerId: transaction.producerId,
      producerEpoch: transaction.producerEpoch,
      result,
      coordinatorEpoch: 0,
    };
    // A partition of a topic deleted meanwhile answers UNKNOWN_TOPIC_OR_PARTITION: nothing to mark there.
    await Promise.all(
      [...transaction.partitions.values()].map(({ topic, partition }) =>
        this.storage.appendTransactionMarker(topic, partition, marker),
      ),
    );
    if (result !== 'commit') return;
    for (const pending of transaction.offsets.values()) {
      await this.storage.commitOffset(pending.group, pending.topic, pending.partition, pending.offset);
    }
  }
}

function newTransaction(producerId: bigint, timeoutMs: number): Transaction {
  return {
    producerId,
    producerEpoch: 0,
    timeoutMs,
    state: 'Empty',
    partitions: new Map(),
    groups: new Set(),
    offsets: new Map(),
    ending: undefined,
    timer: undefined,
  };
}
