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
import type { CommittedOffset } from '../../storage/types';
import { type BrokerContext, hasPartition } from '../context';

export async function handleOffsetCommit(
  request: OffsetCommitRequest,
  broker: BrokerContext,
): Promise<OffsetCommitResponse> {
  const groupError =
    request.groupId === ''
      ? ErrorCode.INVALID_GROUP_ID
      : broker.groups.validateCommit(
          request.groupId,
          request.memberId,
          request.groupInstanceId,
          request.generationId,
        );
  const topics = await Promise.all(
    request.topics.map(async (topic) => {
      const description = broker.storage.describeTopic(topic.name);
      const partitions = await Promise.all(
        topic.partitions.map(async (p) => {
          if (groupError !== 0) return { partitionIndex: p.partitionIndex, errorCode: groupError };
          if (!hasPartition(description, p.partitionIndex)) {
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

function committedPartition(
  partitionIndex: number,
  committed: CommittedOffset | undefined,
): OffsetFetchPartitionResponse {
  return {
    partitionIndex,
    committedOffset: committed?.offset ?? -1n,
    committedLeaderEpoch: committed?.leaderEpoch ?? -1,
    metadata: committed?.metadata ?? '',
    errorCode: ErrorCode.NONE,
  };
}

function fetchGroup(group: OffsetFetchGroupRequest, broker: BrokerContext): OffsetFetchGroupResponse {
  const { groupId } = group;
  if (group.topics === null) {
    // Every partition the group has committed (v2+).
    const topics = broker.storage.listTopics().flatMap((topic) => {
      const partitions: OffsetFetchPartitionResponse[] = [];
      for (let i = 0; i < topic.partitions; i++) {
        const committed = broker.storage.fetchOffset(groupId, topic.name, i);
        if (committed) partitions.push(committedPartition(i, committed));
      }
      return partitions.length > 0 ? [{ name: topic.name, partitions }] : [];
    });
    return { groupId, errorCode: ErrorCode.NONE, topics };
  }
  return {
    groupId,
    errorCode: ErrorCode.NONE,
    topics: group.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionIndexes.map((i) =>
        committedPartition(i, broker.storage.fetchOffset(groupId, topic.name, i)),
      ),
    })),
  };
}

export function handleOffsetFetch(request: OffsetFetchRequest, broker: BrokerContext): OffsetFetchResponse {
  return { groups: request.groups.map((group) => fetchGroup(group, broker)) };
}
