/** Which handler serves which API key. ApiVersions is answered here, including its version fallback. */
import {
  addOffsetsToTxnPermission,
  addPartitionsToTxnPermission,
  alterConfigsPermission,
  createPartitionsPermission,
  createTopicsPermission,
  deleteTopicsPermission,
  describeConfigsPermission,
  describeGroupsPermission,
  endTxnPermission,
  fetchPermission,
  findCoordinatorPermission,
  guarded,
  type Handle,
  heartbeatPermission,
  initProducerIdPermission,
  joinGroupPermission,
  leaveGroupPermission,
  listGroupsPermission,
  listOffsetsPermission,
  metadataPermission,
  offsetCommitPermission,
  offsetFetchPermission,
  type Permission,
  producePermission,
  syncGroupPermission,
  txnOffsetCommitPermission,
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
import type { Writer } from '../protocol/writer';
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

/**
 * How a routed API is authorized on an IAM-authenticated connection: behind its permission rule, or, for
 * the SASL exchange itself, before there is a principal to check. A route can only be made one of these
 * two ways, so an API cannot be routed without saying which.
 */
export type Authorization = 'permission' | 'sasl-exchange';

interface Route {
  readonly handler: RequestHandler;
  readonly authorization: Authorization;
}

function authorized<Request, Response>(
  decode: (reader: Reader, version: number) => Request,
  permission: Permission<Request, Response>,
  handle: Handle<Request, Response>,
  encode: (writer: Writer, version: number, response: Response) => void,
): Route {
  return { handler: route(decode, guarded(permission, handle), encode), authorization: 'permission' };
}

function saslExchange(handler: RequestHandler): Route {
  return { handler, authorization: 'sasl-exchange' };
}

/** Each API's codec and handler; on an IAM-authenticated connection the handler sits behind its permission. */
const routes = new Map<number, Route>([
  [ApiKey.Produce, authorized(decodeProduceRequest, producePermission, handleProduce, encodeProduceResponse)],
  [ApiKey.Fetch, authorized(decodeFetchRequest, fetchPermission, handleFetch, encodeFetchResponse)],
  [
    ApiKey.ListOffsets,
    authorized(decodeListOffsetsRequest, listOffsetsPermission, handleListOffsets, encodeListOffsetsResponse),
  ],
  [
    ApiKey.Metadata,
    authorized(decodeMetadataRequest, metadataPermission, handleMetadata, encodeMetadataResponse),
  ],
  [
    ApiKey.OffsetCommit,
    authorized(
      decodeOffsetCommitRequest,
      offsetCommitPermission,
      handleOffsetCommit,
      encodeOffsetCommitResponse,
    ),
  ],
  [
    ApiKey.OffsetFetch,
    authorized(decodeOffsetFetchRequest, offsetFetchPermission, handleOffsetFetch, encodeOffsetFetchResponse),
  ],
  [
    ApiKey.FindCoordinator,
    authorized(
      decodeFindCoordinatorRequest,
      findCoordinatorPermission,
      handleFindCoordinator,
      encodeFindCoordinatorResponse,
    ),
  ],
  [
    ApiKey.JoinGroup,
    authorized(decodeJoinGroupRequest, joinGroupPermission, handleJoinGroup, encodeJoinGroupResponse),
  ],
  [
    ApiKey.Heartbeat,
    authorized(decodeHeartbeatRequest, heartbeatPermission, handleHeartbeat, encodeHeartbeatResponse),
  ],
  [
    ApiKey.LeaveGroup,
    authorized(decodeLeaveGroupRequest, leaveGroupPermission, handleLeaveGroup, encodeLeaveGroupResponse),
  ],
  [
    ApiKey.SyncGroup,
    authorized(decodeSyncGroupRequest, syncGroupPermission, handleSyncGroup, encodeSyncGroupResponse),
  ],
  [
    ApiKey.DescribeGroups,
    authorized(
      decodeDescribeGroupsRequest,
      describeGroupsPermission,
      handleDescribeGroups,
      encodeDescribeGroupsResponse,
    ),
  ],
  [ApiKey.ListGroups, authorized(noBody, listGroupsPermission, handleListGroups, encodeListGroupsResponse)],
  [
    ApiKey.CreateTopics,
    authorized(
      decodeCreateTopicsRequest,
      createTopicsPermission,
      handleCreateTopics,
      encodeCreateTopicsResponse,
    ),
  ],
  [
    ApiKey.DeleteTopics,
    authorized(
      decodeDeleteTopicsRequest,
      deleteTopicsPermission,
      handleDeleteTopics,
      encodeDeleteTopicsResponse,
    ),
  ],
  [
    ApiKey.InitProducerId,
    authorized(
      decodeInitProducerIdRequest,
      initProducerIdPermission,
      handleInitProducerId,
      encodeInitProducerIdResponse,
    ),
  ],
  [
    ApiKey.SaslHandshake,
    saslExchange(route(decodeSaslHandshakeRequest, handleSaslHandshake, encodeSaslHandshakeResponse)),
  ],
  [
    ApiKey.SaslAuthenticate,
    saslExchange(
      route(decodeSaslAuthenticateRequest, handleSaslAuthenticate, encodeSaslAuthenticateResponse),
    ),
  ],
  [
    ApiKey.AddPartitionsToTxn,
    authorized(
      decodeAddPartitionsToTxnRequest,
      addPartitionsToTxnPermission,
      handleAddPartitionsToTxn,
      encodeAddPartitionsToTxnResponse,
    ),
  ],
  [
    ApiKey.AddOffsetsToTxn,
    authorized(
      decodeAddOffsetsToTxnRequest,
      addOffsetsToTxnPermission,
      handleAddOffsetsToTxn,
      encodeTransactionErrorResponse,
    ),
  ],
  [
    ApiKey.EndTxn,
    authorized(decodeEndTxnRequest, endTxnPermission, handleEndTxn, encodeTransactionErrorResponse),
  ],
  [
    ApiKey.TxnOffsetCommit,
    authorized(
      decodeTxnOffsetCommitRequest,
      txnOffsetCommitPermission,
      handleTxnOffsetCommit,
      encodeTxnOffsetCommitResponse,
    ),
  ],
  [
    ApiKey.DescribeConfigs,
    authorized(
      decodeDescribeConfigsRequest,
      describeConfigsPermission,
      handleDescribeConfigs,
      encodeDescribeConfigsResponse,
    ),
  ],
  [
    ApiKey.AlterConfigs,
    authorized(
      decodeAlterConfigsRequest,
      alterConfigsPermission,
      handleAlterConfigs,
      encodeAlterConfigsResponse,
    ),
  ],
  [
    ApiKey.IncrementalAlterConfigs,
    authorized(
      decodeIncrementalAlterConfigsRequest,
      alterConfigsPermission,
      handleAlterConfigs,
      encodeAlterConfigsResponse,
    ),
  ],
  [
    ApiKey.CreatePartitions,
    authorized(
      decodeCreatePartitionsRequest,
      createPartitionsPermission,
      handleCreatePartitions,
      encodeCreatePartitionsResponse,
    ),
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
  const handler = routes.get(header.apiKey)?.handler;
  if (!api || !handler) return new CloseConnection(`unknown api key ${header.apiKey}`);
  if (header.apiVersion < api.minVersion || header.apiVersion > api.maxVersion) {
    return new CloseConnection(
      `${api.name} version ${header.apiVersion} is not supported, expected ${api.minVersion} to ${api.maxVersion}`,
    );
  }
  return handler;
}

/** How each routed API (by key) is authorized on an IAM-authenticated connection. */
export function routeAuthorizations(): ReadonlyMap<number, Authorization> {
  return new Map([...routes].map(([apiKey, { authorization }]) => [apiKey, authorization]));
}
