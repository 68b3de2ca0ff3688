/**
 * Which MSK IAM action each Kafka request needs, on which resource, and the answer when it is denied.
 * MSK maps Kafka's ACL operations to `kafka-cluster:` actions (Amazon MSK developer guide, "Semantics of IAM
 * authorization policy actions and resources"): WRITE topic → WriteData, READ topic → ReadData, DESCRIBE
 * topic → DescribeTopic, CREATE / DELETE topic → CreateTopic / DeleteTopic, READ group → AlterGroup,
 * DESCRIBE group → DescribeGroup, IDEMPOTENT_WRITE cluster → WriteDataIdempotently, DESCRIBE cluster →
 * DescribeCluster, ALTER topic → AlterTopic, DESCRIBE_CONFIGS / ALTER_CONFIGS on a topic →
 * Describe/AlterTopicDynamicConfiguration and on the cluster → Describe/AlterClusterDynamicConfiguration,
 * DESCRIBE / WRITE transactional id → Describe/AlterTransactionalId. Which operation each API checks, and
 * the error it answers with, follow Apache Kafka's KafkaApis: a denied topic gets TOPIC_AUTHORIZATION_FAILED
 * (29) in its own entry, a denied group GROUP_AUTHORIZATION_FAILED (30), the cluster
 * CLUSTER_AUTHORIZATION_FAILED (31), a transactional id TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53).
 *
 * Each rule takes the decoded request and either answers it outright or hands the handler the part the
 * principal may touch, adding the refused entries to the handler's answer.
 */
import type { AddOffsetsToTxnRequest, TransactionErrorResponse } from '../protocol/apis/add-offsets-to-txn';
import type {
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
} from '../protocol/apis/add-partitions-to-txn';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../protocol/apis/alter-configs';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../protocol/apis/create-partitions';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/apis/create-topics';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../protocol/apis/delete-topics';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../protocol/apis/describe-configs';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/apis/describe-groups';
import type { EndTxnRequest } from '../protocol/apis/end-txn';
import type { FetchRequest, FetchResponse } from '../protocol/apis/fetch';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/apis/find-coordinator';
import type { HeartbeatRequest, HeartbeatResponse } from '../protocol/apis/heartbeat';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/apis/init-producer-id';
import type { JoinGroupRequest, JoinGroupResponse } from '../protocol/apis/join-group';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../protocol/apis/leave-group';
import type { ListGroupsResponse } from '../protocol/apis/list-groups';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../protocol/apis/list-offsets';
import type { MetadataRequest, MetadataResponse } from '../protocol/apis/metadata';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/apis/offset-commit';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/apis/offset-fetch';
import type { ProduceRequest, ProduceResponse } from '../protocol/apis/produce';
import type { SyncGroupRequest, SyncGroupResponse } from '../protocol/apis/sync-group';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../protocol/apis/txn-offset-commit';
import { ErrorCode } from '../protocol/error-codes';
import {
  type BrokerContext,
  CloseConnection,
  type HandlerResult,
  NO_RESPONSE,
  type RequestContext,
} from '../server/context';

export const KafkaAction = {
  Connect: 'kafka-cluster:Connect',
  DescribeCluster: 'kafka-cluster:DescribeCluster',
  WriteDataIdempotently: 'kafka-cluster:WriteDataIdempotently',
  CreateTopic: 'kafka-cluster:CreateTopic',
  DescribeTopic: 'kafka-cluster:DescribeTopic',
  DeleteTopic: 'kafka-cluster:DeleteTopic',
  AlterTopic: 'kafka-cluster:AlterTopic',
  DescribeTopicDynamicConfiguration: 'kafka-cluster:DescribeTopicDynamicConfiguration',
  AlterTopicDynamicConfiguration: 'kafka-cluster:AlterTopicDynamicConfiguration',
  DescribeClusterDynamicConfiguration: 'kafka-cluster:DescribeClusterDynamicConfiguration',
  AlterClusterDynamicConfiguration: 'kafka-cluster:AlterClusterDynamicConfiguration',
  ReadData: 'kafka-cluster:ReadData',
  WriteData: 'kafka-cluster:WriteData',
  DescribeGroup: 'kafka-cluster:DescribeGroup',
  AlterGroup: 'kafka-cluster:AlterGroup',
  DescribeTransactionalId: 'kafka-cluster:DescribeTransactionalId',
  AlterTransactionalId: 'kafka-cluster:AlterTransactionalId',
} as const;
export type KafkaActionName = (typeof KafkaAction)[keyof typeof KafkaAction];

/** What one authenticated connection may do: its principal's policy over this cluster's resources. */
export interface Access {
  readonly principalArn: string;
  readonly clusterArn: string;
  topicArn(topic: string): string;
  groupArn(group: string): string;
  transactionalIdArn(id: string): string;
  /**
   * Whether the policy allows the action on the resource. A refusal is logged with both, unless it only
   * leaves something out of a listing (Metadata or ListGroups for everything).
   */
  may(action: KafkaActionName, resource: string, listing?: 'listing'): boolean;
}

export type Admission<Request, Response> =
  | { readonly answer: HandlerResult<Response> }
  | { readonly request: Request; readonly finish?: (response: Response) => Response };

export type Permission<Request, Response> = (
  request: Request,
  access: Access,
) => Admission<Request, Response>;

export type Handle<Request, Response> = (
  request: Request,
  broker: BrokerContext,
  context: RequestContext,
) => HandlerResult<Response> | Promise<HandlerResult<Response>>;

/** The handler behind its permission rule; unchanged on a connection without IAM authentication. */
export function guarded<Request, Response>(
  permission: Permission<Request, Response>,
  handle: Handle<Request, Response>,
): Handle<Request, Response> {
  return (request, broker, context) => {
    if (!context.access) return handle(request, broker, context);
    const admission = permission(request, context.access);
    if ('answer' in admission) return admission.answer;
    const { finish } = admission;
    const result = handle(admission.request, broker, context);
    if (!finish) return result;
    const complete = (outcome: HandlerResult<Response>): HandlerResult<Response> =>
      outcome === NO_RESPONSE || outcome instanceof CloseConnection ? outcome : finish(outcome);
    return result instanceof Promise ? result.then(complete) : complete(result);
  };
}

/** Splits named items into those the principal may act on and those it may not. */
function split<T>(items: readonly T[], allowed: (item: T) => boolean): { allowed: T[]; denied: T[] } {
  const result = { allowed: [] as T[], denied: [] as T[] };
  for (const item of items) (allowed(item) ? result.allowed : result.denied).push(item);
  return result;
}

/** How one API's request lists the entries checked one by one, and how its response lists their answers. */
interface Entries<Request, Response, Item, Answer> {
  readonly items: readonly Item[];
  readonly allowed: (item: Item) => boolean;
  /** The answer for a refused entry. */
  readonly refuse: (item: Item) => Answer;
  /** The request with only the allowed entries. */
  readonly narrow: (allowed: Item[]) => Request;
  /** The response with these answers added (to `response`, or alone when nothing was allowed). */
  readonly answer: (refused: Answer[], response?: Response) => Response;
}

/**
 * Kafka answers each entry (topic, group, key) on its own: refused entries get their error, the handler
 * serves the others; when none is allowed the handler is not called at all.
 */
function perEntry<Request, Response, Item, Answer>(
  request: Request,
  entries: Entries<Request, Response, Item, Answer>,
): Admission<Request, Response> {
  const { allowed, denied } = split(entries.items, entries.allowed);
  if (denied.length === 0) return { request };
  const refused = denied.map(entries.refuse);
  if (allowed.length === 0) return { answer: entries.answer(refused) };
  return { request: entries.narrow(allowed), finish: (response) => entries.answer(refused, response) };
}

const DENIED_TOPIC = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const DENIED_GROUP = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const DENIED_CLUSTER = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
const DENIED_TRANSACTION = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;

/** Every request inside a transaction is Kafka's WRITE on its transactional id: AlterTransactionalId. */
const mayTransact = (access: Access, transactionalId: string) =>
  access.may(KafkaAction.AlterTransactionalId, access.transactionalIdArn(transactionalId));

/** The error message of a refused entry whose response has room for one. */
const notAllowed = (action: KafkaActionName, resource: string) => `${action} is not allowed on ${resource}`;

export const producePermission: Permission<ProduceRequest, ProduceResponse> = (request, access) => {
  const transactionDenied = request.transactionalId !== null && !mayTransact(access, request.transactionalId);
  const errorCode = transactionDenied ? DENIED_TRANSACTION : DENIED_TOPIC;
  const admission = perEntry(request, {
    items: request.topics,
    allowed: (topic) => !transactionDenied && access.may(KafkaAction.WriteData, access.topicArn(topic.name)),
    refuse: (topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({
        index: partition.index,
        errorCode,
        baseOffset: -1n,
        logAppendTimeMs: -1n,
        logStartOffset: -1n,
        errorMessage: null,
      })),
    }),
    narrow: (topics) => ({ ...request, topics }),
    answer: (refused, response?: ProduceResponse): ProduceResponse => ({
      topics: [...(response?.topics ?? []), ...refused],
    }),
  });
  // acks = 0: the producer expects no answer, refused or not.
  return 'answer' in admission && request.acks === 0 ? { answer: NO_RESPONSE } : admission;
};

export const fetchPermission: Permission<FetchRequest, FetchResponse> = (request, access) =>
  perEntry(request, {
    items: request.topics,
    allowed: (topic) => access.may(KafkaAction.ReadData, access.topicArn(topic.topic)),
    refuse: (topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((partition) => ({
        partition: partition.partition,
        errorCode: DENIED_TOPIC,
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
        abortedTransactions: [],
        batches: [],
      })),
    }),
    narrow: (topics) => ({ ...request, topics }),
    answer: (
      refused,
      response: FetchResponse = { errorCode: 0, sessionId: 0, topics: [] },
    ): FetchResponse => ({
      ...response,
      topics: [...response.topics, ...refused],
    }),
  });

export const listOffsetsPermission: Permission<ListOffsetsRequest, ListOffsetsResponse> = (request, access) =>
  perEntry(request, {
    items: request.topics,
    allowed: (topic) => access.may(KafkaAction.DescribeTopic, access.topicArn(topic.name)),
    refuse: (topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({
        partitionIndex: partition.partitionIndex,
        errorCode: DENIED_TOPIC,
        timestamp: -1n,
        offset: -1n,
      })),
    }),
    narrow: (topics) => ({ ...request, topics }),
    answer: (refused, response?: ListOffsetsResponse): ListOffsetsResponse => ({
      topics: [...(response?.topics ?? []), ...refused],
    }),
  });

/** Metadata for all topics lists only those the principal may describe, as Kafka does. */
export const metadataPermission: Permission<MetadataRequest, MetadataResponse> = (request, access) => {
  const describable = (name: string, listing?: 'listing') =>
    access.may(KafkaAction.DescribeTopic, access.topicArn(name), listing);
  if (request.topics === null) {
    return {
      request,
      finish: (response) => ({
        ...response,
        topics: response.topics.filter((topic) => describable(topic.name, 'listing')),
      }),
    };
  }
  // Not perEntry: even with every topic refused, the handler lists the brokers and the controller.
  const topics = split(request.topics, (name) => describable(name));
  if (topics.denied.length === 0) return { request };
  const refused = topics.denied.map((name) => ({ errorCode: DENIED_TOPIC, name, partitions: [] }));
  return {
    request: { ...request, topics: topics.allowed },
    finish: (response) => ({ ...response, topics: [...response.topics, ...refused] }),
  };
};

interface CommittedTopic {
  readonly name: string;
  readonly partitions: readonly { readonly partitionIndex: number }[];
}

/**
 * Committing offsets is Kafka's READ on the group (AlterGroup) and on each topic (ReadData); inside a
 * transaction also WRITE on its transactional id (AlterTransactionalId). A refused transactional id or
 * group refuses every entry; otherwise each topic is answered on its own.
 */
function offsetCommits<
  Request extends {
    readonly groupId: string;
    readonly transactionalId?: string;
    readonly topics: readonly CommittedTopic[];
  },
  Answer,
>(
  request: Request,
  access: Access,
  refuse: (topic: CommittedTopic, errorCode: number) => Answer,
): Admission<Request, { readonly topics: readonly Answer[] }> {
  const transactionAllowed =
    request.transactionalId === undefined || mayTransact(access, request.transactionalId);
  const groupAllowed =
    transactionAllowed && access.may(KafkaAction.AlterGroup, access.groupArn(request.groupId));
  const errorCode = !transactionAllowed ? DENIED_TRANSACTION : groupAllowed ? DENIED_TOPIC : DENIED_GROUP;
  return perEntry(request, {
    items: request.topics,
    allowed: (topic) => groupAllowed && access.may(KafkaAction.ReadData, access.topicArn(topic.name)),
    refuse: (topic) => refuse(topic, errorCode),
    narrow: (topics) => ({ ...request, topics }),
    answer: (refused, response) => ({ topics: [...(response?.topics ?? []), ...refused] }),
  });
}

/** Each refused partition with the error code. */
const refusedPartitions = (topic: CommittedTopic, errorCode: number) =>
  topic.partitions.map(({ partitionIndex }) => ({ partitionIndex, errorCode }));

export const offsetCommitPermission: Permission<OffsetCommitRequest, OffsetCommitResponse> = (
  request,
  access,
) =>
  offsetCommits<OffsetCommitRequest, OffsetCommitResponse['topics'][number]>(
    request,
    access,
    (topic, errorCode) => ({
      name: topic.name,
      partitions: refusedPartitions(topic, errorCode),
    }),
  );

export const txnOffsetCommitPermission: Permission<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = (
  request,
  access,
) =>
  offsetCommits<TxnOffsetCommitRequest, TxnOffsetCommitResponse['topics'][number]>(
    request,
    access,
    (topic, errorCode) => ({
      name: topic.name,
      results: refusedPartitions(topic, errorCode),
    }),
  );

export const offsetFetchPermission: Permission<OffsetFetchRequest, OffsetFetchResponse> = (request, access) =>
  perEntry(request, {
    items: request.groups,
    allowed: (group) => access.may(KafkaAction.DescribeGroup, access.groupArn(group.groupId)),
    refuse: (group) => ({ groupId: group.groupId, errorCode: DENIED_GROUP, topics: [] }),
    narrow: (groups) => ({ ...request, groups }),
    answer: (refused, response?: OffsetFetchResponse): OffsetFetchResponse => ({
      ...response,
      groups: [...(response?.groups ?? []), ...refused],
    }),
  });

/** FindCoordinator key types: 0 a consumer group, 1 a transactional id. */
export const findCoordinatorPermission: Permission<FindCoordinatorRequest, FindCoordinatorResponse> = (
  request,
  access,
) => {
  const allowed = (key: string) =>
    request.keyType === 1
      ? access.may(KafkaAction.DescribeTransactionalId, access.transactionalIdArn(key))
      : access.may(KafkaAction.DescribeGroup, access.groupArn(key));
  const errorCode = request.keyType === 1 ? DENIED_TRANSACTION : DENIED_GROUP;
  return perEntry(request, {
    items: request.keys,
    allowed,
    refuse: (key) => ({ key, errorCode, errorMessage: null, nodeId: -1, host: '', port: -1 }),
    narrow: (keys) => ({ ...request, keys }),
    answer: (refused, response?: FindCoordinatorResponse): FindCoordinatorResponse => ({
      coordinators: [...(response?.coordinators ?? []), ...refused],
    }),
  });
};

/** Joining, syncing, heartbeating and leaving a group are Kafka's READ on the group: AlterGroup. */
function groupMembership<Request extends { readonly groupId: string }, Response>(
  denied: (request: Request) => Response,
): Permission<Request, Response> {
  return (request, access) =>
    access.may(KafkaAction.AlterGroup, access.groupArn(request.groupId))
      ? { request }
      : { answer: denied(request) };
}

export const joinGroupPermission = groupMembership<JoinGroupRequest, JoinGroupResponse>((request) => ({
  errorCode: DENIED_GROUP,
  generationId: -1,
  protocolName: '',
  leader: '',
  memberId: request.memberId,
  members: [],
}));
export const syncGroupPermission = groupMembership<SyncGroupRequest, SyncGroupResponse>(() => ({
  errorCode: DENIED_GROUP,
  assignment: Buffer.alloc(0),
}));
export const heartbeatPermission = groupMembership<HeartbeatRequest, HeartbeatResponse>(() => ({
  errorCode: DENIED_GROUP,
}));
export const leaveGroupPermission = groupMembership<LeaveGroupRequest, LeaveGroupResponse>(() => ({
  errorCode: DENIED_GROUP,
  members: [],
}));

export const describeGroupsPermission: Permission<DescribeGroupsRequest, DescribeGroupsResponse> = (
  request,
  access,
) =>
  perEntry(request, {
    items: request.groups,
    allowed: (group) => access.may(KafkaAction.DescribeGroup, access.groupArn(group)),
    refuse: (groupId) => ({
      errorCode: DENIED_GROUP,
      groupId,
      groupState: '',
      protocolType: '',
      protocolData: '',
      members: [],
    }),
    narrow: (groups) => ({ ...request, groups }),
    answer: (refused, response?: DescribeGroupsResponse): DescribeGroupsResponse => ({
      groups: [...(response?.groups ?? []), ...refused],
    }),
  });

/** ListGroups: every group with DESCRIBE on the cluster, otherwise those the principal may describe. */
export const listGroupsPermission: Permission<undefined, ListGroupsResponse> = (request, access) => {
  if (access.may(KafkaAction.DescribeCluster, access.clusterArn, 'listing')) return { request };
  return {
    request,
    finish: (response) => ({
      ...response,
      groups: response.groups.filter((group) =>
        access.may(KafkaAction.DescribeGroup, access.groupArn(group.groupId), 'listing'),
      ),
    }),
  };
};

interface TopicRefusal {
  readonly name: string;
  readonly errorCode: number;
  readonly errorMessage: string;
}

/** Topic administration (creating one, adding partitions): each topic named is checked on its own. */
function perTopic<Request extends { readonly topics: readonly { readonly name: string }[] }, Response>(
  action: KafkaActionName,
  request: Request,
  access: Access,
  answer: (refused: TopicRefusal[], response?: Response) => Response,
): Admission<Request, Response> {
  return perEntry(request, {
    items: request.topics,
    allowed: (topic) => access.may(action, access.topicArn(topic.name)),
    refuse: (topic) => ({
      name: topic.name,
      errorCode: DENIED_TOPIC,
      errorMessage: notAllowed(action, access.topicArn(topic.name)),
    }),
    narrow: (topics) => ({ ...request, topics }),
    answer,
  });
}

export const createTopicsPermission: Permission<CreateTopicsRequest, CreateTopicsResponse> = (
  request,
  access,
) =>
  perTopic(KafkaAction.CreateTopic, request, access, (refused, response) => ({
    topics: [...(response?.topics ?? []), ...refused],
  }));

export const deleteTopicsPermission: Permission<DeleteTopicsRequest, DeleteTopicsResponse> = (
  request,
  access,
) =>
  perEntry(request, {
    items: request.topicNames,
    allowed: (name) => access.may(KafkaAction.DeleteTopic, access.topicArn(name)),
    refuse: (name) => ({ name, errorCode: DENIED_TOPIC }),
    narrow: (topicNames) => ({ ...request, topicNames }),
    answer: (refused, response?: DeleteTopicsResponse): DeleteTopicsResponse => ({
      responses: [...(response?.responses ?? []), ...refused],
    }),
  });

/** An idempotent producer id is Kafka's IDEMPOTENT_WRITE on the cluster; a transactional one its id. */
export const initProducerIdPermission: Permission<InitProducerIdRequest, InitProducerIdResponse> = (
  request,
  access,
) => {
  const allowed =
    request.transactionalId === null
      ? access.may(KafkaAction.WriteDataIdempotently, access.clusterArn)
      : mayTransact(access, request.transactionalId);
  if (allowed) return { request };
  const errorCode = request.transactionalId === null ? DENIED_CLUSTER : DENIED_TRANSACTION;
  return { answer: { errorCode, producerId: -1n, producerEpoch: -1 } };
};

export const createPartitionsPermission: Permission<CreatePartitionsRequest, CreatePartitionsResponse> = (
  request,
  access,
) =>
  perTopic(KafkaAction.AlterTopic, request, access, (refused, response) => ({
    results: [...(response?.results ?? []), ...refused],
  }));

interface ConfigResource {
  readonly resourceType: number;
  readonly resourceName: string;
}

/** Kafka's config resource type of a topic; any other (a broker, its loggers) is the cluster's. */
const TOPIC_CONFIGS = 2;

/**
 * Reading or changing configs is checked per resource: a topic's against the topic action on the topic,
 * anything else against the cluster action on the cluster (Kafka checks brokers' configs on the cluster).
 */
function configResources<
  Request extends { readonly resources: readonly Resource[] },
  Response,
  Resource extends ConfigResource,
  Answer,
>(
  request: Request,
  access: Access,
  actions: { readonly topic: KafkaActionName; readonly cluster: KafkaActionName },
  entries: Omit<Entries<Request, Response, Resource, Answer>, 'items' | 'allowed' | 'refuse' | 'narrow'> & {
    readonly refuse: (refusal: ConfigResource & { errorCode: number; errorMessage: string }) => Answer;
  },
): Admission<Request, Response> {
  const target = (resource: ConfigResource) =>
    resource.resourceType === TOPIC_CONFIGS
      ? { action: actions.topic, arn: access.topicArn(resource.resourceName), errorCode: DENIED_TOPIC }
      : { action: actions.cluster, arn: access.clusterArn, errorCode: DENIED_CLUSTER };
  return perEntry(request, {
    ...entries,
    items: request.resources,
    allowed: (resource) => {
      const { action, arn } = target(resource);
      return access.may(action, arn);
    },
    refuse: ({ resourceType, resourceName }) => {
      const { action, arn, errorCode } = target({ resourceType, resourceName });
      return entries.refuse({ resourceType, resourceName, errorCode, errorMessage: notAllowed(action, arn) });
    },
    narrow: (resources) => ({ ...request, resources }),
  });
}

export const describeConfigsPermission: Permission<DescribeConfigsRequest, DescribeConfigsResponse> = (
  request,
  access,
) =>
  configResources(
    request,
    access,
    {
      topic: KafkaAction.DescribeTopicDynamicConfiguration,
      cluster: KafkaAction.DescribeClusterDynamicConfiguration,
    },
    {
      refuse: (refusal) => ({ ...refusal, configs: [] }),
      answer: (refused, response?: DescribeConfigsResponse): DescribeConfigsResponse => ({
        results: [...(response?.results ?? []), ...refused],
      }),
    },
  );

/** AlterConfigs and IncrementalAlterConfigs alike. */
export const alterConfigsPermission: Permission<AlterConfigsRequest, AlterConfigsResponse> = (
  request,
  access,
) =>
  configResources(
    request,
    access,
    {
      topic: KafkaAction.AlterTopicDynamicConfiguration,
      cluster: KafkaAction.AlterClusterDynamicConfiguration,
    },
    {
      refuse: (refusal) => refusal,
      answer: (refused, response?: AlterConfigsResponse): AlterConfigsResponse => ({
        responses: [...(response?.responses ?? []), ...refused],
      }),
    },
  );

/**
 * AddPartitionsToTxn also needs WRITE (WriteData) on each topic. Kafka adds all partitions or none: when
 * any topic is refused, the allowed ones are answered OPERATION_NOT_ATTEMPTED.
 */
export const addPartitionsToTxnPermission: Permission<
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse
> = (request, access) => {
  const answerAll = (errorCodeOf: (topic: string) => number) => ({
    answer: {
      results: request.topics.map((topic) => ({
        name: topic.name,
        results: topic.partitions.map((partitionIndex) => ({
          partitionIndex,
          errorCode: errorCodeOf(topic.name),
        })),
      })),
    },
  });
  if (!mayTransact(access, request.transactionalId)) return answerAll(() => DENIED_TRANSACTION);
  const topics = split(request.topics, (topic) =>
    access.may(KafkaAction.WriteData, access.topicArn(topic.name)),
  );
  if (topics.denied.length === 0) return { request };
  const denied = new Set(topics.denied.map((topic) => topic.name));
  return answerAll((name) => (denied.has(name) ? DENIED_TOPIC : ErrorCode.OPERATION_NOT_ATTEMPTED));
};

/** AddOffsetsToTxn also needs READ on the group whose offsets the transaction will commit: AlterGroup. */
export const addOffsetsToTxnPermission: Permission<AddOffsetsToTxnRequest, TransactionErrorResponse> = (
  request,
  access,
) => {
  if (!mayTransact(access, request.transactionalId)) return { answer: { errorCode: DENIED_TRANSACTION } };
  if (!access.may(KafkaAction.AlterGroup, access.groupArn(request.groupId))) {
    return { answer: { errorCode: DENIED_GROUP } };
  }
  return { request };
};

export const endTxnPermission: Permission<EndTxnRequest, TransactionErrorResponse> = (request, access) =>
  mayTransact(access, request.transactionalId) ? { request } : { answer: { errorCode: DENIED_TRANSACTION } };
