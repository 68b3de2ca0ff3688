import { Duration, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { eventDefinition } from '../functions/event/definition';
import { eventRoutes } from '../functions/shared/event-definition';
import type { PipelineCluster } from './cluster';
import { functionEntry, PipelineFunction } from './pipeline-function';
import { choiceSetting, integerSetting } from './settings';

export const INGEST_AUTHORIZATION = ['iam', 'none'] as const;
export type IngestAuthorization = (typeof INGEST_AUTHORIZATION)[number];

export interface IngestApiProps {
  readonly cluster: PipelineCluster;
  readonly topicName: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Extra environment for every function behind the API (logging and metrics settings). */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * Who may call `POST /payments`: SigV4-signed requests of IAM principals allowed `execute-api:Invoke`, or
   * anyone. Every other route (the event status) stays IAM-authorized whatever this says.
   * @default 'iam'
   */
  readonly authorization?: IngestAuthorization;

  /**
   * Reserved concurrency of the ingest function. Lambda keeps 100 executions of the account unreserved, so a
   * reservation of N deploys only where the account's concurrency quota is at least 100 + N (new accounts often
   * have 10 or 50). Without one, the stage throttle bounds the rate and the account quota bounds the execution
   * environments, hence the broker connections (one producer per environment).
   * @default - none
   */
  readonly reservedConcurrency?: number;

  /**
   * Steady-state requests per second the API stage accepts before answering 429.
   * @default 500
   */
  readonly throttleRateLimit?: number;

  /** @default 1000 */
  readonly throttleBurstLimit?: number;

  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * `POST /payments` on an HTTP API (API Gateway v2), served by the ingest function, which publishes to the
 * events topic with an idempotent producer. Further routes join the same API with `addRoute`.
 */
export class IngestApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly ingestFunction: PipelineFunction;
  readonly authorization: IngestAuthorization;
  private readonly iamAuthorizer = new HttpIamAuthorizer();

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    this.authorization = choiceSetting(
      'ingestAuthorization',
      props.authorization ?? 'iam',
      INGEST_AUTHORIZATION,
    );
    const reservedConcurrency =
      props.reservedConcurrency === undefined
        ? undefined
        : integerSetting('ingestReservedConcurrency', props.reservedConcurrency, { min: 1, max: 1000 });
    const rateLimit = integerSetting('throttleRateLimit', props.throttleRateLimit ?? 500, {
      min: 1,
      max: 10_000,
    });
    const burstLimit = integerSetting('throttleBurstLimit', props.throttleBurstLimit ?? 1000, {
      min: 1,
      max: 5_000,
    });

    this.ingestFunction = new PipelineFunction(this, 'IngestFunction', {
      entry: functionEntry('ingest/handler.ts'),
      description: 'Validates events and publishes them with an idempotent Kafka producer',
      vpc: props.vpc,
      subnets: props.subnets,
      securityGroup: props.securityGroup,
      environment: {
        ...props.environment,
        ...props.cluster.clientEnvironment,
        EVENTS_TOPIC: props.topicName,
      },
      // API Gateway gives up on an integration after 30 s; answer before it does.
      timeout: Duration.seconds(25),
      reservedConcurrentExecutions: reservedConcurrency,
      logRetention: props.logRetention,
    });
    props.cluster.grantIdempotentWrite(this.ingestFunction, props.topicName);
    props.cluster.grantBootstrapLookup(this.ingestFunction);

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Event ingestion',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            caller: '$context.identity.userArn',
            sourceIp: '$context.identity.sourceIp',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    const [ingestRoute] = this.addRoute(
      'PostEvents',
      eventRoutes(eventDefinition).collection,
      apigwv2.HttpMethod.POST,
      this.ingestFunction,
      {
        open: this.authorization === 'none',
      },
    );
    if (ingestRoute && this.authorization === 'none') {
      Validations.of(ingestRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Opened on purpose with -c ingestAuthorization=none (a demo account): anyone may POST events. ' +
          'The status route keeps IAM authorization, and the stage throttle bounds the request rate.',
      });
    }
  }

  /** Base URL of the API, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  get url(): string {
    return this.httpApi.apiEndpoint;
  }

  /**
   * Adds a route served by `handler`, IAM-authorized unless `open` (used only for the ingest route when
   * `ingestAuthorization` is `none`), e.g. the read-only status function at the event definition's item route.
   */
  addRoute(
    id: string,
    path: string,
    method: apigwv2.HttpMethod,
    handler: lambda.IFunction,
    options: { readonly open?: boolean } = {},
  ): apigwv2.HttpRoute[] {
    return this.httpApi.addRoutes({
      path,
      methods: [method],
      integration: new HttpLambdaIntegration(`${id}Integration`, handler),
      authorizer: options.open ? new apigwv2.HttpNoneAuthorizer() : this.iamAuthorizer,
    });
  }
}
