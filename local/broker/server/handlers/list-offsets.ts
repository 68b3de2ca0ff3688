/** ListOffsets: earliest (-2), latest (-1) or the first offset at or after a timestamp, per partition. */
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/apis/list-offsets';
import { ErrorCode } from '../../protocol/error-codes';
import type { BrokerContext } from '../context';

const LATEST = -1n;
const READ_COMMITTED = 1;

/** `topic\0partition` of every partition the request names more than once. */
function duplicatePartitions(request: ListOffsetsRequest): Set<string> {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const topic of request.topics) {
    for (const p of topic.partitions) {
      const key = `${topic.name}\u0000${p.partitionIndex}`;
      if (seen.has(key)) duplicates.add(key);
      seen.add(key);
    }
  }
  return duplicates;
}

export function handleListOffsets(request: ListOffsetsRequest, broker: BrokerContext): ListOffsetsResponse {
  const duplicates = duplicatePartitions(request);
  return {
    topics: request.topics.map((topic) => ({
      name: topic.name,
      // Storage answers an unknown topic or partition itself (UNKNOWN_TOPIC_OR_PARTITION, offset -1).
      partitions: topic.partitions.map((p) => {
        // Kafka answers every occurrence of a partition asked twice with INVALID_REQUEST
        // (KafkaApis.handleListOffsetRequestV1AndAbove).
        if (duplicates.has(`${topic.name}\u0000${p.partitionIndex}`)) {
          return {
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.INVALID_REQUEST,
            timestamp: -1n,
            offset: -1n,
          };
        }
        const answer = broker.storage.listOffset(topic.name, p.partitionIndex, p.timestamp);
        // A read_committed client's latest offset is the last stable offset (KIP-98).
        const committedLatest =
          p.timestamp === LATEST && request.isolationLevel === READ_COMMITTED && answer.errorCode === 0;
        return {
          partitionIndex: p.partitionIndex,
          ...answer,
          ...(committedLatest
            ? { offset: broker.storage.lastStableOffset(topic.name, p.partitionIndex) }
            : {}),
        };
      }),
    })),
  };
}
