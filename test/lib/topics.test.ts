import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { appNames } from '../../functions/shared/app-names';
import { type ClusterType, PipelineCluster } from '../../lib/cluster';
import { PipelineNetwork } from '../../lib/network';
import { PipelineTopics, type PipelineTopicsProps } from '../../lib/topics';
import { evaluate } from './intrinsics';
import { onlyLogicalId, resourcesOfType, testStack } from './stack-fixture';

const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/pay/uuid-1';
/** The default topic names, from the application name. */
const names = appNames();

function topicsStack(
  clusterType: ClusterType,
  props: Partial<PipelineTopicsProps> = {},
): { stack: Stack; cluster: PipelineCluster; topics: PipelineTopics; network: PipelineNetwork } {
  const stack = testStack();
  const network = new PipelineNetwork(stack, 'Network');
  const cluster = new PipelineCluster(stack, 'Cluster', {
    vpc: network.vpc,
    subnets: network.subnets,
    securityGroup: network.clusterSecurityGroup,
    clusterType,
  });
  const topics = new PipelineTopics(stack, 'Topics', {
    cluster,
    vpc: network.vpc,
    subnets: network.subnets,
    securityGroup: network.functionSecurityGroup,
    networkReady: network.endpointsReady,
    ...props,
  });
  return { stack, cluster, topics, network };
}

describe('PipelineTopics on a provisioned cluster', () => {
  let template: Template;
  beforeAll(() => {
    // GIVEN a provisioned cluster, WHEN topics are declared with defaults
    template = Template.fromStack(topicsStack('provisioned').stack);
  });

  it('creates the events topic (6 partitions) and the dead-letter topic with AWS::MSK::Topic, replicated 3 times', () => {
    // THEN
    template.resourceCountIs('AWS::MSK::Topic', 2);
    template.hasResourceProperties('AWS::MSK::Topic', {
      TopicName: names.topic,
      PartitionCount: 6,
      ReplicationFactor: 3,
      ClusterArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::MSK::Topic', {
      TopicName: names.deadLetterTopic,
      PartitionCount: 3,
      ReplicationFactor: 3,
    });
  });

  it('needs no custom resource', () => {
    template.resourceCountIs('Custom::KafkaTopic', 0);
    const functionIds = Object.keys(resourcesOfType(template, 'AWS::Lambda::Function'));
    expect(functionIds.filter((id) => id.startsWith('Topics'))).toEqual([]);
  });

  it('takes the partition count and topic names it is given', () => {
    const custom = Template.fromStack(
      topicsStack('provisioned', {
        topic: 'orders',
        partitions: 12,
        deadLetterTopic: 'orders.dlt',
      }).stack,
    );
    custom.hasResourceProperties('AWS::MSK::Topic', { TopicName: 'orders', PartitionCount: 12 });
    custom.hasResourceProperties('AWS::MSK::Topic', { TopicName: 'orders.dlt' });
  });
});

describe('PipelineTopics on MSK Serverless', () => {
  let stack: Stack;
  let template: Template;
  let cluster: PipelineCluster;
  beforeAll(() => {
    // GIVEN a serverless cluster, WHEN topics are declared
    ({ stack, cluster } = topicsStack('serverless', { partitions: 8 }));
    template = Template.fromStack(stack);
  });

  it('creates both topics with a custom resource, replicated three times as MSK Serverless always is', () => {
    // THEN
    template.resourceCountIs('AWS::MSK::Topic', 0);
    template.hasResourceProperties('Custom::KafkaTopic', {
      TopicName: names.topic,
      Partitions: 8,
      ReplicationFactor: 3,
      ClusterArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Arn'] },
    });
    template.hasResourceProperties('Custom::KafkaTopic', {
      TopicName: names.deadLetterTopic,
      Partitions: 3,
      ReplicationFactor: 3,
    });
  });

  it('runs the admin client in the VPC with the functions security group and the cluster ARN', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Environment: { Variables: Match.objectLike({ MSK_CLUSTER_ARN: Match.anyValue(), KAFKA_AUTH: 'iam' }) },
      VpcConfig: {
        SecurityGroupIds: [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('NetworkFunctionSecurityGroup'), 'GroupId'] },
        ],
        SubnetIds: Match.anyValue(),
      },
    });
  });

  it('lets the topic function create, grow and delete these two topics only', () => {
    const roleId = onlyLogicalId(template, 'AWS::IAM::Role', {
      Description: 'Execution role of TopicFunction',
    });
    const policies = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties?.Roles).includes(roleId),
    );
    const clusterId = stack.getLogicalId(cluster.node.defaultChild as never);
    const statements = evaluate(
      policies.flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement),
      { [`${clusterId}.Arn`]: CLUSTER_ARN },
    );
    expect(statements).toEqual([
      { Action: 'kafka-cluster:Connect', Effect: 'Allow', Resource: CLUSTER_ARN },
      {
        Action: [
          'kafka-cluster:CreateTopic',
          'kafka-cluster:DescribeTopic',
          'kafka-cluster:AlterTopic',
          'kafka-cluster:DeleteTopic',
        ],
        Effect: 'Allow',
        Resource: [
          `arn:aws:kafka:eu-west-1:123456789012:topic/pay/uuid-1/${names.topic}`,
          `arn:aws:kafka:eu-west-1:123456789012:topic/pay/uuid-1/${names.deadLetterTopic}`,
        ],
      },
      { Action: 'kafka:GetBootstrapBrokers', Effect: 'Allow', Resource: CLUSTER_ARN },
    ]);
  });

  it('creates topics only once the VPC endpoints exist, so the function can reach the MSK API', () => {
    const topics = Object.values(resourcesOfType(template, 'Custom::KafkaTopic'));
    const endpointIds = Object.keys(resourcesOfType(template, 'AWS::EC2::VPCEndpoint'));
    expect(endpointIds).toHaveLength(3);
    for (const topic of topics) expect(topic.DependsOn).toEqual(expect.arrayContaining(endpointIds));
  });
});

describe('PipelineTopics validation', () => {
  it.each([
    ['provisioned', { partitions: 0 }, /partitions must be an integer from 1 to 1000, got 0/],
    ['provisioned', { partitions: 1001 }, /partitions must be an integer from 1 to 1000, got 1001/],
    ['provisioned', { partitions: 2.5 }, /partitions must be an integer from 1 to 1000, got 2\.5/],
    [
      'provisioned',
      { deadLetterPartitions: -1 },
      /deadLetterPartitions must be an integer from 1 to 1000, got -1/,
    ],
    ['provisioned', { topic: 'pay ments' }, /topic must be a Kafka topic name .*got "pay ments"/],
    ['provisioned', { topic: '..' }, /topic must be a Kafka topic name .*got "\.\."/],
    [
      'provisioned',
      { deadLetterTopic: names.topic },
      new RegExp(`deadLetterTopic must differ from topic, both are "${names.topic}"`),
    ],
    [
      'serverless',
      { provisioning: 'cfn-topic' },
      /"cfn-topic" needs a provisioned cluster .*got clusterType "serverless"/,
    ],
    [
      'provisioned',
      { provisioning: 'terraform' as never },
      /topicProvisioning must be one of cfn-topic \| admin-client/,
    ],
  ] as const)('on a %s cluster rejects %o', (clusterType, props, message) => {
    expect(() => topicsStack(clusterType, props)).toThrow(message);
  });

  it('can use the admin client on a provisioned cluster too', () => {
    const template = Template.fromStack(topicsStack('provisioned', { provisioning: 'admin-client' }).stack);
    template.resourceCountIs('Custom::KafkaTopic', 2);
    template.hasResourceProperties('Custom::KafkaTopic', { TopicName: names.topic, ReplicationFactor: 3 });
  });
});
