import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, DependencyGroup } from 'constructs';

/**
 * Port of the MSK brokers' SASL/IAM listener for clients inside AWS
 * (Amazon MSK developer guide, "Port information"). It is the only Kafka listener this stack opens.
 */
export const KAFKA_IAM_PORT = 9098;

export interface PaymentsNetworkProps {
  /**
   * The VPC to run the cluster and the functions in. It needs private subnets in three Availability Zones.
   * @default - a new VPC with isolated private subnets in 3 Availability Zones, no NAT gateway, and REJECT
   * flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Create the interface endpoints (STS, SQS, MSK API) and the DynamoDB gateway endpoint the functions use.
   * Turn off for a VPC that already has them (two endpoints with private DNS for one service conflict) or
   * that reaches AWS APIs through a NAT gateway.
   * @default true
   */
  readonly createEndpoints?: boolean;

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
export class PaymentsNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  /** One private subnet per Availability Zone: the cluster's broker subnets and the functions' subnets. */
  readonly subnets: ec2.SubnetSelection;
  /** Attached to every function of the stack; the cluster accepts Kafka connections from it. */
  readonly functionSecurityGroup: ec2.SecurityGroup;
  /** Attached to the brokers and, by Lambda, to the event source mapping's pollers. */
  readonly clusterSecurityGroup: ec2.SecurityGroup;
  /** Attached to the interface endpoints; accepts HTTPS from the functions and the pollers. */
  readonly endpointSecurityGroup: ec2.SecurityGroup;
  /** The VPC endpoints; depend on it to call AWS APIs from the private subnets. */
  readonly endpointsReady = new DependencyGroup();

  constructor(scope: Construct, id: string, props: PaymentsNetworkProps = {}) {
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

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'Payments functions: Kafka clients and AWS API callers',
      allowAllOutbound: false,
    });
    this.clusterSecurityGroup = new ec2.SecurityGroup(this, 'ClusterSecurityGroup', {
      vpc: this.vpc,
      description: 'Payments MSK brokers and the event source mapping pollers',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Payments VPC interface endpoints',
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
    this.clusterSecurityGroup.addEgressRule(
      this.endpointSecurityGroup,
      https,
      'Pollers to the VPC endpoints',
    );

    this.functionSecurityGroup.addEgressRule(this.clusterSecurityGroup, kafka, 'Functions to the brokers');
    // Gateway endpoints (DynamoDB) are reached through a prefix list whose id differs per region, so HTTPS is
    // allowed to any address; in the VPC this construct creates, the subnets have no route to the internet.
    this.functionSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      https,
      'Functions to AWS APIs via VPC endpoints',
    );

    this.endpointSecurityGroup.addIngressRule(this.functionSecurityGroup, https, 'HTTPS from the functions');
    this.endpointSecurityGroup.addIngressRule(this.clusterSecurityGroup, https, 'HTTPS from the pollers');

    if (props.createEndpoints ?? true) this.addEndpoints();
  }

  private createVpc(logRetention: logs.RetentionDays): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      // The stack lists three zones itself (PaymentsStack.availabilityZones) so that an environment-agnostic
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
    const interfaceEndpoints = {
      // IAM auth tokens for Kafka are signed with credentials the pollers obtain from STS.
      Sts: ec2.InterfaceVpcEndpointAwsService.STS,
      // The MSK control-plane API answers GetBootstrapBrokers for the functions.
      Kafka: ec2.InterfaceVpcEndpointAwsService.KAFKA,
      Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
    };
    for (const [id, service] of Object.entries(interfaceEndpoints)) {
      const endpoint = this.vpc.addInterfaceEndpoint(`${id}Endpoint`, {
        service,
        subnets: this.subnets,
        securityGroups: [this.endpointSecurityGroup],
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
