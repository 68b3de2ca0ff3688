/**
 * Metadata: one broker (node 0) that leads every partition and is the controller (kafkajs sends
 * InitProducerId to the controller, so it must name a listed broker).
 */

import { topicNameProblem } from '../../../../functions/shared/topic-name';
import type { MetadataRequest, MetadataResponse, MetadataTopic } from '../../protocol/apis/metadata';
import { ErrorCode } from '../../protocol/error-codes';
import type { TopicDescription } from '../../storage/types';
import { type BrokerContext, resolveTopic } from '../context';

function describe(topic: TopicDescription, nodeId: number): MetadataTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    partitions: Array.from({ length: topic.partitions }, (_, partitionIndex) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex,
      leaderId: nodeId,
      leaderEpoch: 0,
      replicaNodes: [nodeId],
    })),
  };
}

export function handleMetadata(request: MetadataRequest, broker: BrokerContext): MetadataResponse {
  const { nodeId, clusterId } = broker.config;
  const { host, port } = broker.advertised();
  const topics =
    request.topics === null
      ? broker.storage.listTopics().map((topic) => describe(topic, nodeId))
      : request.topics.map((name): MetadataTopic => {
          if (topicNameProblem(name) !== undefined) {
            return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, name, partitions: [] };
          }
          const topic = resolveTopic(broker, name, request.allowAutoTopicCreation);
          return topic
            ? describe(topic, nodeId)
            : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] };
        });
  return { brokers: [{ nodeId, host, port }], clusterId, controllerId: nodeId, topics };
}
