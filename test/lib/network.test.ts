import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { appNames } from '../../functions/shared/app-names';
import { KAFKA_IAM_PORT, PipelineNetwork } from '../../lib/network';
import { resourcesOfType, TEST_REGION, testStack } from './stack-fixture';

describe('PipelineNetwork (new VPC)', () => {
  let network: PipelineNetwork;
  let template: Template;
  beforeAll(() => {
    // GIVEN a stack, WHEN the network is created with defaults
    const stack = testStack();
    network = new PipelineNetwork(stack, 'Network');
    template = Template.fromStack(stack);
  });

  it('creates private subnets in three Availability Zones and no route to the internet', () => {
    // THEN
    const subnets = Object.values(resourcesOfType(template, 'AWS::EC2::Subnet'));
    expect(subnets).toHaveLength(3);
    expect(new Set(subnets.map((subnet) => subnet.Properties?.AvailabilityZone))).toEqual(
      new Set(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']),
    );
    for (const subnet of subnets) expect(subnet.Properties?.MapPublicIpOnLaunch).toBe(false);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    expect(network.vpc.selectSubnets(network.subnets).subnetIds).toHaveLength(3);
  });

  it('logs rejected flows to a log group with a retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'REJECT',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('creates the SQS and MSK API interface endpoints with private DNS, and a DynamoDB gateway: no STS', () => {
    // Provisioned-mode pollers need no Lambda or STS endpoint, and the functions never call STS.
    for (const service of ['sqs', 'kafka']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: `com.amazonaws.${TEST_REGION}.${service}`,
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        SecurityGroupIds: [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('NetworkEndpointSecurityGroup'), 'GroupId'] },
        ],
      });
    }
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.dynamodb']] },
      VpcEndpointType: 'Gateway',
    });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 3);
  });

  it('lets the functions reach only the brokers, the endpoints and DynamoDB: no address range', () => {
    expectFunctionEgress(
      template,
      network,
      Stack.of(network).resolve(network.endpointSecurityGroup?.securityGroupId),
    );
  });

  it('admits Kafka (9098) to the brokers only from the functions and from the pollers in the cluster group', () => {
    const clusterGroupId = Stack.of(network).resolve(network.clusterSecurityGroup.securityGroupId);
    const functionGroupId = Stack.of(network).resolve(network.functionSecurityGroup.securityGroupId);
    const endpointGroupId = Stack.of(network).resolve(network.endpointSecurityGroup?.securityGroupId);
    const ingress = Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress')).map(
      (rule) => rule.Properties,
    );
    const toCluster = ingress.filter(
      (rule) => JSON.stringify(rule?.GroupId) === JSON.stringify(clusterGroupId),
    );
    expect(toCluster).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          FromPort: KAFKA_IAM_PORT,
          ToPort: KAFKA_IAM_PORT,
          SourceSecurityGroupId: functionGroupId,
        }),
        expect.objectContaining({
          FromPort: KAFKA_IAM_PORT,
          ToPort: KAFKA_IAM_PORT,
          SourceSecurityGroupId: clusterGroupId,
        }),
      ]),
    );
    expect(toCluster).toHaveLength(2);
    const toEndpoints = ingress.filter(
      (rule) => JSON.stringify(rule?.GroupId) === JSON.stringify(endpointGroupId),
    );
    expect(toEndpoints.map((rule) => [rule?.FromPort, rule?.SourceSecurityGroupId])).toEqual(
      expect.arrayContaining([
        [443, functionGroupId],
        [443, clusterGroupId],
      ]),
    );
    expect(toEndpoints).toHaveLength(2);
  });

  it('declares no ingress from an address range on any security group', () => {
    for (const group of Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroup'))) {
      expect(group.Properties?.SecurityGroupIngress ?? []).toEqual([]);
    }
    for (const rule of Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress'))) {
      expect(rule.Properties?.CidrIp).toBeUndefined();
      expect(rule.Properties?.CidrIpv6).toBeUndefined();
    }
  });
});

/**
 * The functions group sends Kafka to the brokers, HTTPS to `awsApis` (the endpoints' group, or a VPC's CIDR) and
 * HTTPS to DynamoDB's prefix list, and nothing else.
 */
function expectFunctionEgress(template: Template, network: PipelineNetwork, awsApis: unknown): void {
  const egress = functionEgress(
    template,
    Stack.of(network).resolve(network.functionSecurityGroup.securityGroupId),
  );
  expect(egress).toHaveLength(3);
  expect(egress).toEqual(
    expect.arrayContaining([
      { port: KAFKA_IAM_PORT, to: Stack.of(network).resolve(network.clusterSecurityGroup.securityGroupId) },
      { port: 443, to: awsApis },
      {
        port: 443,
        to: { 'Fn::GetAtt': [expect.stringMatching(/DynamoDbPrefixList/), 'PrefixLists.0.PrefixListId'] },
      },
    ]),
  );
}

/** The functions group's egress as port and destination (a group, a prefix list or a CIDR). */
function functionEgress(template: Template, functionGroupId: unknown): { port: unknown; to: unknown }[] {
  const inline = Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroup'))
    .filter(
      (group) =>
        group.Properties.GroupDescription ===
        `${appNames().displayName} functions: Kafka clients and AWS API callers`,
    )
    .flatMap((group) => (group.Properties.SecurityGroupEgress ?? []) as Record<string, unknown>[])
    // CDK's placeholder rule when a group has no egress of its own.
    .filter((rule) => rule.CidrIp !== '255.255.255.255/32');
  const standalone = Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupEgress'))
    .map((rule) => rule.Properties)
    .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(functionGroupId));
  return [...inline, ...standalone].map((rule) => ({
    port: rule.FromPort,
    to: rule.DestinationSecurityGroupId ?? rule.DestinationPrefixListId ?? rule.CidrIp ?? rule.CidrIpv6,
  }));
}

describe('PipelineNetwork (existing VPC)', () => {
  /** An existing VPC with private subnets that route through NAT. */
  const existingVpc = (stack: Stack) =>
    ec2.Vpc.fromVpcAttributes(stack, 'Existing', {
      vpcId: 'vpc-0abc1234',
      vpcCidrBlock: '10.20.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      privateSubnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
      privateSubnetRouteTableIds: ['rtb-a', 'rtb-b', 'rtb-c'],
    });

  it('adds its endpoints to a VPC it is given, and sends HTTPS only to them, not to the VPC', () => {
    // GIVEN an existing VPC without endpoints of its own
    const stack = testStack();
    // WHEN endpoint creation stays on (the default)
    const network = new PipelineNetwork(stack, 'Network', { vpc: existingVpc(stack) });
    // THEN the endpoints go into that VPC's private subnets
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 3);
    for (const service of ['sqs', 'kafka']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: `com.amazonaws.${TEST_REGION}.${service}`,
        VpcId: 'vpc-0abc1234',
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        SubnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
      });
    }
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcId: 'vpc-0abc1234',
      VpcEndpointType: 'Gateway',
      RouteTableIds: ['rtb-a', 'rtb-b', 'rtb-c'],
    });
    // AND the functions reach AWS APIs through the endpoints' group, not through the VPC's CIDR and its NAT
    expectFunctionEgress(
      template,
      network,
      Stack.of(network).resolve(network.endpointSecurityGroup?.securityGroupId),
    );
  });

  it('uses the VPC it is given, its private subnets with egress, and can leave endpoints out', () => {
    // GIVEN an existing VPC with private subnets that route through NAT
    const stack = testStack();
    const vpc = existingVpc(stack);
    // WHEN
    const network = new PipelineNetwork(stack, 'Network', { vpc, createEndpoints: false });
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: 'vpc-0abc1234',
      GroupDescription: `${appNames().displayName} MSK brokers and the event source mapping pollers`,
    });
    expect(network.vpc.selectSubnets(network.subnets).subnetIds).toEqual([
      'subnet-a',
      'subnet-b',
      'subnet-c',
    ]);
    // AND the functions reach the VPC's own endpoints (HTTPS inside its CIDR) and DynamoDB, never beyond the VPC
    expectFunctionEgress(template, network, '10.20.0.0/16');
  });
});

describe('PipelineNetwork validation', () => {
  it('keeps the endpoints of a VPC it creates, which has no other way to AWS APIs', () => {
    expect(() => new PipelineNetwork(testStack(), 'Network', { createEndpoints: false })).toThrow(
      /createVpcEndpoints must be true unless an existing VPC is given \(vpcId\).*got false/,
    );
  });
});
