/**
 * ListGroups (key 16), versions 0-2.
 *
 * ListGroups Request (Version: 0-2) => (empty)
 *
 * ListGroups Response (Version: 0-2) => throttle_time_ms* error_code [groups]
 *   throttle_time_ms => INT32                 (* v1+)
 *   error_code => INT16
 *   groups => group_id protocol_type
 *     group_id => STRING
 *     protocol_type => STRING
 */
import type { Writer } from '../writer';

export interface ListGroupsResponse {
  readonly errorCode: number;
  readonly groups: readonly { readonly groupId: string; readonly protocolType: string }[];
}

export function encodeListGroupsResponse(
  writer: Writer,
  version: number,
  response: ListGroupsResponse,
): void {
  if (version >= 1) writer.int32(0);
  writer.int16(response.errorCode);
  writer.array(response.groups, (w, group) => {
    w.string(group.groupId).string(group.protocolType).taggedFields();
  });
  writer.taggedFields();
}
