/**
 * OffsetFetch (key 9), versions 0-8 (v6+ flexible; v8 fetches for several groups at once, KIP-709).
 *
 * OffsetFetch Request (Version: 0-7) => group_id [topics] require_stable*
 * OffsetFetch Request (Version: 8) => [groups] require_stable
 *   groups => group_id [topics]
 *   group_id => STRING
 *   topics => name [partition_indexes]       (nullable from v2: null = every committed partition)
 *     name => STRING
 *     partition_indexes => INT32
 *   require_stable => BOOLEAN                 (* v7+)
 *
 * OffsetFetch Response (Version: 0-7) => throttle_time_ms*** [topics] error_code**
 * OffsetFetch Response (Version: 8) => throttle_time_ms [groups]
 *   throttle_time_ms => INT32                 (*** v3+)
 *   groups => group_id [topics] error_code
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index committed_offset committed_leader_epoch***** metadata error_code
 *       partition_index => INT32
 *       committed_offset => INT64             (-1 when nothing is committed)
 *       committed_leader_epoch => INT32       (***** v5+)
 *       metadata => NULLABLE_STRING
 *       error_code => INT16
 *   error_code => INT16                       (** v2+)
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface OffsetFetchTopics {
  readonly name: string;
  readonly partitionIndexes: readonly number[];
}

export interface OffsetFetchGroupRequest {
  readonly groupId: string;
  /** null: every partition the group has committed. */
  readonly topics: readonly OffsetFetchTopics[] | null;
}

export interface OffsetFetchRequest {
  /** One group before v8. */
  readonly groups: readonly OffsetFetchGroupRequest[];
}

function readTopics(reader: Reader): OffsetFetchTopics[] | null {
  return reader.nullableArray((r) => {
    const name = r.string();
    const partitionIndexes = r.array((p) => p.int32());
    r.taggedFields();
    return { name, partitionIndexes };
  });
}

export function decodeOffsetFetchRequest(reader: Reader, version: number): OffsetFetchRequest {
  if (version >= 8) {
    const groups = reader.array((r) => {
      const groupId = r.string();
      const topics = readTopics(r);
      r.taggedFields();
      return { groupId, topics };
    });
    reader.boolean();
    reader.taggedFields();
    return { groups };
  }
  const groupId = reader.string();
  const topics = readTopics(reader);
  if (version >= 7) reader.boolean();
  reader.taggedFields();
  return { groups: [{ groupId, topics }] };
}

export interface OffsetFetchPartitionResponse {
  readonly partitionIndex: number;
  readonly committedOffset: bigint;
  readonly committedLeaderEpoch: number;
  readonly metadata: string | null;
  readonly errorCode: number;
}

export interface OffsetFetchGroupResponse {
  readonly groupId: string;
  readonly errorCode: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly OffsetFetchPartitionResponse[];
  }[];
}

export interface OffsetFetchResponse {
  /** One per requested group; before v8 only the first is sent. */
  readonly groups: readonly OffsetFetchGroupResponse[];
}

function writeTopics(writer: Writer, version: number, group: OffsetFetchGroupResponse): void {
  writer.array(group.topics, (w, topic) => {
    w.string(topic.name);
    w.array(topic.partitions, (pw, partition) => {
      pw.int32(partition.partitionIndex).int64(partition.committedOffset);
      if (version >= 5) pw.int32(partition.committedLeaderEpoch);
      pw.nullableString(partition.metadata).int16(partition.errorCode).taggedFields();
    });
    w.taggedFields();
  });
}

export function encodeOffsetFetchResponse(
  writer: Writer,
  version: number,
  response: OffsetFetchResponse,
): void {
  if (version >= 3) writer.int32(0);
  if (version >= 8) {
    writer.array(response.groups, (w, group) => {
      w.string(group.groupId);
      writeTopics(w, version, group);
      w.int16(group.errorCode).taggedFields();
    });
  } else {
    const group = response.groups[0];
    if (!group) throw new RangeError('OffsetFetch before v8 answers exactly one group');
    writeTopics(writer, version, group);
    if (version >= 2) writer.int16(group.errorCode);
  }
  writer.taggedFields();
}
