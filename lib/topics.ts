import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, DependencyGroup, type IDependable } from 'constructs';
import { appNames } from '../functions/shared/app-names';
import { MAX_TOPIC_PARTITIONS } from '../functions/topics/topic-lifecycle';
import type { PipelineCluster } from './cluster';
import { functionEntry, PipelineFunction } from './pipeline-function';
import { choiceSetting, integerSetting, StackSettingError, topicNameSetting } from './settings';

export const TOPIC_PROVISIONING = ['cfn-topic', 'admin-client'] as const;
export type TopicProvisioning = (typeof TOPIC_PROVISIONING)[number];

export interface PipelineTopicsProps {
  readonly cluster: PipelineCluster;
  /** Where the topic custom-resource function runs (it must reach the brokers). */
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  /** What the custom-resource function needs before it can reach Kafka (VPC endpoints). */
  readonly networkReady?: IDependable;

  /** Name of the topic events are published to. @default 'payments' */
  readonly topic?: string;
  /**
   * Partitions of the events topic: the upper bound of consumer parallelism. It can grow later, never shrink.
   * @default 6
   */
  readonly partitions?: number;
  /** Name of the dead-letter topic. @default 'payments-dead-letter' */
  readonly deadLetterTopic?: string;
  /** @default 3 */
  readonly deadLetterPartitions?: number;

  /**
   * How topics are created: `AWS::MSK::Topic` (provisioned clusters on Kafka 3.6 or later), or a custom
   * resource running the Kafka admin client inside the VPC.
   * @default - 'cfn-topic' on a provisioned cluster, 'admin-client' on MSK Serverless
   */
  readonly provisioning?: TopicProvisioning;

  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** The events topic and its dead-letter topic, created before anything produces to or reads from them. */
export class PipelineTopics extends Construct {
  readonly topicName: string;
  readonly deadLetterTopicName: string;
  readonly provisioning: TopicProvisioning;
  /** Depend on this to start only once both topics exist. */
  readonly ready: DependencyGroup = new DependencyGroup();
  /** The custom-resource function, when topics are created by the admin client. */
  readonly topicFunction?: PipelineFunction;

  constructor(scope: Construct, id: string, props: PipelineTopicsProps) {
    super(scope, id);
    const defaults = appNames();
    this.topicName = topicNameSetting('topic', props.topic ?? defaults.topic);
    this.deadLetterTopicName = topicNameSetting(
      'deadLetterTopic',
      props.deadLetterTopic ?? defaults.deadLetterTopic,
    );
    if (this.topicName === this.deadLetterTopicName) {
      throw new StackSettingError('deadLetterTopic', `must differ from topic, both are "${this.topicName}"`);
    }
    const partitionRange = { min: 1, max: MAX_TOPIC_PARTITIONS };
    const topics = [
      {
        id: 'EventsTopic',
        name: this.topicName,
        partitions: integerSetting('partitions', props.partitions ?? 6, partitionRange),
      },
      {
        id: 'DeadLetterTopic',
        name: this.deadLetterTopicName,
        partitions: integerSetting('deadLetterPartitions', props.deadLetterPartitions ?? 3, partitionRange),
      },
    ];

    const { cluster } = props;
    this.provisioning = choiceSetting(
      'topicProvisioning',
      props.provisioning ?? (cluster.clusterType === 'provisioned' ? 'cfn-topic' : 'admin-client'),
      TOPIC_PROVISIONING,
    );
    if (this.provisioning === 'cfn-topic' && cluster.clusterType !== 'provisioned') {
      throw new StackSettingError(
        'topicProvisioning',
        `"cfn-topic" needs a provisioned cluster (AWS::MSK::Topic), got clusterType "${cluster.clusterType}"`,
      );
    }

    if (this.provisioning === 'cfn-topic') {
      for (const topic of topics) {
        const resource = new msk.CfnTopic(this, topic.id, {
          clusterArn: cluster.clusterArn,
          topicName: topic.name,
          partitionCount: topic.partitions,
          replicationFactor: cluster.topicReplicationFactor,
        });
        this.ready.add(resource);
      }
      return;
    }

    const topicFunction = new PipelineFunction(this, 'TopicFunction', {
      entry: functionEntry('topics/handler.ts'),
      description: 'Creates, grows and deletes the Kafka topics (custom resource)',
      vpc: props.vpc,
      subnets: props.subnets,
      securityGroup: props.securityGroup,
      environment: cluster.clientEnvironment,
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
    });
    this.topicFunction = topicFunction;
    cluster.grantTopicAdministration(
      topicFunction,
      topics.map((topic) => topic.name),
    );
    cluster.grantBootstrapLookup(topicFunction);

    const provider = new cr.Provider(this, 'TopicProvider', {
      onEventHandler: topicFunction,
      logGroup: new logs.LogGroup(this, 'TopicProviderLogs', {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      }),
    });
    const onEventLogicalId = Stack.of(this).getLogicalId(
      topicFunction.node.defaultChild as lambda.CfnFunction,
    );
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "The CDK provider framework's own function only relays CloudFormation requests to the topic function " +
          'and writes its logs; its role and policies are defined by the framework.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${onEventLogicalId}.Arn>:*]`,
        reason:
          'The provider framework may invoke any version of the topic function it fronts, and only that function.',
      },
    );
    for (const topic of topics) {
      const resource = new CustomResource(this, topic.id, {
        serviceToken: provider.serviceToken,
        resourceType: 'Custom::KafkaTopic',
        properties: {
          ClusterArn: cluster.clusterArn,
          TopicName: topic.name,
          Partitions: topic.partitions,
          ReplicationFactor: cluster.topicReplicationFactor,
        },
      });
      // The function reaches the MSK API (GetBootstrapBrokers) through the VPC endpoints.
      if (props.networkReady) resource.node.addDependency(props.networkReady);
      this.ready.add(resource);
    }
  }
}
