import { CfnOutput, type Duration, Fn, type RemovalPolicy, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { eventDefinition } from '../functions/event/definition';
import { type AppNames, appNames, DEFAULT_APP_NAME } from '../functions/shared/app-names';
import { eventRoutes } from '../functions/shared/event-definition';
import { acknowledgeCfnLintFindings } from './cfn-lint';
import { type ClusterType, PipelineCluster } from './cluster';
import { PipelineConsumer } from './consumer';
import { IngestApi, type IngestAuthorization } from './ingest-api';
import { PipelineLedger } from './ledger';
import { PipelineNetwork } from './network';
import { PipelineObservability } from './observability';
import { functionEntry, PipelineFunction } from './pipeline-function';
import { appNameSetting, StackSettingError } from './settings';
import { PipelineTopics, type TopicProvisioning } from './topics';

/** Powertools service names; the dead-letter alarm reads the consume function's `service` dimension. */
const INGEST_SERVICE = 'ingest';
const CONSUMER_SERVICE = 'consume';
const STATUS_SERVICE = 'status';

export interface PipelineStackProps extends StackProps {
  /** @default - a new VPC (see PipelineNetwork) */
  readonly vpc?: ec2.IVpc;
  /**
   * Id of an existing VPC to look up at synth (needs credentials once; the answer is cached in cdk.context.json).
   * @default - a new VPC
   */
  readonly vpcId?: string;
  /** Create the SQS, MSK API and DynamoDB endpoints (see PipelineNetworkProps.createEndpoints). @default true */
  readonly createVpcEndpoints?: boolean;

  /** @default 'provisioned' */
  readonly clusterType?: ClusterType;
  /** @default '3.8.x' */
  readonly kafkaVersion?: string;
  /** @default 'kafka.m7g.large' */
  readonly brokerInstanceType?: string;
  /** @default 3 */
  readonly brokerCount?: number;

  /**
   * The application name every other name below defaults from (see functions/shared/app-names.ts).
   * @default 'payments'
   */
  readonly appName?: string;

  /** Topic events are published to and consumed from. @default - the appName, e.g. 'payments' */
  readonly topic?: string;
  /** @default - '<appName>-dead-letter' */
  readonly deadLetterTopic?: string;
  /** @default 6 */
  readonly partitions?: number;
  /** @default - 'cfn-topic' on a provisioned cluster, 'admin-client' on MSK Serverless */
  readonly topicProvisioning?: TopicProvisioning;

  /** @default 'iam' */
  readonly ingestAuthorization?: IngestAuthorization;
  /** @default - none: the account's unreserved concurrency (see IngestApiProps.reservedConcurrency) */
  readonly ingestReservedConcurrency?: number;

  /** @default - '<appName>-ledger' */
  readonly consumerGroupId?: string;
  /** @default 100 */
  readonly consumerBatchSize?: number;
  /** @default 5 */
  readonly consumerRetryAttempts?: number;
  /** @default Duration.hours(6) */
  readonly consumerMaxRecordAge?: Duration;
  /** @default 3 */
  readonly consumerMaximumPollers?: number;

  /** Name of the ledger's DynamoDB table. @default - '<appName>-ledger' */
  readonly ledgerTable?: string;
  /** @default RemovalPolicy.RETAIN */
  readonly ledgerRemovalPolicy?: RemovalPolicy;

  /** Retention of every log group of the stack. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Namespace of the functions' custom metrics. @default - 'ExactlyOnce<AppName>', e.g. 'ExactlyOncePayments' */
  readonly metricsNamespace?: string;
}

/**
 * Exactly-once event ingestion: HTTP API → ingest function → MSK topic → event source mapping → consume
 * function → DynamoDB ledger, with dead letters, an on-failure queue, a dashboard and alarms.
 */
export class PipelineStack extends Stack {
  /** The names of the stack's parts: derived from the app name unless given one by one. */
  readonly names: AppNames;
  readonly network: PipelineNetwork;
  readonly cluster: PipelineCluster;
  readonly topics: PipelineTopics;
  readonly ledger: PipelineLedger;
  readonly ingestApi: IngestApi;
  readonly consumer: PipelineConsumer;
  readonly statusFunction: PipelineFunction;
  readonly observability: PipelineObservability;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    if (props.vpc && props.vpcId) {
      throw new StackSettingError(
        'vpcId',
        `cannot be combined with a vpc object, got "${props.vpcId}" and both`,
      );
    }
    const names = appNames(appNameSetting(props.appName ?? DEFAULT_APP_NAME), {
      topic: props.topic,
      deadLetterTopic: props.deadLetterTopic,
      ledgerTable: props.ledgerTable,
      consumerGroupId: props.consumerGroupId,
      metricsNamespace: props.metricsNamespace,
    });
    this.names = names;
    const logRetention = props.logRetention;
    const metricsNamespace = names.metricsNamespace;
    const functionEnvironment = (serviceName: string): Record<string, string> => ({
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
    });

    const vpc = props.vpc ?? (props.vpcId ? this.lookUpVpc(props.vpcId) : undefined);
    this.network = new PipelineNetwork(this, 'Network', {
      vpc,
      createEndpoints: props.createVpcEndpoints,
      displayName: names.displayName,
      logRetention,
    });
    const placement = {
      vpc: this.network.vpc,
      subnets: this.network.subnets,
      securityGroup: this.network.functionSecurityGroup,
      logRetention,
    };

    this.cluster = new PipelineCluster(this, 'Cluster', {
      vpc: this.network.vpc,
      subnets: this.network.subnets,
      securityGroup: this.network.clusterSecurityGroup,
      clusterType: props.clusterType,
      kafkaVersion: props.kafkaVersion,
      brokerInstanceType: props.brokerInstanceType,
      brokerCount: props.brokerCount,
      logRetention,
    });

    this.topics = new PipelineTopics(this, 'Topics', {
      ...placement,
      cluster: this.cluster,
      networkReady: this.network.endpointsReady,
      topic: names.topic,
      deadLetterTopic: names.deadLetterTopic,
      partitions: props.partitions,
      provisioning: props.topicProvisioning,
    });

    this.ledger = new PipelineLedger(this, 'Ledger', {
      tableName: names.ledgerTable,
      removalPolicy: props.ledgerRemovalPolicy,
    });

    this.ingestApi = new IngestApi(this, 'IngestApi', {
      ...placement,
      cluster: this.cluster,
      topicName: this.topics.topicName,
      environment: functionEnvironment(INGEST_SERVICE),
      authorization: props.ingestAuthorization,
      reservedConcurrency: props.ingestReservedConcurrency,
    });

    this.consumer = new PipelineConsumer(this, 'Consumer', {
      ...placement,
      cluster: this.cluster,
      topicName: this.topics.topicName,
      deadLetterTopicName: this.topics.deadLetterTopicName,
      ledger: this.ledger,
      topicsReady: this.topics.ready,
      environment: functionEnvironment(CONSUMER_SERVICE),
      consumerGroupId: names.consumerGroupId,
      batchSize: props.consumerBatchSize,
      retryAttempts: props.consumerRetryAttempts,
      maxRecordAge: props.consumerMaxRecordAge,
      maximumPollers: props.consumerMaximumPollers,
    });

    // GET /<events>/{<id field>}: read-only, so it gets the ledger's read grants and nothing on Kafka.
    this.statusFunction = new PipelineFunction(this, 'StatusFunction', {
      ...placement,
      entry: functionEntry('status/handler.ts'),
      description: "Answers an event's status from the ledger (applied, dead-lettered or unknown)",
      environment: { ...functionEnvironment(STATUS_SERVICE), LEDGER_TABLE: this.ledger.table.tableName },
    });
    this.ledger.grantLedgerReads(this.statusFunction);
    this.ingestApi.addRoute(
      'GetEventStatus',
      eventRoutes(eventDefinition).item,
      apigwv2.HttpMethod.GET,
      this.statusFunction,
    );

    this.observability = new PipelineObservability(this, 'Observability', {
      httpApi: this.ingestApi.httpApi,
      ingestFunction: this.ingestApi.ingestFunction,
      consumeFunction: this.consumer.consumeFunction,
      onFailureQueue: this.consumer.onFailureQueue,
      metricsNamespace,
      consumerServiceName: CONSUMER_SERVICE,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.ingestApi.url, description: 'POST /payments here' });
    new CfnOutput(this, 'ClusterArn', { value: this.cluster.clusterArn });
    new CfnOutput(this, 'LedgerTableName', { value: this.ledger.table.tableName });
    new CfnOutput(this, 'OnFailureQueueUrl', { value: this.consumer.onFailureQueue.queueUrl });
    acknowledgeCfnLintFindings(this);
  }

  /**
   * The VPC of `vpcId`. Until the CLI has looked it up (it synthesizes, looks up what is missing, then synthesizes
   * again), Vpc.fromLookup answers a placeholder with two zones (named "dummy1a" and "dummy1b"), on which the
   * cluster's checks would stop the first pass before the lookup happens. That pass gets three placeholder zones
   * instead; its template is never deployed.
   */
  private lookUpVpc(vpcId: string): ec2.IVpc {
    const vpc = ec2.Vpc.fromLookup(this, 'ImportedVpc', { vpcId });
    if (!vpc.availabilityZones.every((zone) => zone.startsWith('dummy'))) return vpc;
    const zones = ['a', 'b', 'c'];
    return ec2.Vpc.fromVpcAttributes(this, 'PendingVpcLookup', {
      vpcId,
      vpcCidrBlock: '10.0.0.0/16',
      availabilityZones: zones.map((zone) => `pending-lookup-${zone}`),
      privateSubnetIds: zones.map((zone) => `subnet-pending-lookup-${zone}`),
      privateSubnetRouteTableIds: zones.map((zone) => `rtb-pending-lookup-${zone}`),
    });
  }

  /**
   * Three zones even when synthesized without an account and region (the default lists two): three brokers,
   * one per zone, keep two in-sync replicas when a zone is lost.
   */
  override get availabilityZones(): string[] {
    if (Token.isUnresolved(this.region)) return [0, 1, 2].map((index) => Fn.select(index, Fn.getAzs()));
    return super.availabilityZones;
  }
}
