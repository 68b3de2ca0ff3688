/** Transaction requests (KIP-98), answered by the transaction coordinator (this broker for every id). */
import type {
  AddOffsetsToTxnRequest,
  TransactionErrorResponse,
} from '../../protocol/apis/add-offsets-to-txn';
import type {
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
} from '../../protocol/apis/add-partitions-to-txn';
import type { EndTxnRequest } from '../../protocol/apis/end-txn';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/apis/txn-offset-commit';
import type { BrokerContext } from '../context';

export function handleAddPartitionsToTxn(
  request: AddPartitionsToTxnRequest,
  broker: BrokerContext,
): AddPartitionsToTxnResponse {
  return { results: broker.transactions.addPartitions(request) };
}

export function handleAddOffsetsToTxn(
  request: AddOffsetsToTxnRequest,
  broker: BrokerContext,
): TransactionErrorResponse {
  const { transactionalId, producerId, producerEpoch, groupId } = request;
  return { errorCode: broker.transactions.addOffsets(transactionalId, producerId, producerEpoch, groupId) };
}

export async function handleEndTxn(
  request: EndTxnRequest,
  broker: BrokerContext,
): Promise<TransactionErrorResponse> {
  const { transactionalId, producerId, producerEpoch, committed } = request;
  return { errorCode: await broker.transactions.end(transactionalId, producerId, producerEpoch, committed) };
}

export function handleTxnOffsetCommit(
  request: TxnOffsetCommitRequest,
  broker: BrokerContext,
): TxnOffsetCommitResponse {
  return { topics: broker.transactions.commitOffsets(request) };
}
