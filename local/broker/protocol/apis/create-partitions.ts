/**
 * CreatePartitions (key 37), versions 0-3 (flexible from 2; v1-3 have the v0 shapes).
 *
 * CreatePartitions Request (Version: 0-3) => [topics] timeout_ms validate_only
 *   topics => name count [assignments]
 *     name => STRING
 *     count => INT32                          (the new total number of partitions)
 *     assignments => [broker_ids]             (nullable: null lets the broker place the new partitions)
 *       broker_ids => INT32
 *   timeout_ms => INT32
 *   validate_only => BOOLEAN
 *
 * CreatePartitions Response (Version: 0-3) => throttle_time_ms [results]
 *   throttle_time_ms => INT32
 *   results => name error_code error_message
 *     name => STRING
 *     error_code => INT16
 *     error_message => NULLABLE_STRING
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface CreatePartitionsTopic {
  readonly name: string;
  readonly count: number;
  /** One broker list per new partition, or null. */
  readonly assignments: readonly (readonly number[])[] | null;
}

export interface CreatePartitionsRequest {
  readonly topics: readonly CreatePartitionsTopic[];
  readonly timeoutMs: number;
  readonly validateOnly: boolean;
}

export function decodeCreatePartitionsRequest(reader: Reader, _version: number): CreatePartitionsRequest {
  const topics = reader.array((r) => {
    const name = r.string();
    const count = r.int32();
    const assignments = r.nullableArray((a) => {
      const brokerIds = a.array((b) => b.int32());
      a.taggedFields();
      return brokerIds;
    });
    r.taggedFields();
    return { name, count, assignments };
  });
  const timeoutMs = reader.int32();
  const validateOnly = reader.boolean();
  reader.taggedFields();
  return { topics, timeoutMs, validateOnly };
}

export interface CreatePartitionsResult {
  readonly name: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface CreatePartitionsResponse {
  readonly results: readonly CreatePartitionsResult[];
}

export function encodeCreatePartitionsResponse(
  writer: Writer,
  _version: number,
  response: CreatePartitionsResponse,
): void {
  writer.int32(0);
  writer.array(response.results, (w, result) => {
    w.string(result.name).int16(result.errorCode).nullableString(result.errorMessage).taggedFields();
  });
  writer.taggedFields();
}
