import { Duration, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IDependable } from 'constructs';
import { appNames, consumerGroupIdProblem } from '../functions/shared/app-names';
import type { PipelineCluster } from './cluster';
import type { PipelineLedger } from './ledger';
import { functionEntry, PipelineFunction } from './pipeline-function';
import { durationSetting, integerSetting, nameSetting } from './settings';

export interface PipelineConsumerProps {
  readonly cluster: PipelineCluster;
  readonly topicName: string;
  readonly deadLetterTopicName: string;
  readonly ledger: PipelineLedger;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  /** The topics must exist before the mapping starts polling. */
  readonly topicsReady?: IDependable;
  /** Extra environment for the function (logging and metrics settings). */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * Kafka consumer group of the event source mapping. Fixed here (rather than Lambda's generated one) so IAM
   * can name the group; changing it replaces the mapping, which then starts from TRIM_HORIZON again.
   * @default 'payments-ledger' (see functions/shared/app-names.ts)
   */
  readonly consumerGroupId?: string;

  /**
   * Records per invocation (Lambda allows 1 to 10,000 for Kafka, 6 MB payload at most).
   * @default 100
   */
  readonly batchSize?: number;

  /**
   * Times a failing batch (or, after bisecting, half of it) is retried before it goes to the on-failure queue;
   * -1 retries until it succeeds. The function fails a batch only for an infrastructure problem a retry can
   * fix (poison records are dead-lettered), so by default nothing is parked: a partition waits for the ledger
   * or the dead-letter topic to come back, and the OffsetLag alarm says so.
   * @default -1 (infinite, Lambda's default for Kafka event sources)
   */
  readonly retryAttempts?: number;

  /**
   * Records older than this are not retried but sent to the on-failure queue (60 s to 7 days).
   * @default - infinite (-1, Lambda's default for Kafka event sources): records are never discarded by age
   */
  readonly maxRecordAge?: Duration;

  /** @default 1 */
  readonly minimumPollers?: number;

  /**
   * Upper bound of provisioned pollers; more pollers than partitions do not add parallelism.
   * @default 3
   */
  readonly maximumPollers?: number;

  /**
   * Function timeout (at most 14 minutes for Kafka event sources).
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;

  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The consume function and the event source mapping that feeds it the events topic, in provisioned poller
 * mode with partial batch responses, bisection and retries until the ledger and the dead-letter topic take the
 * records (poison records never fail a batch: they are dead-lettered). The on-failure queue only receives
 * batches when the retries are bounded by settings.
 */
export class PipelineConsumer extends Construct {
  readonly consumeFunction: PipelineFunction;
  readonly eventSourceMapping: lambda.EventSourceMapping;
  /** Batches that exhausted their retries (the mapping's on-failure destination), kept 14 days. */
  readonly onFailureQueue: sqs.Queue;
  readonly consumerGroupId: string;

  constructor(scope: Construct, id: string, props: PipelineConsumerProps) {
    super(scope, id);
    this.consumerGroupId = nameSetting(
      'consumerGroupId',
      props.consumerGroupId ?? appNames().consumerGroupId,
      consumerGroupIdProblem,
    );
    const batchSize = integerSetting('consumerBatchSize', props.batchSize ?? 100, { min: 1, max: 10_000 });
    // MaximumRetryAttempts -1 to 10,000, -1 infinite (Lambda API reference, CreateEventSourceMapping).
    const retryAttempts = integerSetting('consumerRetryAttempts', props.retryAttempts ?? -1, {
      min: -1,
      max: 10_000,
    });
    const maxRecordAge =
      props.maxRecordAge &&
      durationSetting('consumerMaxRecordAge', props.maxRecordAge, {
        min: Duration.seconds(60),
        max: Duration.days(7),
      });
    const maximumPollers = integerSetting('consumerMaximumPollers', props.maximumPollers ?? 3, {
      min: 1,
      max: 2000,
    });
    const minimumPollers = integerSetting('consumerMinimumPollers', props.minimumPollers ?? 1, {
      min: 1,
      max: Math.min(200, maximumPollers),
    });
    const timeout = durationSetting('consumerTimeout', props.timeout ?? Duration.minutes(1), {
      min: Duration.seconds(1),
      max: Duration.minutes(14),
    });

    this.onFailureQueue = new sqs.Queue(this, 'OnFailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.onFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter store: the event source mapping sends it the batches that ' +
        'exhausted their retries, and nothing consumes it automatically, so there is no failure to redrive.',
    });

    this.consumeFunction = new PipelineFunction(this, 'ConsumeFunction', {
      entry: functionEntry('consume/handler.ts'),
      description: 'Verifies per-partition exactly-once delivery and applies events to the ledger',
      vpc: props.vpc,
      subnets: props.subnets,
      securityGroup: props.securityGroup,
      environment: {
        ...props.environment,
        LEDGER_TABLE: props.ledger.table.tableName,
        EVENTS_TOPIC: props.topicName,
        DEAD_LETTER_TOPIC: props.deadLetterTopicName,
        ...props.cluster.clientEnvironment,
      },
      timeout,
      logRetention: props.logRetention,
    });
    const fn = this.consumeFunction;

    // The function itself: ledger writes and idempotent produce of anomalies to the dead-letter topic.
    props.ledger.grantLedgerWrites(fn);
    props.cluster.grantIdempotentWrite(fn, props.deadLetterTopicName);
    // The event source mapping runs with the function's role (Lambda developer guide, MSK permissions).
    props.cluster.grantConsume(fn, props.topicName, this.consumerGroupId);
    props.cluster.grantBootstrapLookup(fn, ['kafka:DescribeClusterV2']);
    const pollerNetwork = new iam.Policy(this, 'PollerNetworkPolicy', {
      roles: fn.role ? [fn.role] : [],
      statements: [
        new iam.PolicyStatement({
          // The pollers inspect the cluster's network to place their interfaces in it.
          actions: ['ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups'],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(pollerNetwork).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeVpcs and ec2:DescribeSecurityGroups have no resource-level permissions; the event source ' +
        'mapping needs them to reach the MSK cluster (Lambda developer guide, MSK execution role permissions).',
    });

    // The mapping is declared directly rather than with ManagedKafkaEventSource, which would also attach the
    // AWSLambdaMSKExecutionRole managed policy (kafka:Describe* and GetBootstrapBrokers on every cluster) and
    // kafka:ListScramSecrets; the grants above name this cluster, topic and group only.
    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'EventSource', {
      target: fn,
      eventSourceArn: props.cluster.clusterArn,
      kafkaTopic: props.topicName,
      kafkaConsumerGroupId: this.consumerGroupId,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize,
      provisionedPollerConfig: { minimumPollers, maximumPollers },
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts,
      maxRecordAge,
      onFailure: new SqsDlq(this.onFailureQueue),
      metricsConfig: {
        metrics: [
          lambda.MetricType.EVENT_COUNT,
          lambda.MetricType.ERROR_COUNT,
          lambda.MetricType.KAFKA_METRICS,
        ],
      },
    });
    // Lambda checks the role's permissions when the mapping is created: create it after the policies.
    if (fn.role) this.eventSourceMapping.node.addDependency(fn.role);
    this.eventSourceMapping.node.addDependency(pollerNetwork);
    if (props.topicsReady) this.eventSourceMapping.node.addDependency(props.topicsReady);
  }
}
