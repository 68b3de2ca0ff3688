/**
 * Heartbeat (key 12), versions 0-4 (v4: v3 in the flexible encodings).
 *
 * Heartbeat Request (Version: 0-3) => group_id generation_id member_id group_instance_id*
 *   group_id => STRING
 *   generation_id => INT32
 *   member_id => STRING
 *   group_instance_id => NULLABLE_STRING      (* v3+)
 *
 * Heartbeat Response (Version: 0-3) => throttle_time_ms** error_code
 *   throttle_time_ms => INT32                 (** v1+)
 *   error_code => INT16
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface HeartbeatRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export function decodeHeartbeatRequest(reader: Reader, version: number): HeartbeatRequest {
  const groupId = reader.string();
  const generationId = reader.int32();
  const memberId = reader.string();
  const groupInstanceId = version >= 3 ? reader.nullableString() : null;
  reader.taggedFields();
  return { groupId, generationId, memberId, groupInstanceId };
}

export interface HeartbeatResponse {
  readonly errorCode: number;
}

export function encodeHeartbeatResponse(writer: Writer, version: number, response: HeartbeatResponse): void {
  if (version >= 1) writer.int32(0);
  writer.int16(response.errorCode).taggedFields();
}
