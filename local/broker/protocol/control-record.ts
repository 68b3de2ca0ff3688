/**
 * Transaction markers: the control records a transaction coordinator writes to every partition of a
 * transaction when it ends (KIP-98; Apache Kafka's EndTransactionMarker and ControlRecordType).
 *
 * A marker is a batch of one record with attributes transactional (bit 4) and control (bit 5), the
 * producer id and epoch of the transaction, and base sequence -1:
 *   key   => version INT16 (0), type INT16 (0 = ABORT, 1 = COMMIT)
 *   value => version INT16 (0), coordinator_epoch INT32
 */
import { decodeRecordBatch, encodeRecordBatch } from './record-batch';

export type TransactionResult = 'commit' | 'abort';

export interface TransactionMarker {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly result: TransactionResult;
  readonly coordinatorEpoch: number;
  readonly timestamp: bigint;
}

const CONTROL_RECORD_VERSION = 0;
const ABORT = 0;
const COMMIT = 1;

export function encodeTransactionMarker(marker: TransactionMarker): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(CONTROL_RECORD_VERSION, 0);
  key.writeInt16BE(marker.result === 'commit' ? COMMIT : ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(CONTROL_RECORD_VERSION, 0);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  return encodeRecordBatch({
    records: [{ key, value }],
    baseTimestamp: marker.timestamp,
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
  });
}

/**
 * What a stored control batch says: commit, abort, or undefined for a control record of another type
 * (Kafka defines no other today and skips unknown ones).
 */
export function transactionResultOf(controlBatch: Buffer): TransactionResult | undefined {
  const key = decodeRecordBatch(controlBatch)[0]?.key;
  if (!key || key.length < 4) return undefined;
  const type = key.readInt16BE(2);
  if (type === COMMIT) return 'commit';
  if (type === ABORT) return 'abort';
  return undefined;
}
