/** ListOffsets: earliest (-2), latest (-1) or the first offset at or after a timestamp, per partition. */
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/apis/list-offsets';
import type { BrokerContext } from '../context';

const LATEST = -1n;
const READ_COMMITTED = 1;

export function handleListOffsets(request: ListOffsetsRequest, broker: BrokerContext): ListOffsetsResponse {
  return {
    topics: request.topics.map((topic) => ({
      name: topic.name,
      // Storage answers an unknown topic or partition itself (UNKNOWN_TOPIC_OR_PARTITION, offset -1).
      partitions: topic.partitions.map((p) => {
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
