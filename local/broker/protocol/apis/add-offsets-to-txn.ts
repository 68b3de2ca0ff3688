/**
 * AddOffsetsToTxn (key 25), versions 0-1 (v1: same fields; v3+ flexible).
 *
 * AddOffsetsToTxn Request (Version: 0-1) => transactional_id producer_id producer_epoch group_id
 *   transactional_id => STRING
 *   producer_id => INT64
 *   producer_epoch => INT16
 *   group_id => STRING
 *
 * AddOffsetsToTxn Response (Version: 0-1) => throttle_time_ms error_code
 *   throttle_time_ms => INT32
 *   error_code => INT16
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface AddOffsetsToTxnRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly groupId: string;
}

export function decodeAddOffsetsToTxnRequest(reader: Reader, _version: number): AddOffsetsToTxnRequest {
  return {
    transactionalId: reader.string(),
    producerId: reader.int64(),
    producerEpoch: reader.int16(),
    groupId: reader.string(),
  };
}

/** AddOffsetsToTxn and EndTxn answer with a throttle time and one error code. */
export interface TransactionErrorResponse {
  readonly errorCode: number;
}

export function encodeTransactionErrorResponse(
  writer: Writer,
  _version: number,
  response: TransactionErrorResponse,
): void {
  writer.int32(0).int16(response.errorCode);
}
