/** OffsetCommit and OffsetFetch: committed offsets live in storage, so they survive restarts. */
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/apis/offset-commit';
import type {
  OffsetFetchGroupRequest,
  OffsetFetchGroupResponse,
  OffsetFetchPartitionResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
} from '../../protocol/apis/offset-fetch';
import { ErrorCode } from '../../protocol/error-codes';
import type { BrokerContext } from '../context';

export async function handleOffsetCommit(
  request: OffsetCommitRequest,
  broker: BrokerContext,
): Promise<OffsetCommitResponse> {
  const groupError =
    request.groupId === ''
      ? ErrorCode.INVALID_GROUP_ID
      : broker.groups.validateCommit(request.groupId, request.memberId, request.generationId);
  const topics = await Promise.all(
    request.topics.map(async (topic) => {
      const description = broker.storage.describeTopic(topic.name);
      const partitions = await Promise.all(
        topic.partitions.map(async (p) => {
          if (groupError !== 0) return { partitionIndex: p.partitionIndex, errorCode: groupError };
          if (!description || p.partitionIndex < 0 || p.partitionIndex >= description.partitions) {
            return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          }
          await broker.storage.commitOffset(request.groupId, topic.name, p.partitionIndex, {
            offset: p.committedOffset,
            metadata: p.committedMetadata,
            leaderEpoch: p.committedLeaderEpoch,
          });
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
        }),
      );
      return { name: topic.name, partitions };
    }),
  );
  return { topics };
}

function fetchGroup(group: OffsetFetchGroupRequest, broker: BrokerContext): OffsetFetchGroupResponse {
  const fetchOne = (topic: string, partitionIndex: number): OffsetFetchPartitionResponse => {
    const committed = broker.storage.fetchOffset(group.groupId, topic, partitionIndex);
    return {
      partitionIndex,
      committedOffset: committed?.offset ?? -1n,
      committedLeaderEpoch: committed?.leaderEpoch ?? -1,
      metadata: committed?.metadata ?? '',
      errorCode: ErrorCode.NONE,
    };
  };
  if (group.topics === null) {
    // Every partition the group has committed (v2+).
    const topics = broker.storage.listTopics().flatMap((topic) => {
      const partitions = Array.from({ length: topic.partitions }, (_, i) => i)
        .filter((i) => broker.storage.fetchOffset(group.groupId, topic.name, i) !== undefined)
        .map((i) => fetchOne(topic.name, i));
      return partitions.length > 0 ? [{ name: topic.name, partitions }] : [];
    });
    return { groupId: group.groupId, errorCode: ErrorCode.NONE, topics };
  }
  return {
    groupId: group.groupId,
    errorCode: ErrorCode.NONE,
    topics: group.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionIndexes.map((i) => fetchOne(topic.name, i)),
    })),
  };
}

export function handleOffsetFetch(request: OffsetFetchRequest, broker: BrokerContext): OffsetFetchResponse {
  return { groups: request.groups.map((group) => fetchGroup(group, broker)) };
}
