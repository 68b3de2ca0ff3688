/**
 * AddPartitionsToTxn (key 24), versions 0-1 (v1: same fields; v3+ flexible).
 *
 * AddPartitionsToTxn Request (Version: 0-1) => transactional_id producer_id producer_epoch [topics]
 *   transactional_id => STRING
 *   producer_id => INT64
 *   producer_epoch => INT16
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => INT32
 *
 * AddPartitionsToTxn Response (Version: 0-1) => throttle_time_ms [results]
 *   throttle_time_ms => INT32
 *   results => name [results]
 *     name => STRING
 *     results => partition_index error_code
 *       partition_index => INT32
 *       error_code => INT16
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface TransactionTopicPartitions {
  readonly name: string;
  readonly partitions: readonly number[];
}

export interface AddPartitionsToTxnRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly topics: readonly TransactionTopicPartitions[];
}

export function decodeAddPartitionsToTxnRequest(reader: Reader, _version: number): AddPartitionsToTxnRequest {
  const transactionalId = reader.string();
  const producerId = reader.int64();
  const producerEpoch = reader.int16();
  const topics = reader.array((r) => ({ name: r.string(), partitions: r.array((p) => p.int32()) }));
  return { transactionalId, producerId, producerEpoch, topics };
}

export interface PartitionResult {
  readonly partitionIndex: number;
  readonly errorCode: number;
}

export interface TopicPartitionResults {
  readonly name: string;
  readonly results: readonly PartitionResult[];
}

export interface AddPartitionsToTxnResponse {
  readonly results: readonly TopicPartitionResults[];
}

/** The per-partition results layout, shared with TxnOffsetCommit's response. */
export function encodeTopicPartitionResults(writer: Writer, topics: readonly TopicPartitionResults[]): void {
  writer.array(topics, (w, topic) => {
    w.string(topic.name);
    w.array(topic.results, (pw, result) => {
      pw.int32(result.partitionIndex).int16(result.errorCode);
    });
  });
}

export function encodeAddPartitionsToTxnResponse(
  writer: Writer,
  _version: number,
  response: AddPartitionsToTxnResponse,
): void {
  writer.int32(0);
  encodeTopicPartitionResults(writer, response.results);
}
