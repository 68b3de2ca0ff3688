import { Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, DependencyGroup } from 'constructs';
import { appNames } from '../functions/shared/app-names';
import { executionRole } from './pipeline-function';
import { StackSettingError } from './settings';

/**
 * Port of the MSK brokers' SASL/IAM listener for clients inside AWS
 * (Amazon MSK developer guide, "Port information"). It is the only Kafka listener this stack opens.
 */
export const KAFKA_IAM_PORT = 9098;

export interface PipelineNetworkProps {
  /**
   * The VPC to run the cluster and the functions in. It needs private subnets in three Availability Zones.
   * @default - a new VPC with isolated private subnets in 3 Availability Zones, no NAT gateway, and REJECT
   * flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Create the interface endpoints (SQS, MSK API) and the DynamoDB gateway endpoint the functions use.
   * Turn off for an existing VPC that already has them: two endpoints with private DNS for one service conflict
   * ("conflicting DNS domain"), and so do two DynamoDB gateway routes in one route table. The functions then
   * reach AWS APIs by HTTPS inside the VPC's CIDR (its own endpoints) and DynamoDB through its prefix list.
   * A VPC created here has no other way to AWS APIs, so it always gets them.
   * @default true
   */
  readonly createEndpoints?: boolean;

  /** The application in words, at the start of the security groups' descriptions. @default 'Payments' */
  readonly displayName?: string;

  /**
   * Retention of the VPC flow log (only for a VPC created here).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The private network: subnets one per AZ, and three security groups wired so that Kafka is reachable
 * only from the functions (and from the event source mapping's pollers), never from an address range.
 */
export class PipelineNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  /** One private subnet per Availability Zone: the cluster's broker subnets and the functions' subnets. */
  readonly subnets: ec2.SubnetSelection;
  /** Attached to every function of the stack; the cluster accepts Kafka connections from it. */
  readonly functionSecurityGroup: ec2.SecurityGroup;
  /** Attached to the brokers and, by Lambda, to the event source mapping's pollers. */
  readonly clusterSecurityGroup: ec2.SecurityGroup;
  /** Attached to the interface endpoints; accepts HTTPS from the functions and the pollers. */
  readonly endpointSecurityGroup?: ec2.SecurityGroup;
  /** The VPC endpoints; depend on it to call AWS APIs from the private subnets. */
  readonly endpointsReady = new DependencyGroup();

  constructor(scope: Construct, id: string, props: PipelineNetworkProps = {}) {
    super(scope, id);

    this.vpc = props.vpc ?? this.createVpc(props.logRetention ?? logs.RetentionDays.ONE_MONTH);
    // A VPC created here has isolated subnets only; an existing one may route its private subnets via NAT.
    this.subnets = {
      subnetType:
        this.vpc.isolatedSubnets.length > 0
          ? ec2.SubnetType.PRIVATE_ISOLATED
          : ec2.SubnetType.PRIVATE_WITH_EGRESS,
      onePerAz: true,
    };

    const createEndpoints = props.createEndpoints ?? true;
    if (!createEndpoints && props.vpc === undefined) {
      throw new StackSettingError(
        'createVpcEndpoints',
        'must be true unless an existing VPC is given (vpcId): the VPC created here reaches AWS APIs through ' +
          'them alone, got false',
      );
    }

    // A security group's description cannot change without replacing it (and the cluster that uses it).
    const displayName = props.displayName ?? appNames().displayName;
    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: `${displayName} functions: Kafka clients and AWS API callers`,
      allowAllOutbound: false,
    });
    this.clusterSecurityGroup = new ec2.SecurityGroup(this, 'ClusterSecurityGroup', {
      vpc: this.vpc,
      description: `${displayName} MSK brokers and the event source mapping pollers`,
      allowAllOutbound: false,
    });

    const kafka = ec2.Port.tcp(KAFKA_IAM_PORT);
    const https = ec2.Port.tcp(443);
    this.clusterSecurityGroup.addIngressRule(
      this.functionSecurityGroup,
      kafka,
      'Kafka (SASL/IAM) from the functions',
    );
    // The event source mapping's pollers run in the cluster's subnets with the cluster's security groups, so the
    // group must admit itself (Lambda developer guide, "Configuring your Amazon MSK cluster and Amazon VPC network").
    this.clusterSecurityGroup.addIngressRule(
      this.clusterSecurityGroup,
      kafka,
      'Kafka (SASL/IAM) from the pollers',
    );
    this.clusterSecurityGroup.addEgressRule(this.clusterSecurityGroup, kafka, 'Pollers to the brokers');
    this.functionSecurityGroup.addEgressRule(this.clusterSecurityGroup, kafka, 'Functions to the brokers');

    // AWS APIs: the endpoints created here, or (in an existing VPC that has its own) HTTPS inside the VPC only.
    let awsApis: ec2.IPeer = ec2.Peer.ipv4(this.vpc.vpcCidrBlock);
    if (createEndpoints) {
      const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.vpc,
        description: `${displayName} VPC interface endpoints`,
        allowAllOutbound: false,
      });
      endpointSecurityGroup.addIngressRule(this.functionSecurityGroup, https, 'HTTPS from the functions');
      endpointSecurityGroup.addIngressRule(this.clusterSecurityGroup, https, 'HTTPS from the pollers');
      this.endpointSecurityGroup = endpointSecurityGroup;
      awsApis = endpointSecurityGroup;
    }
    this.functionSecurityGroup.addEgressRule(awsApis, https, 'Functions to AWS APIs via VPC endpoints');
    // The pollers send batches that exhausted their retries to the on-failure queue through the SQS endpoint.
    this.clusterSecurityGroup.addEgressRule(awsApis, https, 'Pollers to the VPC endpoints');
    // DynamoDB is a gateway endpoint: its addresses are the region's DynamoDB prefix list.
    this.functionSecurityGroup.addEgressRule(
      ec2.Peer.prefixList(this.dynamoDbPrefixListId(props.logRetention ?? logs.RetentionDays.ONE_MONTH)),
      https,
      'Functions to DynamoDB via its gateway endpoint',
    );

    if (createEndpoints) this.addEndpoints();
  }

  /**
   * The id of the region's AWS-managed DynamoDB prefix list (`com.amazonaws.<region>.dynamodb`). Its id differs
   * per region and CloudFormation has no lookup for it, so a custom resource asks EC2 at deploy time, which
   * keeps the synth free of any account or region.
   */
  private dynamoDbPrefixListId(logRetention: logs.RetentionDays): string {
    const name = `com.amazonaws.${Stack.of(this).region}.dynamodb`;
    const logGroup = new logs.LogGroup(this, 'DynamoDbPrefixListLogs', { retention: logRetention });
    // Its own role, writing only to its own log group (the default role carries AWSLambdaBasicExecutionRole).
    const role = executionRole(
      this,
      'DynamoDbPrefixListRole',
      'Execution role of the DynamoDB prefix list lookup',
      logGroup,
    );
    const lookup = new cr.AwsCustomResource(this, 'DynamoDbPrefixList', {
      resourceType: 'Custom::DynamoDbPrefixList',
      onUpdate: {
        service: 'EC2',
        action: 'DescribeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: [name] }] },
        physicalResourceId: cr.PhysicalResourceId.of(name),
        outputPaths: ['PrefixLists.0.PrefixListId'],
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
      role,
      logGroup,
    });
    Validations.of(lookup).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeManagedPrefixLists has no resource-level permissions (Service Authorization Reference, ' +
        'Amazon EC2); the lookup only reads the name-to-id mapping of an AWS-managed prefix list.',
    });
    return lookup.getResponseField('PrefixLists.0.PrefixListId');
  }

  private createVpc(logRetention: logs.RetentionDays): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      // The stack lists three zones itself (PipelineStack.availabilityZones) so that an environment-agnostic
      // synth still spreads the three brokers over three zones.
      maxAzs: 3,
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
    });
    vpc.addFlowLog('FlowLog', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', { retention: logRetention }),
      ),
    });
    return vpc;
  }

  private addEndpoints(): void {
    // No STS or Lambda endpoint: the functions sign with their role's credentials and never call STS, and the
    // mapping runs in provisioned mode, whose pollers need no endpoint to reach Lambda or STS (Lambda developer
    // guide, "Configuring your Amazon MSK cluster and Amazon VPC network for Lambda"). PipelineConsumer keeps the
    // mapping in provisioned mode.
    const interfaceEndpoints = {
      // The MSK control-plane API answers GetBootstrapBrokers for the functions.
      Kafka: ec2.InterfaceVpcEndpointAwsService.KAFKA,
      // The on-failure destination of the event source mapping.
      Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
    };
    for (const [id, service] of Object.entries(interfaceEndpoints)) {
      const endpoint = this.vpc.addInterfaceEndpoint(`${id}Endpoint`, {
        service,
        subnets: this.subnets,
        securityGroups: this.endpointSecurityGroup ? [this.endpointSecurityGroup] : [],
        // `open` would admit the whole VPC CIDR; the endpoint group admits only the two groups above.
        open: false,
        privateDnsEnabled: true,
      });
      this.endpointsReady.add(endpoint);
    }
    const dynamoDb = this.vpc.addGatewayEndpoint('DynamoDbEndpoint', {
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [this.subnets],
    });
    this.endpointsReady.add(dynamoDb);
  }
}
