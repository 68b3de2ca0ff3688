/** ListOffsets: earliest (-2), latest (-1) or the first offset at or after a timestamp, per partition. */
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/apis/list-offsets';
import type { BrokerContext } from '../context';

export function handleListOffsets(request: ListOffsetsRequest, broker: BrokerContext): ListOffsetsResponse {
  return {
    topics: request.topics.map((topic) => ({
      name: topic.name,
      // Storage answers an unknown topic or partition itself (UNKNOWN_TOPIC_OR_PARTITION, offset -1).
      partitions: topic.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        ...broker.storage.listOffset(topic.name, p.partitionIndex, p.timestamp),
      })),
    })),
  };
}
