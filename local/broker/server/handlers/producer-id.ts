/**
 * InitProducerId: an idempotent producer gets a fresh producer id, unique across restarts, at epoch 0;
 * a transactional producer gets its transactional id's producer id and a new epoch from the transaction
 * coordinator, which fences older instances.
 */
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/apis/init-producer-id';
import { ErrorCode } from '../../protocol/error-codes';
import type { BrokerContext } from '../context';

export async function handleInitProducerId(
  request: InitProducerIdRequest,
  broker: BrokerContext,
): Promise<InitProducerIdResponse> {
  if (request.transactionalId !== null) {
    return broker.transactions.initProducerId(request.transactionalId, request.transactionTimeoutMs);
  }
  const producerId = await broker.storage.nextProducerId();
  return { errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
}
