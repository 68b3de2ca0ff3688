/**
 * EndTxn (key 26), versions 0-1 (v1: same fields; v3+ flexible).
 *
 * EndTxn Request (Version: 0-1) => transactional_id producer_id producer_epoch committed
 *   transactional_id => STRING
 *   producer_id => INT64
 *   producer_epoch => INT16
 *   committed => BOOLEAN                      (true: commit, false: abort)
 *
 * EndTxn Response (Version: 0-1) => throttle_time_ms error_code   (see add-offsets-to-txn.ts)
 */
import type { Reader } from '../reader';

export interface EndTxnRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly committed: boolean;
}

export function decodeEndTxnRequest(reader: Reader, _version: number): EndTxnRequest {
  return {
    transactionalId: reader.string(),
    producerId: reader.int64(),
    producerEpoch: reader.int16(),
    committed: reader.boolean(),
  };
}
