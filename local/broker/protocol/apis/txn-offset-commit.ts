/**
 * TxnOffsetCommit (key 28), versions 0-2 (v3+ flexible, with the group's member and generation).
 *
 * TxnOffsetCommit Request (Version: 0-2) => transactional_id group_id producer_id producer_epoch [topics]
 *   transactional_id => STRING
 *   group_id => STRING
 *   producer_id => INT64
 *   producer_epoch => INT16
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index committed_offset committed_leader_epoch* committed_metadata
 *       partition_index => INT32
 *       committed_offset => INT64
 *       committed_leader_epoch => INT32       (* v2+)
 *       committed_metadata => NULLABLE_STRING
 *
 * TxnOffsetCommit Response (Version: 0-2) => throttle_time_ms [topics]
 *   throttle_time_ms => INT32
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index error_code
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';
import { encodeTopicPartitionResults, type TopicPartitionResults } from './add-partitions-to-txn';

export interface TxnOffsetCommitPartition {
  readonly partitionIndex: number;
  readonly committedOffset: bigint;
  readonly committedLeaderEpoch: number;
  readonly committedMetadata: string | null;
}

export interface TxnOffsetCommitRequest {
  readonly transactionalId: string;
  readonly groupId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly TxnOffsetCommitPartition[];
  }[];
}

export function decodeTxnOffsetCommitRequest(reader: Reader, version: number): TxnOffsetCommitRequest {
  const transactionalId = reader.string();
  const groupId = reader.string();
  const producerId = reader.int64();
  const producerEpoch = reader.int16();
  const topics = reader.array((r) => ({
    name: r.string(),
    partitions: r.array((p) => ({
      partitionIndex: p.int32(),
      committedOffset: p.int64(),
      committedLeaderEpoch: version >= 2 ? p.int32() : -1,
      committedMetadata: p.nullableString(),
    })),
  }));
  return { transactionalId, groupId, producerId, producerEpoch, topics };
}

export interface TxnOffsetCommitResponse {
  readonly topics: readonly TopicPartitionResults[];
}

export function encodeTxnOffsetCommitResponse(
  writer: Writer,
  _version: number,
  response: TxnOffsetCommitResponse,
): void {
  writer.int32(0);
  encodeTopicPartitionResults(writer, response.topics);
}
