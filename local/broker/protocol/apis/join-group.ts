/**
 * JoinGroup (key 11), versions 0-6 (v6: v5 in the flexible encodings).
 *
 * JoinGroup Request (Version: 0-5) => group_id session_timeout_ms rebalance_timeout_ms* member_id
 *                                     group_instance_id** protocol_type [protocols]
 *   group_id => STRING
 *   session_timeout_ms => INT32
 *   rebalance_timeout_ms => INT32             (* v1+)
 *   member_id => STRING
 *   group_instance_id => NULLABLE_STRING      (** v5+)
 *   protocol_type => STRING
 *   protocols => name metadata
 *     name => STRING
 *     metadata => BYTES
 *
 * JoinGroup Response (Version: 0-5) => throttle_time_ms*** error_code generation_id protocol_name leader
 *                                      member_id [members]
 *   throttle_time_ms => INT32                 (*** v2+)
 *   error_code => INT16
 *   generation_id => INT32
 *   protocol_name => STRING
 *   leader => STRING
 *   member_id => STRING
 *   members => member_id group_instance_id** metadata
 *     member_id => STRING
 *     group_instance_id => NULLABLE_STRING    (** v5+)
 *     metadata => BYTES
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinGroupRequest {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
}

export function decodeJoinGroupRequest(reader: Reader, version: number): JoinGroupRequest {
  const groupId = reader.string();
  const sessionTimeoutMs = reader.int32();
  // v0 has one timeout for both (KIP-62 split them in v1).
  const rebalanceTimeoutMs = version >= 1 ? reader.int32() : sessionTimeoutMs;
  const memberId = reader.string();
  const groupInstanceId = version >= 5 ? reader.nullableString() : null;
  const protocolType = reader.string();
  const protocols = reader.array((r) => {
    const name = r.string();
    const metadata = Buffer.from(r.bytes());
    r.taggedFields();
    return { name, metadata };
  });
  reader.taggedFields();
  return {
    groupId,
    sessionTimeoutMs,
    rebalanceTimeoutMs,
    memberId,
    groupInstanceId,
    protocolType,
    protocols,
  };
}

export interface JoinGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Buffer;
}

export interface JoinGroupResponse {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolName: string;
  readonly leader: string;
  readonly memberId: string;
  readonly members: readonly JoinGroupMember[];
}

export function encodeJoinGroupResponse(writer: Writer, version: number, response: JoinGroupResponse): void {
  if (version >= 2) writer.int32(0);
  writer.int16(response.errorCode).int32(response.generationId);
  writer.string(response.protocolName).string(response.leader).string(response.memberId);
  writer.array(response.members, (w, member) => {
    w.string(member.memberId);
    if (version >= 5) w.nullableString(member.groupInstanceId);
    w.bytes(member.metadata).taggedFields();
  });
  writer.taggedFields();
}
