import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { PipelineCluster, type PipelineClusterProps } from '../../lib/cluster';
import { PipelineNetwork } from '../../lib/network';
import { evaluate } from './intrinsics';
import { onlyLogicalId, testStack } from './stack-fixture';

const CLUSTER_ARN =
  'arn:aws:kafka:eu-west-1:123456789012:cluster/payments-cluster/0f3c9a2e-1b2c-4d5e-8f90-abcdef012345-7';

function clusterStack(props: Partial<PipelineClusterProps> = {}): { stack: Stack; cluster: PipelineCluster } {
  const stack = testStack();
  const network = new PipelineNetwork(stack, 'Network');
  const cluster = new PipelineCluster(stack, 'Cluster', {
    vpc: network.vpc,
    subnets: network.subnets,
    securityGroup: network.clusterSecurityGroup,
    ...props,
  });
  return { stack, cluster };
}

/** The ARN a token resolves to once CloudFormation knows the cluster's ARN. */
function resolvedArn(stack: Stack, cluster: PipelineCluster, token: string): unknown {
  const clusterId = stack.getLogicalId(cluster.node.defaultChild as never);
  return evaluate(stack.resolve(token), { [`${clusterId}.Arn`]: CLUSTER_ARN });
}

describe('PipelineCluster (provisioned, defaults)', () => {
  let stack: Stack;
  let cluster: PipelineCluster;
  let template: Template;
  beforeAll(() => {
    // GIVEN a network, WHEN the cluster is created with defaults
    ({ stack, cluster } = clusterStack());
    template = Template.fromStack(stack);
  });

  it('runs three brokers of the default type on Kafka 3.8, one per private subnet', () => {
    // THEN
    template.hasResourceProperties('AWS::MSK::Cluster', {
      KafkaVersion: '3.8.x',
      NumberOfBrokerNodes: 3,
      BrokerNodeGroupInfo: Match.objectLike({
        InstanceType: 'kafka.m7g.large',
        SecurityGroups: [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('NetworkClusterSecurityGroup'), 'GroupId'] },
        ],
      }),
    });
    const brokers = template.findResources('AWS::MSK::Cluster');
    const info = Object.values(brokers)[0]?.Properties.BrokerNodeGroupInfo as { ClientSubnets: unknown[] };
    expect(info.ClientSubnets).toHaveLength(3);
  });

  it('accepts only IAM-authenticated TLS clients, encrypts between brokers, and logs to CloudWatch', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } },
      LoggingInfo: { BrokerLogs: { CloudWatchLogs: { Enabled: true, LogGroup: Match.anyValue() } } },
    });
  });

  it('uses a configuration that forbids auto-created topics and requires two in-sync replicas of three', () => {
    const configurations = template.findResources('AWS::MSK::Configuration');
    const properties = Object.values(configurations)[0]?.Properties as {
      ServerProperties: string;
      KafkaVersionsList: string[];
    };
    expect(properties.ServerProperties.split('\n')).toEqual(
      expect.arrayContaining([
        'auto.create.topics.enable=false',
        'min.insync.replicas=2',
        'default.replication.factor=3',
      ]),
    );
    expect(properties.KafkaVersionsList).toEqual(['3.8.x']);
  });

  it('runs the latest revision of its configuration, so an edited server.properties reaches the brokers', () => {
    const configurationId = onlyLogicalId(template, 'AWS::MSK::Configuration');
    template.hasResourceProperties('AWS::MSK::Cluster', {
      ConfigurationInfo: {
        Arn: { 'Fn::GetAtt': [configurationId, 'Arn'] },
        Revision: { 'Fn::GetAtt': [configurationId, 'LatestRevision.Revision'] },
      },
    });
  });

  it('derives topic and group ARNs from the cluster ARN, naming this cluster only', () => {
    expect(resolvedArn(stack, cluster, cluster.topicArn('payments'))).toBe(
      'arn:aws:kafka:eu-west-1:123456789012:topic/payments-cluster/0f3c9a2e-1b2c-4d5e-8f90-abcdef012345-7/payments',
    );
    expect(resolvedArn(stack, cluster, cluster.groupArn('payments-ledger'))).toBe(
      'arn:aws:kafka:eu-west-1:123456789012:group/payments-cluster/0f3c9a2e-1b2c-4d5e-8f90-abcdef012345-7/payments-ledger',
    );
  });
});

describe('PipelineCluster grants', () => {
  it('grants idempotent produce on the cluster and write on one topic, nothing more', () => {
    // GIVEN a cluster and a role
    const { stack, cluster } = clusterStack();
    const role = new iam.Role(stack, 'Producer', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    // WHEN
    cluster.grantIdempotentWrite(role, 'payments');
    // THEN
    const clusterId = stack.getLogicalId(cluster.node.defaultChild as never);
    const policy = Object.values(
      Template.fromStack(stack).findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as never) }] },
      }),
    )[0];
    const statements = evaluate(policy?.Properties.PolicyDocument.Statement, {
      [`${clusterId}.Arn`]: CLUSTER_ARN,
    });
    expect(statements).toEqual([
      {
        Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
        Effect: 'Allow',
        Resource: CLUSTER_ARN,
      },
      {
        Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        Effect: 'Allow',
        Resource:
          'arn:aws:kafka:eu-west-1:123456789012:topic/payments-cluster/0f3c9a2e-1b2c-4d5e-8f90-abcdef012345-7/payments',
      },
    ]);
  });
});

describe('PipelineCluster options', () => {
  it('takes the instance type, broker count, Kafka version and encryption key it is given', () => {
    // GIVEN
    const stack = testStack();
    const network = new PipelineNetwork(stack, 'Network');
    const key = new kms.Key(stack, 'Key');
    // WHEN
    new PipelineCluster(stack, 'Cluster', {
      vpc: network.vpc,
      subnets: network.subnets,
      securityGroup: network.clusterSecurityGroup,
      brokerInstanceType: 'kafka.m5.xlarge',
      brokerCount: 6,
      kafkaVersion: '4.0.x.kraft',
      encryptionKey: key,
    });
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::MSK::Cluster', {
      KafkaVersion: '4.0.x.kraft',
      NumberOfBrokerNodes: 6,
      BrokerNodeGroupInfo: Match.objectLike({ InstanceType: 'kafka.m5.xlarge' }),
      EncryptionInfo: Match.objectLike({
        EncryptionAtRest: { DataVolumeKMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('Key'), 'Arn'] } },
      }),
    });
  });

  it('creates an MSK Serverless cluster with IAM authentication in the private subnets', () => {
    // GIVEN / WHEN
    const { stack, cluster } = clusterStack({ clusterType: 'serverless' });
    const template = Template.fromStack(stack);
    // THEN
    template.resourceCountIs('AWS::MSK::Cluster', 0);
    template.resourceCountIs('AWS::MSK::Configuration', 0);
    template.hasResourceProperties('AWS::MSK::ServerlessCluster', {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
      VpcConfigs: [{ SubnetIds: Match.anyValue(), SecurityGroups: [Match.anyValue()] }],
    });
    expect(onlyLogicalId(template, 'AWS::MSK::ServerlessCluster')).toMatch(/^Cluster/);
    expect(cluster.topicReplicationFactor).toBe(3);
  });
});

describe('PipelineCluster validation', () => {
  it.each([
    [
      { kafkaVersion: '3.5.1' },
      /kafkaVersion must be one of 3\.6\.0 \| .*3\.8\.x \| .*4\.0\.x\.kraft.* \(MSK versions with AWS::MSK::Topic\), got "3\.5\.1"/,
    ],
    // MSK names 3.6 only as 3.6.0: "3.6.x" is not a version it offers.
    [{ kafkaVersion: '3.6.x' }, /kafkaVersion must be one of .*got "3\.6\.x"/],
    [{ kafkaVersion: '3.10.x' }, /kafkaVersion must be one of .*got "3\.10\.x"/],
    [{ kafkaVersion: 'latest' }, /kafkaVersion .*got "latest"/],
    [
      { brokerInstanceType: 'm5.large' },
      /brokerInstanceType must be an MSK broker instance type .*got "m5\.large"/,
    ],
    [{ brokerCount: 4 }, /brokerCount must be a multiple of the number of broker subnets \(3\), got 4/],
    [{ brokerCount: 2 }, /brokerCount must be an integer from 3 to 30, got 2/],
    [{ brokerVolumeSize: 0 }, /brokerVolumeSize must be an integer from 1 to 16384, got 0/],
    [
      { clusterType: 'dedicated' as never },
      /clusterType must be one of provisioned \| serverless, got "dedicated"/,
    ],
  ])('rejects %o at synth with the bad value in the message', (props, message) => {
    expect(() => clusterStack(props)).toThrow(message);
  });

  it('rejects a network with private subnets in four zones (MSK takes two or three)', () => {
    // GIVEN an existing VPC spread over four zones
    const stack = testStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Existing', {
      vpcId: 'vpc-0abc1234',
      vpcCidrBlock: '10.20.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1d'],
      privateSubnetIds: ['subnet-a', 'subnet-b', 'subnet-c', 'subnet-d'],
    });
    const network = new PipelineNetwork(stack, 'Network', { vpc, createEndpoints: false });
    // WHEN / THEN
    expect(
      () =>
        new PipelineCluster(stack, 'Cluster', {
          vpc,
          subnets: network.subnets,
          securityGroup: network.clusterSecurityGroup,
        }),
    ).toThrow(/subnets of a provisioned cluster must be 2 or 3 \(one per Availability Zone\), got 4/);
  });
});
