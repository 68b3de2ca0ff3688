/**
 * Fetch (key 1), versions 4-12 (v12 flexible: compact strings/arrays/records and TAG_BUFFERs).
 *
 * Fetch Request (Version: 4-11) => replica_id max_wait_ms min_bytes max_bytes isolation_level
 *                                  session_id* session_epoch* [topics] [forgotten_topics_data]* rack_id***
 *   replica_id => INT32
 *   max_wait_ms => INT32
 *   min_bytes => INT32
 *   max_bytes => INT32
 *   isolation_level => INT8
 *   session_id => INT32                      (* v7+)
 *   session_epoch => INT32                   (* v7+)
 *   topics => topic [partitions]
 *     topic => STRING
 *     partitions => partition current_leader_epoch** fetch_offset last_fetched_epoch***** log_start_offset****
 *                   partition_max_bytes
 *       partition => INT32
 *       current_leader_epoch => INT32        (** v9+)
 *       fetch_offset => INT64
 *       last_fetched_epoch => INT32          (***** v12+)
 *       log_start_offset => INT64            (**** v5+)
 *       partition_max_bytes => INT32
 *   forgotten_topics_data => topic [partitions]   (* v7+)
 *     topic => STRING
 *     partitions => INT32
 *   rack_id => STRING                        (*** v11+)
 *
 * Fetch Response (Version: 4-11) => throttle_time_ms error_code* session_id* [responses]
 *   throttle_time_ms => INT32
 *   error_code => INT16                      (* v7+)
 *   session_id => INT32                      (* v7+)
 *   responses => topic [partitions]
 *     topic => STRING
 *     partitions => partition_index error_code high_watermark last_stable_offset log_start_offset****
 *                   [aborted_transactions] preferred_read_replica*** records
 *       partition_index => INT32
 *       error_code => INT16
 *       high_watermark => INT64
 *       last_stable_offset => INT64
 *       log_start_offset => INT64            (**** v5+)
 *       aborted_transactions => producer_id first_offset   (nullable array)
 *         producer_id => INT64
 *         first_offset => INT64
 *       preferred_read_replica => INT32      (*** v11+)
 *       records => RECORDS (NULLABLE_BYTES)
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface FetchPartition {
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly partitionMaxBytes: number;
}

export interface FetchTopic {
  readonly topic: string;
  readonly partitions: readonly FetchPartition[];
}

export interface FetchRequest {
  readonly replicaId: number;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly isolationLevel: number;
  readonly sessionId: number;
  readonly sessionEpoch: number;
  readonly topics: readonly FetchTopic[];
}

export function decodeFetchRequest(reader: Reader, version: number): FetchRequest {
  const replicaId = reader.int32();
  const maxWaitMs = reader.int32();
  const minBytes = reader.int32();
  const maxBytes = reader.int32();
  const isolationLevel = reader.int8();
  const sessionId = version >= 7 ? reader.int32() : 0;
  const sessionEpoch = version >= 7 ? reader.int32() : -1;
  const topics = reader.array((r) => {
    const topic = r.string();
    const partitions = r.array((p) => {
      const partition = p.int32();
      if (version >= 9) p.int32();
      const fetchOffset = p.int64();
      if (version >= 12) p.int32();
      if (version >= 5) p.int64();
      const partitionMaxBytes = p.int32();
      p.taggedFields();
      return { partition, fetchOffset, partitionMaxBytes };
    });
    r.taggedFields();
    return { topic, partitions };
  });
  if (version >= 7) {
    reader.array((r) => {
      r.string();
      r.array((p) => p.int32());
      r.taggedFields();
    });
  }
  if (version >= 11) reader.string();
  reader.taggedFields();
  return { replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics };
}

/** A transaction a read_committed consumer drops: records of the producer from first_offset on. */
export interface FetchAbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

export interface FetchPartitionResponse {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  readonly logStartOffset: bigint;
  readonly abortedTransactions: readonly FetchAbortedTransaction[];
  /** Whole record batches, written one after the other without copying. */
  readonly batches: readonly Buffer[];
}

export interface FetchTopicResponse {
  readonly topic: string;
  readonly partitions: readonly FetchPartitionResponse[];
}

export interface FetchResponse {
  readonly errorCode: number;
  readonly sessionId: number;
  readonly topics: readonly FetchTopicResponse[];
}

export function encodeFetchResponse(writer: Writer, version: number, response: FetchResponse): void {
  writer.int32(0);
  if (version >= 7) writer.int16(response.errorCode).int32(response.sessionId);
  writer.array(response.topics, (w, topic) => {
    w.string(topic.topic);
    w.array(topic.partitions, (pw, partition) => {
      pw.int32(partition.partition).int16(partition.errorCode);
      pw.int64(partition.highWatermark).int64(partition.lastStableOffset);
      if (version >= 5) pw.int64(partition.logStartOffset);
      pw.array(partition.abortedTransactions, (aw, aborted) => {
        aw.int64(aborted.producerId).int64(aborted.firstOffset).taggedFields();
      });
      if (version >= 11) pw.int32(-1);
      pw.concatenatedBytes(partition.batches);
      pw.taggedFields();
    });
    w.taggedFields();
  });
  writer.taggedFields();
}
