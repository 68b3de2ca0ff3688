import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventDefinition } from '../../functions/event/definition';
import { appNames } from '../../functions/shared/app-names';
import { eventRoutes } from '../../functions/shared/event-definition';
import type { PipelineStack } from '../../lib/pipeline-stack';
import { CLUSTER_ARN, roleStatements, topicArn } from './policy-statements';
import { onlyLogicalId, synthPipelineStack } from './stack-fixture';

/** The routes and topic of the pipeline's own event type and application name. */
const routes = eventRoutes(eventDefinition);
const { topic } = appNames();

describe('IngestApi (defaults)', () => {
  let stack: PipelineStack;
  let template: Template;
  beforeAll(() => {
    // GIVEN / WHEN the stack with default settings
    ({ stack, template } = synthPipelineStack());
  });

  it('serves POST to the event collection with IAM authorization', () => {
    // THEN
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: `POST ${routes.collection}`,
      AuthorizationType: 'AWS_IAM',
    });
    // and only the two routes of the product: POST /<plural> and GET /<plural>/{<idField>}
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
  });

  it('runs the ingest handler on nodejs22.x arm64 inside the VPC with the functions security group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('publishes them with an idempotent Kafka producer'),
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      VpcConfig: {
        SubnetIds: Match.anyValue(),
        SecurityGroupIds: [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('NetworkFunctionSecurityGroup'), 'GroupId'] },
        ],
      },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
    });
  });

  it('reserves no concurrency, so accounts with a concurrency quota below 120 can deploy', () => {
    // Lambda keeps 100 executions unreserved; any reservation needs a quota of at least 100 + the reservation.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('idempotent Kafka producer'),
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it('tells the handler which cluster and topic to use, with IAM auth', () => {
    const clusterId = onlyLogicalId(template, 'AWS::MSK::Cluster');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('idempotent Kafka producer'),
      Environment: {
        Variables: Match.objectLike({
          MSK_CLUSTER_ARN: { 'Fn::GetAtt': [clusterId, 'Arn'] },
          KAFKA_AUTH: 'iam',
          EVENTS_TOPIC: topic,
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('may connect, write idempotently to the events topic and look up brokers: nothing else on Kafka', () => {
    const kafkaStatements = roleStatements(template, 'Execution role of IngestFunction').filter((statement) =>
      JSON.stringify(statement.Action).includes('kafka'),
    );
    expect(kafkaStatements).toEqual([
      {
        Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
        Effect: 'Allow',
        Resource: CLUSTER_ARN,
      },
      {
        Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        Effect: 'Allow',
        Resource: topicArn(topic),
      },
      { Action: 'kafka:GetBootstrapBrokers', Effect: 'Allow', Resource: CLUSTER_ARN },
    ]);
  });

  it('writes logs only to its own log group, which has a retention', () => {
    const functionId = onlyLogicalId(template, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('idempotent Kafka producer'),
    });
    const logGroupRef = (
      template.toJSON().Resources[functionId].Properties.LoggingConfig as { LogGroup: { Ref: string } }
    ).LogGroup.Ref;
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } });
    const logStatements = roleStatements(template, 'Execution role of IngestFunction').filter((statement) =>
      JSON.stringify(statement.Action).includes('logs:'),
    );
    expect(logStatements).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: `<${logGroupRef}.Arn>`,
      },
    ]);
    expect(template.toJSON().Resources[logGroupRef].Properties.RetentionInDays).toBe(30);
  });

  it('throttles the stage and writes JSON access logs with the caller', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"caller":"\\$context.identity.userArn"'),
      },
    });
  });

  it('leaves a place for further routes, IAM-authorized', () => {
    // WHEN another route is added to the already-built API
    const reader = new lambda.Function(stack, 'AuditReader', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })'),
    });
    const routes = stack.ingestApi.addRoute('GetAudit', '/audit', apigwv2.HttpMethod.GET, reader);
    // THEN
    expect(routes).toHaveLength(1);
    const route = routes[0]?.node.defaultChild as apigwv2.CfnRoute;
    expect(stack.resolve(route.routeKey)).toBe('GET /audit');
    expect(route.authorizationType).toBe('AWS_IAM');
  });

  it('answers GET of one event from the ledger with read-only grants and IAM authorization', () => {
    // THEN the route exists with the API's authorization
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: `GET ${routes.item}`,
      AuthorizationType: 'AWS_IAM',
    });
    // AND its function reads the ledger table it is told about, and can do nothing else with data
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('status from the ledger'),
      Environment: { Variables: Match.objectLike({ LEDGER_TABLE: Match.anyValue() }) },
    });
    const dataStatements = roleStatements(template, 'Execution role of StatusFunction').filter(
      (statement) => !JSON.stringify(statement.Action).match(/logs:|ec2:/),
    );
    expect(dataStatements.flatMap((statement) => statement.Action)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
  });
});

describe('IngestApi opened to unauthenticated callers', () => {
  let stack: PipelineStack;
  let template: Template;
  beforeAll(() => {
    // GIVEN / WHEN the documented opt-out, with a reserved concurrency asked for
    ({ stack, template } = synthPipelineStack({
      ingestAuthorization: 'none',
      ingestReservedConcurrency: 50,
    }));
  });

  it('opens POST of events only, and reserves the concurrency it was given', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: `POST ${routes.collection}`,
      AuthorizationType: 'NONE',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('idempotent Kafka producer'),
      ReservedConcurrentExecutions: 50,
    });
  });

  it("keeps GET of one event IAM-authorized: the ledger's status is never public", () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: `GET ${routes.item}`,
      AuthorizationType: 'AWS_IAM',
    });
  });

  it('passes the AWS Solutions checks, with APIG4 acknowledged on the ingest route alone', () => {
    // WHEN
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    // THEN
    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual(
      [],
    );
    const acknowledgedApig4 = stack.node
      .findAll()
      .filter((construct) =>
        construct.node.metadata.some(
          (entry) =>
            entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY &&
            Object.keys(entry.data as object).some((id) => id.includes('AwsSolutions-APIG4')),
        ),
      )
      .map((construct) => construct.node.path);
    expect(acknowledgedApig4).toEqual([
      expect.stringMatching(new RegExp(`PostEvents|POST--${eventDefinition.noun.plural}`)),
    ]);
  });
});

describe('IngestApi settings', () => {
  it.each([
    [{ ingestReservedConcurrency: 0 }, /ingestReservedConcurrency must be an integer from 1 to 1000, got 0/],
    [
      { ingestReservedConcurrency: 1.5 },
      /ingestReservedConcurrency must be an integer from 1 to 1000, got 1\.5/,
    ],
    [
      { ingestAuthorization: 'cognito' as never },
      /ingestAuthorization must be one of iam \| none, got "cognito"/,
    ],
  ])('rejects %o', (props, message) => {
    expect(() => synthPipelineStack(props)).toThrow(message);
  });
});
