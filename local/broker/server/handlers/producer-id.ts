/** InitProducerId for idempotent producers: a fresh producer id, unique across restarts, epoch 0. */
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/apis/init-producer-id';
import { ErrorCode } from '../../protocol/error-codes';
import type { BrokerContext } from '../context';

export async function handleInitProducerId(
  request: InitProducerIdRequest,
  broker: BrokerContext,
): Promise<InitProducerIdResponse> {
  // Transactions are not served (no AddPartitionsToTxn/EndTxn): a transactional id is refused with a
  // fatal error rather than a producer that would fail later.
  if (request.transactionalId !== null) {
    return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
  }
  const producerId = await broker.storage.nextProducerId();
  return { errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
}
