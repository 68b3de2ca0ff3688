/**
 * OffsetCommit (key 8), versions 0-8 (v8: v7 in the flexible encodings).
 *
 * OffsetCommit Request (Version: 0-7) => group_id generation_id* member_id* group_instance_id*****
 *                                        retention_time_ms** [topics]
 *   group_id => STRING
 *   generation_id => INT32                    (* v1+)
 *   member_id => STRING                       (* v1+)
 *   group_instance_id => NULLABLE_STRING      (***** v7+)
 *   retention_time_ms => INT64                (** v2-4)
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index committed_offset committed_leader_epoch**** commit_timestamp***
 *                   committed_metadata
 *       partition_index => INT32
 *       committed_offset => INT64
 *       committed_leader_epoch => INT32       (**** v6+)
 *       commit_timestamp => INT64             (*** v1 only)
 *       committed_metadata => NULLABLE_STRING
 *
 * OffsetCommit Response (Version: 0-7) => throttle_time_ms* [topics]
 *   throttle_time_ms => INT32                 (* v3+)
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index error_code
 *       partition_index => INT32
 *       error_code => INT16
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface OffsetCommitPartition {
  readonly partitionIndex: number;
  readonly committedOffset: bigint;
  readonly committedLeaderEpoch: number;
  readonly committedMetadata: string | null;
}

export interface OffsetCommitRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly OffsetCommitPartition[];
  }[];
}

export function decodeOffsetCommitRequest(reader: Reader, version: number): OffsetCommitRequest {
  const groupId = reader.string();
  const generationId = version >= 1 ? reader.int32() : -1;
  const memberId = version >= 1 ? reader.string() : '';
  const groupInstanceId = version >= 7 ? reader.nullableString() : null;
  if (version >= 2 && version <= 4) reader.int64();
  const topics = reader.array((r) => {
    const name = r.string();
    const partitions = r.array((p) => {
      const partitionIndex = p.int32();
      const committedOffset = p.int64();
      const committedLeaderEpoch = version >= 6 ? p.int32() : -1;
      if (version === 1) p.int64();
      const committedMetadata = p.nullableString();
      p.taggedFields();
      return { partitionIndex, committedOffset, committedLeaderEpoch, committedMetadata };
    });
    r.taggedFields();
    return { name, partitions };
  });
  reader.taggedFields();
  return { groupId, generationId, memberId, groupInstanceId, topics };
}

export interface OffsetCommitResponse {
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly { readonly partitionIndex: number; readonly errorCode: number }[];
  }[];
}

export function encodeOffsetCommitResponse(
  writer: Writer,
  version: number,
  response: OffsetCommitResponse,
): void {
  if (version >= 3) writer.int32(0);
  writer.array(response.topics, (w, topic) => {
    w.string(topic.name);
    w.array(topic.partitions, (pw, partition) => {
      pw.int32(partition.partitionIndex).int16(partition.errorCode).taggedFields();
    });
    w.taggedFields();
  });
  writer.taggedFields();
}
