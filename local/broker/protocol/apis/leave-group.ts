/**
 * LeaveGroup (key 13), versions 0-4 (v4: v3 in the flexible encodings).
 *
 * LeaveGroup Request (Version: 0-2) => group_id member_id
 * LeaveGroup Request (Version: 3) => group_id [members]   (KIP-345: several members at once)
 *   group_id => STRING
 *   member_id => STRING
 *   members => member_id group_instance_id
 *     member_id => STRING
 *     group_instance_id => NULLABLE_STRING
 *
 * LeaveGroup Response (Version: 0) => error_code
 * LeaveGroup Response (Version: 1-2) => throttle_time_ms error_code
 * LeaveGroup Response (Version: 3) => throttle_time_ms error_code [members]
 *   throttle_time_ms => INT32
 *   error_code => INT16
 *   members => member_id group_instance_id error_code
 *     member_id => STRING
 *     group_instance_id => NULLABLE_STRING
 *     error_code => INT16
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface LeavingMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface LeaveGroupRequest {
  readonly groupId: string;
  readonly members: readonly LeavingMember[];
}

export function decodeLeaveGroupRequest(reader: Reader, version: number): LeaveGroupRequest {
  const groupId = reader.string();
  if (version < 3) return { groupId, members: [{ memberId: reader.string(), groupInstanceId: null }] };
  const members = reader.array((r) => {
    const memberId = r.string();
    const groupInstanceId = r.nullableString();
    r.taggedFields();
    return { memberId, groupInstanceId };
  });
  reader.taggedFields();
  return { groupId, members };
}

export interface LeaveGroupResponse {
  readonly errorCode: number;
  readonly members: readonly (LeavingMember & { readonly errorCode: number })[];
}

export function encodeLeaveGroupResponse(
  writer: Writer,
  version: number,
  response: LeaveGroupResponse,
): void {
  if (version >= 1) writer.int32(0);
  writer.int16(response.errorCode);
  if (version >= 3) {
    writer.array(response.members, (w, member) => {
      w.string(member.memberId).nullableString(member.groupInstanceId).int16(member.errorCode).taggedFields();
    });
  }
  writer.taggedFields();
}
