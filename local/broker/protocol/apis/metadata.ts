/**
 * Metadata (key 3), versions 0-9 (v9: v8 in the flexible encodings).
 *
 * Metadata Request (Version: 0) => [topics]            (empty array = all topics)
 * Metadata Request (Version: 1-3) => [topics]          (nullable: null = all, empty = none)
 * Metadata Request (Version: 4-7) => [topics] allow_auto_topic_creation
 * Metadata Request (Version: 8) => [topics] allow_auto_topic_creation include_cluster_authorized_operations
 *                                  include_topic_authorized_operations
 *   topics => name
 *     name => STRING
 *   allow_auto_topic_creation => BOOLEAN
 *   include_cluster_authorized_operations => BOOLEAN
 *   include_topic_authorized_operations => BOOLEAN
 *
 * Metadata Response (Version: 0-8) => throttle_time_ms*** [brokers] cluster_id** controller_id* [topics]
 *                                     cluster_authorized_operations****
 *   throttle_time_ms => INT32                 (*** v3+)
 *   brokers => node_id host port rack*
 *     node_id => INT32
 *     host => STRING
 *     port => INT32
 *     rack => NULLABLE_STRING                 (* v1+)
 *   cluster_id => NULLABLE_STRING             (** v2+)
 *   controller_id => INT32                    (* v1+)
 *   topics => error_code name is_internal* [partitions] topic_authorized_operations****
 *     error_code => INT16
 *     name => STRING
 *     is_internal => BOOLEAN                  (* v1+)
 *     partitions => error_code partition_index leader_id leader_epoch***** [replica_nodes] [isr_nodes]
 *                   [offline_replicas]******
 *       error_code => INT16
 *       partition_index => INT32
 *       leader_id => INT32
 *       leader_epoch => INT32                 (***** v7+)
 *       replica_nodes => INT32
 *       isr_nodes => INT32
 *       offline_replicas => INT32             (****** v5+)
 *     topic_authorized_operations => INT32    (**** v8+)
 *   cluster_authorized_operations => INT32    (**** v8+)
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface MetadataRequest {
  /** null: every topic. */
  readonly topics: readonly string[] | null;
  readonly allowAutoTopicCreation: boolean;
}

export function decodeMetadataRequest(reader: Reader, version: number): MetadataRequest {
  const names = reader.nullableArray((r) => {
    const name = r.string();
    r.taggedFields();
    return name;
  });
  // v0 has no null: an empty list asks for every topic.
  const topics = version === 0 && names !== null && names.length === 0 ? null : names;
  // Before v4 there was no flag and brokers created topics whenever auto-creation was on.
  const allowAutoTopicCreation = version >= 4 ? reader.boolean() : true;
  if (version >= 8) {
    reader.boolean();
    reader.boolean();
  }
  reader.taggedFields();
  return { topics, allowAutoTopicCreation };
}

export interface MetadataBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface MetadataPartition {
  readonly errorCode: number;
  readonly partitionIndex: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicaNodes: readonly number[];
}

export interface MetadataTopic {
  readonly errorCode: number;
  readonly name: string;
  readonly partitions: readonly MetadataPartition[];
}

export interface MetadataResponse {
  readonly brokers: readonly MetadataBroker[];
  readonly clusterId: string;
  readonly controllerId: number;
  readonly topics: readonly MetadataTopic[];
}

/** Authorized operations are not computed (KIP-430): Kafka's "omitted" value, also sent by DescribeGroups. */
export const OPERATIONS_OMITTED = -2147483648;

export function encodeMetadataResponse(writer: Writer, version: number, response: MetadataResponse): void {
  if (version >= 3) writer.int32(0);
  writer.array(response.brokers, (w, broker) => {
    w.int32(broker.nodeId).string(broker.host).int32(broker.port);
    if (version >= 1) w.nullableString(null);
    w.taggedFields();
  });
  if (version >= 2) writer.nullableString(response.clusterId);
  if (version >= 1) writer.int32(response.controllerId);
  writer.array(response.topics, (w, topic) => {
    w.int16(topic.errorCode).string(topic.name);
    if (version >= 1) w.boolean(false);
    w.array(topic.partitions, (pw, partition) => {
      pw.int16(partition.errorCode).int32(partition.partitionIndex).int32(partition.leaderId);
      if (version >= 7) pw.int32(partition.leaderEpoch);
      pw.array(partition.replicaNodes, (nw, node) => nw.int32(node));
      pw.array(partition.replicaNodes, (nw, node) => nw.int32(node));
      if (version >= 5) pw.array([], () => {});
      pw.taggedFields();
    });
    if (version >= 8) w.int32(OPERATIONS_OMITTED);
    w.taggedFields();
  });
  if (version >= 8) writer.int32(OPERATIONS_OMITTED);
  writer.taggedFields();
}
