/** Consumer-group requests, answered by the group coordinator (this broker for every group). */
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../protocol/apis/describe-groups';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../protocol/apis/find-coordinator';
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/apis/heartbeat';
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/apis/join-group';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/apis/leave-group';
import type { ListGroupsResponse } from '../../protocol/apis/list-groups';
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/apis/sync-group';
import { ErrorCode } from '../../protocol/error-codes';
import type { BrokerContext, RequestContext } from '../context';

export function handleFindCoordinator(
  request: FindCoordinatorRequest,
  broker: BrokerContext,
): FindCoordinatorResponse {
  const { host, port } = broker.advertised();
  const valid = request.keyType === 0 || request.keyType === 1;
  return {
    coordinators: request.keys.map((key) =>
      valid
        ? { key, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: broker.config.nodeId, host, port }
        : {
            key,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `key type must be 0 (group) or 1 (transaction), got ${request.keyType}`,
            nodeId: -1,
            host: '',
            port: -1,
          },
    ),
  };
}

export function handleJoinGroup(
  request: JoinGroupRequest,
  broker: BrokerContext,
  context: RequestContext,
): Promise<JoinGroupResponse> {
  return broker.groups.join(request, {
    version: context.header.apiVersion,
    clientId: context.header.clientId ?? '',
    clientHost: context.clientHost,
  });
}

export function handleSyncGroup(
  request: SyncGroupRequest,
  broker: BrokerContext,
): Promise<SyncGroupResponse> {
  return broker.groups.sync(request);
}

export function handleHeartbeat(request: HeartbeatRequest, broker: BrokerContext): HeartbeatResponse {
  return {
    errorCode: broker.groups.heartbeat(
      request.groupId,
      request.memberId,
      request.groupInstanceId,
      request.generationId,
    ),
  };
}

export function handleLeaveGroup(
  request: LeaveGroupRequest,
  broker: BrokerContext,
  context: RequestContext,
): LeaveGroupResponse {
  const errors = broker.groups.leave(request.groupId, request.members);
  const members = request.members.map((member, i) => ({ ...member, errorCode: errors[i] ?? ErrorCode.NONE }));
  // Before v3 one member leaves and its error is the response's; v3 reports per member.
  const errorCode =
    context.header.apiVersion < 3 ? (members[0]?.errorCode ?? ErrorCode.NONE) : ErrorCode.NONE;
  return { errorCode, members };
}

export function handleDescribeGroups(
  request: DescribeGroupsRequest,
  broker: BrokerContext,
): DescribeGroupsResponse {
  return { groups: request.groups.map((groupId) => broker.groups.describe(groupId)) };
}

export function handleListGroups(_request: undefined, broker: BrokerContext): ListGroupsResponse {
  const groups = broker.groups.list();
  const known = new Set(groups.map((group) => group.groupId));
  // Groups that only ever committed offsets (or were active before a restart) are listed too.
  for (const groupId of broker.storage.listCommittedGroups()) {
    if (!known.has(groupId)) groups.push({ groupId, protocolType: '' });
  }
  return { errorCode: ErrorCode.NONE, groups };
}
