/**
 * InitProducerId (key 22), versions 0-3 (v2+ flexible).
 *
 * InitProducerId Request (Version: 0-3) => transactional_id transaction_timeout_ms producer_id* producer_epoch*
 *   transactional_id => NULLABLE_STRING
 *   transaction_timeout_ms => INT32
 *   producer_id => INT64                      (* v3+, KIP-360: the id a producer already has, or -1)
 *   producer_epoch => INT16                   (* v3+)
 *
 * InitProducerId Response (Version: 0-3) => throttle_time_ms error_code producer_id producer_epoch
 *   throttle_time_ms => INT32
 *   error_code => INT16
 *   producer_id => INT64
 *   producer_epoch => INT16
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface InitProducerIdRequest {
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
}

export function decodeInitProducerIdRequest(reader: Reader, version: number): InitProducerIdRequest {
  const transactionalId = reader.nullableString();
  const transactionTimeoutMs = reader.int32();
  if (version >= 3) {
    reader.int64();
    reader.int16();
  }
  reader.taggedFields();
  return { transactionalId, transactionTimeoutMs };
}

export interface InitProducerIdResponse {
  readonly errorCode: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export function encodeInitProducerIdResponse(
  writer: Writer,
  _version: number,
  response: InitProducerIdResponse,
): void {
  writer.int32(0).int16(response.errorCode).int64(response.producerId).int16(response.producerEpoch);
  writer.taggedFields();
}
