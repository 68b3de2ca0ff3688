/**
 * DescribeGroups (key 15), versions 0-4.
 *
 * DescribeGroups Request (Version: 0-4) => [groups] include_authorized_operations*
 *   groups => STRING
 *   include_authorized_operations => BOOLEAN  (* v3+)
 *
 * DescribeGroups Response (Version: 0-4) => throttle_time_ms** [groups]
 *   throttle_time_ms => INT32                 (** v1+)
 *   groups => error_code group_id group_state protocol_type protocol_data [members]
 *             authorized_operations*
 *     error_code => INT16
 *     group_id => STRING
 *     group_state => STRING
 *     protocol_type => STRING
 *     protocol_data => STRING
 *     members => member_id group_instance_id*** client_id client_host member_metadata member_assignment
 *       member_id => STRING
 *       group_instance_id => NULLABLE_STRING  (*** v4+)
 *       client_id => STRING
 *       client_host => STRING
 *       member_metadata => BYTES
 *       member_assignment => BYTES
 *     authorized_operations => INT32          (* v3+)
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';
import { OPERATIONS_OMITTED } from './metadata';

export interface DescribeGroupsRequest {
  readonly groups: readonly string[];
}

export function decodeDescribeGroupsRequest(reader: Reader, version: number): DescribeGroupsRequest {
  const groups = reader.array((r) => r.string());
  if (version >= 3) reader.boolean();
  reader.taggedFields();
  return { groups };
}

export interface DescribedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly memberMetadata: Buffer;
  readonly memberAssignment: Buffer;
}

export interface DescribedGroup {
  readonly errorCode: number;
  readonly groupId: string;
  readonly groupState: string;
  readonly protocolType: string;
  readonly protocolData: string;
  readonly members: readonly DescribedMember[];
}

export interface DescribeGroupsResponse {
  readonly groups: readonly DescribedGroup[];
}

export function encodeDescribeGroupsResponse(
  writer: Writer,
  version: number,
  response: DescribeGroupsResponse,
): void {
  if (version >= 1) writer.int32(0);
  writer.array(response.groups, (w, group) => {
    w.int16(group.errorCode).string(group.groupId).string(group.groupState);
    w.string(group.protocolType).string(group.protocolData);
    w.array(group.members, (mw, member) => {
      mw.string(member.memberId);
      if (version >= 4) mw.nullableString(member.groupInstanceId);
      mw.string(member.clientId).string(member.clientHost);
      mw.bytes(member.memberMetadata).bytes(member.memberAssignment).taggedFields();
    });
    if (version >= 3) w.int32(OPERATIONS_OMITTED);
    w.taggedFields();
  });
  writer.taggedFields();
}
