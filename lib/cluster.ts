import { Fn, Names } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import { choiceSetting, integerSetting, patternSetting, StackSettingError } from './settings';

export const CLUSTER_TYPES = ['provisioned', 'serverless'] as const;
export type ClusterType = (typeof CLUSTER_TYPES)[number];

/**
 * The Kafka versions MSK offers for new provisioned clusters that `AWS::MSK::Topic` supports (3.6.0 or later), as
 * MSK spells them (Amazon MSK developer guide, "Supported Apache Kafka versions"; the `.kraft` variants run
 * without ZooKeeper). MSK refuses any other string, so synth does too.
 */
export const KAFKA_VERSIONS = [
  '3.6.0',
  '3.7.x',
  '3.7.x.kraft',
  '3.8.x',
  '3.8.x.kraft',
  '3.9.x',
  '3.9.x.kraft',
  '4.0.x.kraft',
  '4.1.x.kraft',
] as const;
/**
 * Durable events need replication factor 3 with min.insync.replicas 2, so at least three brokers. MSK Serverless
 * always replicates three ways, and the topic resource's CreateTopics (kafkajs, v0-v3) has no "broker default".
 */
const REPLICATION_FACTOR = 3;
const MIN_INSYNC_REPLICAS = 2;

export interface PipelineClusterProps {
  readonly vpc: ec2.IVpc;
  /** One subnet per Availability Zone for the brokers (provisioned) or the cluster's endpoints (serverless). */
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;

  /**
   * Provisioned brokers, or MSK Serverless (IAM only, fixed broker settings, no `AWS::MSK::Topic`).
   * @default 'provisioned'
   */
  readonly clusterType?: ClusterType;

  /**
   * Apache Kafka version of a provisioned cluster, as MSK names it (`3.8.x` follows patch releases).
   * @default '3.8.x'
   */
  readonly kafkaVersion?: string;

  /**
   * Broker instance type of a provisioned cluster.
   * @default 'kafka.m7g.large'
   */
  readonly brokerInstanceType?: string;

  /**
   * Number of brokers of a provisioned cluster: at least 3 and a multiple of the number of subnets.
   * @default 3
   */
  readonly brokerCount?: number;

  /**
   * EBS volume per broker of a provisioned cluster, in GiB (MSK allows 1 to 16384).
   * @default 100
   */
  readonly brokerVolumeSize?: number;

  /**
   * Key for encryption at rest of a provisioned cluster (MSK Serverless always uses an AWS owned key).
   * @default - the AWS managed key for MSK
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Retention of the broker logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The Kafka cluster, reachable only over TLS with IAM authentication, plus the ARNs IAM policies name when
 * granting Kafka actions on it. Those ARNs are derived from the cluster ARN, so every grant names this one
 * cluster and never a wildcard over clusters.
 */
export class PipelineCluster extends Construct {
  readonly clusterType: ClusterType;
  /** `arn:<partition>:kafka:<region>:<account>:cluster/<clusterName>/<clusterUuid>` */
  readonly clusterArn: string;
  readonly clusterName: string;
  /** Replication factor topics are created with: 3, on provisioned clusters and on MSK Serverless alike. */
  readonly topicReplicationFactor = REPLICATION_FACTOR;

  constructor(scope: Construct, id: string, props: PipelineClusterProps) {
    super(scope, id);
    this.clusterType = choiceSetting('clusterType', props.clusterType ?? 'provisioned', CLUSTER_TYPES);
    // MSK cluster names: 1-64 of letters, digits and hyphens.
    this.clusterName = Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    const subnetIds = props.vpc.selectSubnets(props.subnets).subnetIds;

    if (this.clusterType === 'serverless') {
      const cluster = new msk.CfnServerlessCluster(this, 'Resource', {
        clusterName: this.clusterName,
        clientAuthentication: { sasl: { iam: { enabled: true } } },
        vpcConfigs: [{ subnetIds, securityGroups: [props.securityGroup.securityGroupId] }],
      });
      this.clusterArn = cluster.attrArn;
      return;
    }

    const kafkaVersion = choiceSetting(
      'kafkaVersion',
      props.kafkaVersion ?? '3.8.x',
      KAFKA_VERSIONS,
      'MSK versions with AWS::MSK::Topic',
    );
    const brokerInstanceType = patternSetting(
      'brokerInstanceType',
      props.brokerInstanceType ?? 'kafka.m7g.large',
      /^kafka\.[a-z0-9]+\.[a-z0-9]+$/,
      'an MSK broker instance type such as "kafka.m7g.large"',
    );
    // MSK places provisioned brokers in two or three client subnets, each in its own zone (CreateCluster API).
    if (subnetIds.length < 2 || subnetIds.length > 3) {
      throw new StackSettingError(
        'subnets',
        `of a provisioned cluster must be 2 or 3 (one per Availability Zone), got ${subnetIds.length}`,
      );
    }
    const brokerCount = integerSetting('brokerCount', props.brokerCount ?? 3, {
      min: REPLICATION_FACTOR,
      max: 30,
    });
    if (brokerCount % subnetIds.length !== 0) {
      throw new StackSettingError(
        'brokerCount',
        `must be a multiple of the number of broker subnets (${subnetIds.length}), got ${brokerCount}`,
      );
    }
    const brokerVolumeSize = integerSetting('brokerVolumeSize', props.brokerVolumeSize ?? 100, {
      min: 1,
      max: 16_384,
    });

    const configuration = new msk.CfnConfiguration(this, 'Configuration', {
      name: `${Names.uniqueResourceName(this, { maxLength: 57, separator: '-' })}-config`,
      description: 'Durable events: no auto-created topics, three replicas, two in sync for acks=all',
      kafkaVersionsList: [kafkaVersion],
      serverProperties: [
        // MSK clients must never create topics by accident (kafkajs allowAutoTopicCreation defaults to true).
        'auto.create.topics.enable=false',
        `default.replication.factor=${REPLICATION_FACTOR}`,
        // With acks=all, a write is acknowledged once two replicas have it: one broker can fail without loss.
        `min.insync.replicas=${MIN_INSYNC_REPLICAS}`,
        'unclean.leader.election.enable=false',
      ].join('\n'),
    });

    const brokerLogs = new logs.LogGroup(this, 'BrokerLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });

    const cluster = new msk.CfnCluster(this, 'Resource', {
      clusterName: this.clusterName,
      kafkaVersion,
      numberOfBrokerNodes: brokerCount,
      brokerNodeGroupInfo: {
        instanceType: brokerInstanceType,
        clientSubnets: subnetIds,
        securityGroups: [props.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: brokerVolumeSize } },
      },
      clientAuthentication: {
        sasl: { iam: { enabled: true } },
        unauthenticated: { enabled: false },
      },
      encryptionInfo: {
        encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
        ...(props.encryptionKey && { encryptionAtRest: { dataVolumeKmsKeyId: props.encryptionKey.keyArn } }),
      },
      // The latest revision: editing server.properties adds a revision, which the brokers then take on.
      configurationInfo: { arn: configuration.attrArn, revision: configuration.attrLatestRevisionRevision },
      loggingInfo: {
        brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } },
      },
    });
    this.clusterArn = cluster.attrArn;
  }

  /** `arn:…:topic/<clusterName>/<clusterUuid>/<topicName>` (Amazon MSK developer guide, IAM resources). */
  topicArn(topicName: string): string {
    return this.childArn('topic', topicName);
  }

  /** How a function reaches this cluster: the settings functions/shared/kafka-settings.ts reads at cold start. */
  get clientEnvironment(): Record<string, string> {
    return { MSK_CLUSTER_ARN: this.clusterArn, KAFKA_AUTH: 'iam' };
  }

  /** `arn:…:group/<clusterName>/<clusterUuid>/<groupName>` */
  groupArn(groupName: string): string {
    return this.childArn('group', groupName);
  }

  /** Idempotent produce to one topic (DESIGN.md section 5): IDEMPOTENT_WRITE is a cluster-level Kafka ACL. */
  grantIdempotentWrite(grantee: iam.IGrantable, topicName: string): void {
    this.grantConnect(grantee, ['kafka-cluster:WriteDataIdempotently']);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      resourceArns: [this.topicArn(topicName)],
    });
  }

  /** What the event source mapping needs to read one topic as one consumer group (Lambda developer guide). */
  grantConsume(grantee: iam.IGrantable, topicName: string, groupName: string): void {
    this.grantConnect(grantee, ['kafka-cluster:DescribeClusterDynamicConfiguration']);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
      resourceArns: [this.topicArn(topicName)],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
      resourceArns: [this.groupArn(groupName)],
    });
  }

  /** Create, grow and delete the named topics (the topic custom resource). */
  grantTopicAdministration(grantee: iam.IGrantable, topicNames: readonly string[]): void {
    this.grantConnect(grantee, []);
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'kafka-cluster:CreateTopic',
        'kafka-cluster:DescribeTopic',
        // CreatePartitions is authorised as ALTER on the topic.
        'kafka-cluster:AlterTopic',
        'kafka-cluster:DeleteTopic',
      ],
      resourceArns: topicNames.map((name) => this.topicArn(name)),
    });
  }

  /** `kafka:GetBootstrapBrokers` (and DescribeClusterV2 for the pollers) on this cluster only. */
  grantBootstrapLookup(grantee: iam.IGrantable, extraActions: readonly string[] = []): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka:GetBootstrapBrokers', ...extraActions],
      resourceArns: [this.clusterArn],
    });
  }

  private grantConnect(grantee: iam.IGrantable, clusterActions: readonly string[]): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:Connect', ...clusterActions],
      resourceArns: [this.clusterArn],
    });
  }

  private childArn(resourceType: 'topic' | 'group', name: string): string {
    // "arn:aws:kafka:r:a:cluster/name/uuid" split on ":cluster/" -> ["arn:aws:kafka:r:a", "name/uuid"].
    const parts = Fn.split(':cluster/', this.clusterArn);
    return Fn.join('', [Fn.select(0, parts), `:${resourceType}/`, Fn.select(1, parts), `/${name}`]);
  }
}
