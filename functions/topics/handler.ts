import { Logger } from '@aws-lambda-powertools/logger';
import { ConfigError } from '../shared/errors';
import { createKafka } from '../shared/kafka-client';
import { readKafkaSettings } from '../shared/kafka-settings';
import { kafkaTopicAdmin } from './kafka-topic-admin';
import { applyTopicRequest, type TopicResourceRequest, type TopicResourceResponse } from './topic-lifecycle';

const logger = new Logger({ serviceName: 'topics' });
const settings = readKafkaSettings(process.env);
if (settings.source.kind !== 'msk') {
  throw new ConfigError(
    'MSK_CLUSTER_ARN',
    'is required: the topic resource manages topics of an MSK cluster',
  );
}
const clusterArn = settings.source.clusterArn;

/**
 * onEvent handler of the topic custom resource (CDK provider framework): creates, grows and deletes one
 * topic with the Kafka admin API from inside the VPC, where `AWS::MSK::Topic` is not available.
 */
export const handler = async (request: TopicResourceRequest): Promise<TopicResourceResponse> => {
  logger.info('topic request', {
    requestType: request.RequestType,
    physicalResourceId: request.PhysicalResourceId,
    properties: request.ResourceProperties,
  });
  const kafka = await createKafka(settings, 'payments-topic-resource', { logger });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const result = await applyTopicRequest(kafkaTopicAdmin(admin), request, clusterArn);
    logger.info('topic request applied', { result });
    return result;
  } finally {
    await admin.disconnect();
  }
};
