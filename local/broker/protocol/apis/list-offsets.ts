/**
 * ListOffsets (key 2), versions 0-5.
 *
 * ListOffsets Request (Version: 0-3) => replica_id isolation_level** [topics]
 *   replica_id => INT32
 *   isolation_level => INT8                   (** v2+)
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index current_leader_epoch**** timestamp max_num_offsets*
 *       partition_index => INT32
 *       current_leader_epoch => INT32         (**** v4+)
 *       timestamp => INT64                    (-1 latest, -2 earliest)
 *       max_num_offsets => INT32              (* v0 only)
 *
 * ListOffsets Response (Version: 0-3) => throttle_time_ms** [topics]
 *   throttle_time_ms => INT32                 (** v2+)
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index error_code old_style_offsets* timestamp*** offset*** leader_epoch****
 *       partition_index => INT32
 *       error_code => INT16
 *       old_style_offsets => [INT64]          (* v0 only)
 *       timestamp => INT64                    (*** v1+)
 *       offset => INT64                       (*** v1+)
 *       leader_epoch => INT32                 (**** v4+)
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface ListOffsetsPartition {
  readonly partitionIndex: number;
  readonly timestamp: bigint;
  readonly maxNumOffsets: number;
}

export interface ListOffsetsRequest {
  readonly replicaId: number;
  readonly isolationLevel: number;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly ListOffsetsPartition[] }[];
}

export function decodeListOffsetsRequest(reader: Reader, version: number): ListOffsetsRequest {
  const replicaId = reader.int32();
  const isolationLevel = version >= 2 ? reader.int8() : 0;
  const topics = reader.array((r) => {
    const name = r.string();
    const partitions = r.array((p) => {
      const partitionIndex = p.int32();
      if (version >= 4) p.int32();
      const timestamp = p.int64();
      const maxNumOffsets = version === 0 ? p.int32() : 1;
      return { partitionIndex, timestamp, maxNumOffsets };
    });
    return { name, partitions };
  });
  return { replicaId, isolationLevel, topics };
}

export interface ListOffsetsPartitionResponse {
  readonly partitionIndex: number;
  readonly errorCode: number;
  readonly timestamp: bigint;
  /** -1 when no offset matches the timestamp. */
  readonly offset: bigint;
}

export interface ListOffsetsResponse {
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly ListOffsetsPartitionResponse[];
  }[];
}

export function encodeListOffsetsResponse(
  writer: Writer,
  version: number,
  response: ListOffsetsResponse,
): void {
  if (version >= 2) writer.int32(0);
  writer.array(response.topics, (w, topic) => {
    w.string(topic.name);
    w.array(topic.partitions, (pw, partition) => {
      pw.int32(partition.partitionIndex).int16(partition.errorCode);
      if (version === 0) {
        const offsets = partition.errorCode === 0 && partition.offset >= 0n ? [partition.offset] : [];
        pw.array(offsets, (ow, offset) => ow.int64(offset));
      } else {
        pw.int64(partition.timestamp).int64(partition.offset);
      }
      // One broker, never re-elected: every partition is in leader epoch 0.
      if (version >= 4) pw.int32(partition.errorCode === 0 ? 0 : -1);
    });
  });
}
