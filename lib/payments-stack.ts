import { CfnOutput, type Duration, Fn, type RemovalPolicy, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeCfnLintFindings } from './cfn-lint';
import { type ClusterType, PaymentsCluster } from './cluster';
import { PaymentsConsumer } from './consumer';
import { IngestApi, type IngestAuthorization } from './ingest-api';
import { PaymentsLedger } from './ledger';
import { PaymentsNetwork } from './network';
import { PaymentsObservability } from './observability';
import { functionEntry, PaymentsFunction } from './payments-function';
import { StackSettingError } from './settings';
import { PaymentsTopics, type TopicProvisioning } from './topics';

/** Powertools service names; the dead-letter alarm reads the consume function's `service` dimension. */
const INGEST_SERVICE = 'ingest';
const CONSUMER_SERVICE = 'consume';
const STATUS_SERVICE = 'status';

export interface PaymentsStackProps extends StackProps {
  /** @default - a new VPC (see PaymentsNetwork) */
  readonly vpc?: ec2.IVpc;
  /**
   * Id of an existing VPC to look up at synth (needs credentials once; the answer is cached in cdk.context.json).
   * @default - a new VPC
   */
  readonly vpcId?: string;
  /** Create the SQS, MSK API and DynamoDB endpoints (see PaymentsNetworkProps.createEndpoints). @default true */
  readonly createVpcEndpoints?: boolean;

  /** @default 'provisioned' */
  readonly clusterType?: ClusterType;
  /** @default '3.8.x' */
  readonly kafkaVersion?: string;
  /** @default 'kafka.m7g.large' */
  readonly brokerInstanceType?: string;
  /** @default 3 */
  readonly brokerCount?: number;

  /** @default 'payments' */
  readonly paymentsTopicName?: string;
  /** @default 'payments-dead-letter' */
  readonly deadLetterTopicName?: string;
  /** @default 6 */
  readonly paymentsPartitions?: number;
  /** @default - 'cfn-topic' on a provisioned cluster, 'admin-client' on MSK Serverless */
  readonly topicProvisioning?: TopicProvisioning;

  /** @default 'iam' */
  readonly ingestAuthorization?: IngestAuthorization;
  /** @default - none: the account's unreserved concurrency (see IngestApiProps.reservedConcurrency) */
  readonly ingestReservedConcurrency?: number;

  /** @default 'payments-ledger' */
  readonly consumerGroupId?: string;
  /** @default 100 */
  readonly consumerBatchSize?: number;
  /** @default 5 */
  readonly consumerRetryAttempts?: number;
  /** @default Duration.hours(6) */
  readonly consumerMaxRecordAge?: Duration;
  /** @default 3 */
  readonly consumerMaximumPollers?: number;

  /** @default RemovalPolicy.RETAIN */
  readonly ledgerRemovalPolicy?: RemovalPolicy;

  /** Retention of every log group of the stack. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Namespace of the functions' custom metrics. @default 'ExactlyOncePayments' */
  readonly metricsNamespace?: string;
}

/**
 * Exactly-once payment ingestion: HTTP API → ingest function → MSK topic → event source mapping → consume
 * function → DynamoDB ledger, with dead letters, an on-failure queue, a dashboard and alarms.
 */
export class PaymentsStack extends Stack {
  readonly network: PaymentsNetwork;
  readonly cluster: PaymentsCluster;
  readonly topics: PaymentsTopics;
  readonly ledger: PaymentsLedger;
  readonly ingestApi: IngestApi;
  readonly consumer: PaymentsConsumer;
  readonly statusFunction: PaymentsFunction;
  readonly observability: PaymentsObservability;

  constructor(scope: Construct, id: string, props: PaymentsStackProps = {}) {
    super(scope, id, props);
    if (props.vpc && props.vpcId) {
      throw new StackSettingError(
        'vpcId',
        `cannot be combined with a vpc object, got "${props.vpcId}" and both`,
      );
    }
    const logRetention = props.logRetention;
    const metricsNamespace = props.metricsNamespace ?? 'ExactlyOncePayments';
    const functionEnvironment = (serviceName: string): Record<string, string> => ({
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
    });

    const vpc = props.vpc ?? (props.vpcId ? this.lookUpVpc(props.vpcId) : undefined);
    this.network = new PaymentsNetwork(this, 'Network', {
      vpc,
      createEndpoints: props.createVpcEndpoints,
      logRetention,
    });
    const placement = {
      vpc: this.network.vpc,
      subnets: this.network.subnets,
      securityGroup: this.network.functionSecurityGroup,
      logRetention,
    };

    this.cluster = new PaymentsCluster(this, 'Cluster', {
      vpc: this.network.vpc,
      subnets: this.network.subnets,
      securityGroup: this.network.clusterSecurityGroup,
      clusterType: props.clusterType,
      kafkaVersion: props.kafkaVersion,
      brokerInstanceType: props.brokerInstanceType,
      brokerCount: props.brokerCount,
      logRetention,
    });

    this.topics = new PaymentsTopics(this, 'Topics', {
      ...placement,
      cluster: this.cluster,
      networkReady: this.network.endpointsReady,
      paymentsTopicName: props.paymentsTopicName,
      deadLetterTopicName: props.deadLetterTopicName,
      paymentsPartitions: props.paymentsPartitions,
      provisioning: props.topicProvisioning,
    });

    this.ledger = new PaymentsLedger(this, 'Ledger', { removalPolicy: props.ledgerRemovalPolicy });

    this.ingestApi = new IngestApi(this, 'IngestApi', {
      ...placement,
      cluster: this.cluster,
      paymentsTopicName: this.topics.paymentsTopicName,
      environment: functionEnvironment(INGEST_SERVICE),
      authorization: props.ingestAuthorization,
      reservedConcurrency: props.ingestReservedConcurrency,
    });

    this.consumer = new PaymentsConsumer(this, 'Consumer', {
      ...placement,
      cluster: this.cluster,
      paymentsTopicName: this.topics.paymentsTopicName,
      deadLetterTopicName: this.topics.deadLetterTopicName,
      ledger: this.ledger,
      topicsReady: this.topics.ready,
      environment: functionEnvironment(CONSUMER_SERVICE),
      consumerGroupId: props.consumerGroupId,
      batchSize: props.consumerBatchSize,
      retryAttempts: props.consumerRetryAttempts,
      maxRecordAge: props.consumerMaxRecordAge,
      maximumPollers: props.consumerMaximumPollers,
    });

    // GET /payments/{eventId}: read-only, so it gets the ledger's read grants and nothing on Kafka.
    this.statusFunction = new PaymentsFunction(this, 'StatusFunction', {
      ...placement,
      entry: functionEntry('status/handler.ts'),
      description: "Answers a payment event's status from the ledger (applied, dead-lettered or unknown)",
      environment: { ...functionEnvironment(STATUS_SERVICE), LEDGER_TABLE: this.ledger.table.tableName },
    });
    this.ledger.grantLedgerReads(this.statusFunction);
    this.ingestApi.addRoute('GetPayment', '/payments/{eventId}', apigwv2.HttpMethod.GET, this.statusFunction);

    this.observability = new PaymentsObservability(this, 'Observability', {
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
