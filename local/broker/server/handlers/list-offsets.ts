/** ListOffsets: earliest (-2), latest (-1) or the first offset at or after a timestamp, per partition. */
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/apis/list-offsets';
import { ErrorCode } from '../../protocol/error-codes';
import type { BrokerContext } from '../context';

export function handleListOffsets(request: ListOffsetsRequest, broker: BrokerContext): ListOffsetsResponse {
  return {
    topics: request.topics.map((topic) => {
      const description = broker.storage.describeTopic(topic.name);
      return {
        name: topic.name,
        partitions: topic.partitions.map((p) => {
          if (!description || p.partitionIndex < 0 || p.partitionIndex >= description.partitions) {
            return {
              partitionIndex: p.partitionIndex,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              timestamp: -1n,
              offset: -1n,
            };
          }
          const found = broker.storage.listOffset(topic.name, p.partitionIndex, p.timestamp);
          return { partitionIndex: p.partitionIndex, ...found };
        }),
      };
    }),
  };
}
