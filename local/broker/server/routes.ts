/** Which handler serves which API key. ApiVersions is answered here, including its version fallback. */
import {
  createTopicsPermission,
  deleteTopicsPermission,
  describeGroupsPermission,
  fetchPermission,
  findCoordinatorPermission,
  guarded,
  heartbeatPermission,
  initProducerIdPermission,
  joinGroupPermission,
  leaveGroupPermission,
  listGroupsPermission,
  listOffsetsPermission,
  metadataPermission,
  offsetCommitPermission,
  offsetFetchPermission,
  producePermission,
  syncGroupPermission,
} from '../auth/kafka-permissions';
import { ApiKey, type ApiTable } from '../protocol/api-keys';
import {
  decodeAddOffsetsToTxnRequest,
  encodeTransactionErrorResponse,
} from '../protocol/apis/add-offsets-to-txn';
import {
  decodeAddPartitionsToTxnRequest,
  encodeAddPartitionsToTxnResponse,
} from '../protocol/apis/add-partitions-to-txn';
import {
  decodeAlterConfigsRequest,
  decodeIncrementalAlterConfigsRequest,
  encodeAlterConfigsResponse,
} from '../protocol/apis/alter-configs';
import { encodeApiVersionsResponse } from '../protocol/apis/api-versions';
import {
  decodeCreatePartitionsRequest,
  encodeCreatePartitionsResponse,
} from '../protocol/apis/create-partitions';
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse } from '../protocol/apis/create-topics';
import { decodeDeleteTopicsRequest, encodeDeleteTopicsResponse } from '../protocol/apis/delete-topics';
import {
  decodeDescribeConfigsRequest,
  encodeDescribeConfigsResponse,
} from '../protocol/apis/describe-configs';
import { decodeDescribeGroupsRequest, encodeDescribeGroupsResponse } from '../protocol/apis/describe-groups';
import { decodeEndTxnRequest } from '../protocol/apis/end-txn';
import { decodeFetchRequest, encodeFetchResponse } from '../protocol/apis/fetch';
import {
  decodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
} from '../protocol/apis/find-coordinator';
import { decodeHeartbeatRequest, encodeHeartbeatResponse } from '../protocol/apis/heartbeat';
import { decodeInitProducerIdRequest, encodeInitProducerIdResponse } from '../protocol/apis/init-producer-id';
import { decodeJoinGroupRequest, encodeJoinGroupResponse } from '../protocol/apis/join-group';
import { decodeLeaveGroupRequest, encodeLeaveGroupResponse } from '../protocol/apis/leave-group';
import { encodeListGroupsResponse } from '../protocol/apis/list-groups';
import { decodeListOffsetsRequest, encodeListOffsetsResponse } from '../protocol/apis/list-offsets';
import { decodeMetadataRequest, encodeMetadataResponse } from '../protocol/apis/metadata';
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from '../protocol/apis/offset-commit';
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse } from '../protocol/apis/offset-fetch';
import { decodeProduceRequest, encodeProduceResponse } from '../protocol/apis/produce';
import {
  decodeSaslAuthenticateRequest,
  encodeSaslAuthenticateResponse,
} from '../protocol/apis/sasl-authenticate';
import { decodeSaslHandshakeRequest, encodeSaslHandshakeResponse } from '../protocol/apis/sasl-handshake';
import { decodeSyncGroupRequest, encodeSyncGroupResponse } from '../protocol/apis/sync-group';
import {
  decodeTxnOffsetCommitRequest,
  encodeTxnOffsetCommitResponse,
} from '../protocol/apis/txn-offset-commit';
import { ErrorCode } from '../protocol/error-codes';
import { type RequestHeader, startResponse } from '../protocol/header';
import type { Reader } from '../protocol/reader';
import { CloseConnection, type RequestHandler, route } from './context';
import { handleAlterConfigs, handleDescribeConfigs } from './handlers/configs';
import { handleFetch } from './handlers/fetch';
import {
  handleDescribeGroups,
  handleFindCoordinator,
  handleHeartbeat,
  handleJoinGroup,
  handleLeaveGroup,
  handleListGroups,
  handleSyncGroup,
} from './handlers/groups';
import { handleListOffsets } from './handlers/list-offsets';
import { handleMetadata } from './handlers/metadata';
import { handleOffsetCommit, handleOffsetFetch } from './handlers/offsets';
import { handleCreatePartitions } from './handlers/partitions';
import { handleProduce } from './handlers/produce';
import { handleInitProducerId } from './handlers/producer-id';
import { handleSaslAuthenticate, handleSaslHandshake } from './handlers/sasl';
import { handleCreateTopics, handleDeleteTopics } from './handlers/topics';
import {
  handleAddOffsetsToTxn,
  handleAddPartitionsToTxn,
  handleEndTxn,
  handleTxnOffsetCommit,
} from './handlers/transactions';

const noBody = (_reader: Reader, _version: number): undefined => undefined;

/** Each API's codec and handler; on an IAM-authenticated connection the handler sits behind its permission. */
const handlers = new Map<number, RequestHandler>([
  [
    ApiKey.Produce,
    route(decodeProduceRequest, guarded(producePermission, handleProduce), encodeProduceResponse),
  ],
  [ApiKey.Fetch, route(decodeFetchRequest, guarded(fetchPermission, handleFetch), encodeFetchResponse)],
  [
    ApiKey.ListOffsets,
    route(
      decodeListOffsetsRequest,
      guarded(listOffsetsPermission, handleListOffsets),
      encodeListOffsetsResponse,
    ),
  ],
  [
    ApiKey.Metadata,
    route(decodeMetadataRequest, guarded(metadataPermission, handleMetadata), encodeMetadataResponse),
  ],
  [
    ApiKey.OffsetCommit,
    route(
      decodeOffsetCommitRequest,
      guarded(offsetCommitPermission, handleOffsetCommit),
      encodeOffsetCommitResponse,
    ),
  ],
  [
    ApiKey.OffsetFetch,
    route(
      decodeOffsetFetchRequest,
      guarded(offsetFetchPermission, handleOffsetFetch),
      encodeOffsetFetchResponse,
    ),
  ],
  [
    ApiKey.FindCoordinator,
    route(
      decodeFindCoordinatorRequest,
      guarded(findCoordinatorPermission, handleFindCoordinator),
      encodeFindCoordinatorResponse,
    ),
  ],
  [
    ApiKey.JoinGroup,
    route(decodeJoinGroupRequest, guarded(joinGroupPermission, handleJoinGroup), encodeJoinGroupResponse),
  ],
  [
    ApiKey.Heartbeat,
    route(decodeHeartbeatRequest, guarded(heartbeatPermission, handleHeartbeat), encodeHeartbeatResponse),
  ],
  [
    ApiKey.LeaveGroup,
    route(decodeLeaveGroupRequest, guarded(leaveGroupPermission, handleLeaveGroup), encodeLeaveGroupResponse),
  ],
  [
    ApiKey.SyncGroup,
    route(decodeSyncGroupRequest, guarded(syncGroupPermission, handleSyncGroup), encodeSyncGroupResponse),
  ],
  [
    ApiKey.DescribeGroups,
    route(
      decodeDescribeGroupsRequest,
      guarded(describeGroupsPermission, handleDescribeGroups),
      encodeDescribeGroupsResponse,
    ),
  ],
  [
    ApiKey.ListGroups,
    route(noBody, guarded(listGroupsPermission, handleListGroups), encodeListGroupsResponse),
  ],
  [
    ApiKey.CreateTopics,
    route(
      decodeCreateTopicsRequest,
      guarded(createTopicsPermission, handleCreateTopics),
      encodeCreateTopicsResponse,
    ),
  ],
  [
    ApiKey.DeleteTopics,
    route(
      decodeDeleteTopicsRequest,
      guarded(deleteTopicsPermission, handleDeleteTopics),
      encodeDeleteTopicsResponse,
    ),
  ],
  [
    ApiKey.InitProducerId,
    route(
      decodeInitProducerIdRequest,
      guarded(initProducerIdPermission, handleInitProducerId),
      encodeInitProducerIdResponse,
    ),
  ],
  [ApiKey.SaslHandshake, route(decodeSaslHandshakeRequest, handleSaslHandshake, encodeSaslHandshakeResponse)],
  [
    ApiKey.SaslAuthenticate,
    route(decodeSaslAuthenticateRequest, handleSaslAuthenticate, encodeSaslAuthenticateResponse),
  ],
  [
    ApiKey.AddPartitionsToTxn,
    route(decodeAddPartitionsToTxnRequest, handleAddPartitionsToTxn, encodeAddPartitionsToTxnResponse),
  ],
  [
    ApiKey.AddOffsetsToTxn,
    route(decodeAddOffsetsToTxnRequest, handleAddOffsetsToTxn, encodeTransactionErrorResponse),
  ],
  [ApiKey.EndTxn, route(decodeEndTxnRequest, handleEndTxn, encodeTransactionErrorResponse)],
  [
    ApiKey.TxnOffsetCommit,
    route(decodeTxnOffsetCommitRequest, handleTxnOffsetCommit, encodeTxnOffsetCommitResponse),
  ],
  [
    ApiKey.DescribeConfigs,
    route(decodeDescribeConfigsRequest, handleDescribeConfigs, encodeDescribeConfigsResponse),
  ],
  [ApiKey.AlterConfigs, route(decodeAlterConfigsRequest, handleAlterConfigs, encodeAlterConfigsResponse)],
  [
    ApiKey.IncrementalAlterConfigs,
    route(decodeIncrementalAlterConfigsRequest, handleAlterConfigs, encodeAlterConfigsResponse),
  ],
  [
    ApiKey.CreatePartitions,
    route(decodeCreatePartitionsRequest, handleCreatePartitions, encodeCreatePartitionsResponse),
  ],
]);

/**
 * ApiVersions. For a version it does not serve (librdkafka starts with v3), Kafka answers with a
 * v0-shaped body carrying UNSUPPORTED_VERSION and its own ApiVersions range, so the client retries
 * with a version both sides know (KIP-511; Apache Kafka's ApiVersionsRequest.getErrorResponse).
 */
function answerApiVersions(header: RequestHeader, apis: ApiTable): readonly Buffer[] {
  const range = apis.get(ApiKey.ApiVersions);
  if (range && apis.isSupported(header.apiKey, header.apiVersion)) {
    const writer = startResponse(header);
    encodeApiVersionsResponse(writer, header.apiVersion, { errorCode: ErrorCode.NONE, apiKeys: apis.apis });
    return writer.finishParts();
  }
  const writer = startResponse(header, false);
  encodeApiVersionsResponse(writer, 0, {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: range ? [range] : [],
  });
  return writer.finishParts();
}

/**
 * The handler for a request, or why the connection is closed instead: like Apache Kafka, which
 * cannot parse a request of an unknown API or version and closes the connection.
 */
export function handlerFor(header: RequestHeader, apis: ApiTable): RequestHandler | CloseConnection {
  if (header.apiKey === ApiKey.ApiVersions) return () => answerApiVersions(header, apis);
  const api = apis.get(header.apiKey);
  const handler = handlers.get(header.apiKey);
  if (!api || !handler) return new CloseConnection(`unknown api key ${header.apiKey}`);
  if (header.apiVersion < api.minVersion || header.apiVersion > api.maxVersion) {
    return new CloseConnection(
      `${api.name} version ${header.apiVersion} is not supported, expected ${api.minVersion} to ${api.maxVersion}`,
    );
  }
  return handler;
}
