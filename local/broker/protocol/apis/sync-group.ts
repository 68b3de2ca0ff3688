/**
 * SyncGroup (key 14), versions 0-4 (v4: v3 in the flexible encodings).
 *
 * SyncGroup Request (Version: 0-3) => group_id generation_id member_id group_instance_id* [assignments]
 *   group_id => STRING
 *   generation_id => INT32
 *   member_id => STRING
 *   group_instance_id => NULLABLE_STRING      (* v3+)
 *   assignments => member_id assignment
 *     member_id => STRING
 *     assignment => BYTES
 *
 * SyncGroup Response (Version: 0-3) => throttle_time_ms** error_code assignment
 *   throttle_time_ms => INT32                 (** v1+)
 *   error_code => INT16
 *   assignment => BYTES
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface SyncGroupRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Buffer }[];
}

export function decodeSyncGroupRequest(reader: Reader, version: number): SyncGroupRequest {
  const groupId = reader.string();
  const generationId = reader.int32();
  const memberId = reader.string();
  const groupInstanceId = version >= 3 ? reader.nullableString() : null;
  const assignments = reader.array((r) => {
    const assignee = r.string();
    const assignment = Buffer.from(r.bytes());
    r.taggedFields();
    return { memberId: assignee, assignment };
  });
  reader.taggedFields();
  return { groupId, generationId, memberId, groupInstanceId, assignments };
}

export interface SyncGroupResponse {
  readonly errorCode: number;
  readonly assignment: Buffer;
}

export function encodeSyncGroupResponse(writer: Writer, version: number, response: SyncGroupResponse): void {
  if (version >= 1) writer.int32(0);
  writer.int16(response.errorCode).bytes(response.assignment).taggedFields();
}
