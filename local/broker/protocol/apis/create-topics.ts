/**
 * CreateTopics (key 19), versions 0-4.
 *
 * CreateTopics Request (Version: 0-4) => [topics] timeout_ms validate_only*
 *   topics => name num_partitions replication_factor [assignments] [configs]
 *     name => STRING
 *     num_partitions => INT32                 (-1: broker default, with v4+ semantics)
 *     replication_factor => INT16             (-1: broker default)
 *     assignments => partition_index [broker_ids]
 *       partition_index => INT32
 *       broker_ids => INT32
 *     configs => name value
 *       name => STRING
 *       value => NULLABLE_STRING
 *   timeout_ms => INT32
 *   validate_only => BOOLEAN                  (* v1+)
 *
 * CreateTopics Response (Version: 0-4) => throttle_time_ms** [topics]
 *   throttle_time_ms => INT32                 (** v2+)
 *   topics => name error_code error_message*
 *     name => STRING
 *     error_code => INT16
 *     error_message => NULLABLE_STRING        (* v1+)
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface CreatableTopic {
  readonly name: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly assignments: readonly { readonly partitionIndex: number; readonly brokerIds: readonly number[] }[];
  readonly configs: readonly { readonly name: string; readonly value: string | null }[];
}

export interface CreateTopicsRequest {
  readonly topics: readonly CreatableTopic[];
  readonly timeoutMs: number;
  readonly validateOnly: boolean;
}

export function decodeCreateTopicsRequest(reader: Reader, version: number): CreateTopicsRequest {
  const topics = reader.array((r) => {
    const name = r.string();
    const numPartitions = r.int32();
    const replicationFactor = r.int16();
    const assignments = r.array((a) => {
      const partitionIndex = a.int32();
      const brokerIds = a.array((b) => b.int32());
      a.taggedFields();
      return { partitionIndex, brokerIds };
    });
    const configs = r.array((c) => {
      const configName = c.string();
      const value = c.nullableString();
      c.taggedFields();
      return { name: configName, value };
    });
    r.taggedFields();
    return { name, numPartitions, replicationFactor, assignments, configs };
  });
  const timeoutMs = reader.int32();
  const validateOnly = version >= 1 ? reader.boolean() : false;
  reader.taggedFields();
  return { topics, timeoutMs, validateOnly };
}

export interface CreateTopicsResponse {
  readonly topics: readonly {
    readonly name: string;
    readonly errorCode: number;
    readonly errorMessage: string | null;
  }[];
}

export function encodeCreateTopicsResponse(
  writer: Writer,
  version: number,
  response: CreateTopicsResponse,
): void {
  if (version >= 2) writer.int32(0);
  writer.array(response.topics, (w, topic) => {
    w.string(topic.name).int16(topic.errorCode);
    if (version >= 1) w.nullableString(topic.errorMessage);
    w.taggedFields();
  });
  writer.taggedFields();
}
