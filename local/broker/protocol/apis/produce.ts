/**
 * Produce (key 0), versions 3-8 (v3+ carries record batch v2, which idempotence requires).
 *
 * Produce Request (Version: 3-8) => transactional_id acks timeout_ms [topic_data]
 *   transactional_id => NULLABLE_STRING
 *   acks => INT16
 *   timeout_ms => INT32
 *   topic_data => name [partition_data]
 *     name => STRING
 *     partition_data => index records
 *       index => INT32
 *       records => RECORDS (NULLABLE_BYTES)
 *
 * Produce Response (Version: 3-8) => [responses] throttle_time_ms
 *   responses => name [partition_responses]
 *     name => STRING
 *     partition_responses => index error_code base_offset log_append_time_ms log_start_offset*
 *                            [record_errors]** error_message**
 *       index => INT32
 *       error_code => INT16
 *       base_offset => INT64
 *       log_append_time_ms => INT64
 *       log_start_offset => INT64                    (* v5+)
 *       record_errors => batch_index batch_index_error_message   (** v8+)
 *         batch_index => INT32
 *         batch_index_error_message => NULLABLE_STRING
 *       error_message => NULLABLE_STRING             (** v8+)
 *   throttle_time_ms => INT32
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface ProducePartitionData {
  readonly index: number;
  readonly records: Buffer | null;
}

export interface ProduceTopicData {
  readonly name: string;
  readonly partitions: readonly ProducePartitionData[];
}

export interface ProduceRequest {
  readonly transactionalId: string | null;
  readonly acks: number;
  readonly timeoutMs: number;
  readonly topics: readonly ProduceTopicData[];
}

export function decodeProduceRequest(reader: Reader, _version: number): ProduceRequest {
  const transactionalId = reader.nullableString();
  const acks = reader.int16();
  const timeoutMs = reader.int32();
  const topics = reader.array((r) => {
    const name = r.string();
    const partitions = r.array((p) => {
      const index = p.int32();
      const records = p.nullableBytes();
      p.taggedFields();
      return { index, records };
    });
    r.taggedFields();
    return { name, partitions };
  });
  reader.taggedFields();
  return { transactionalId, acks, timeoutMs, topics };
}

export interface ProducePartitionResponse {
  readonly index: number;
  readonly errorCode: number;
  readonly baseOffset: bigint;
  readonly logAppendTimeMs: bigint;
  readonly logStartOffset: bigint;
  readonly errorMessage: string | null;
}

export interface ProduceTopicResponse {
  readonly name: string;
  readonly partitions: readonly ProducePartitionResponse[];
}

export interface ProduceResponse {
  readonly topics: readonly ProduceTopicResponse[];
}

export function encodeProduceResponse(writer: Writer, version: number, response: ProduceResponse): void {
  writer.array(response.topics, (w, topic) => {
    w.string(topic.name);
    w.array(topic.partitions, (pw, partition) => {
      pw.int32(partition.index).int16(partition.errorCode).int64(partition.baseOffset);
      pw.int64(partition.logAppendTimeMs);
      if (version >= 5) pw.int64(partition.logStartOffset);
      if (version >= 8) {
        pw.array([], () => {});
        pw.nullableString(partition.errorMessage);
      }
      pw.taggedFields();
    });
    w.taggedFields();
  });
  writer.int32(0);
  writer.taggedFields();
}
