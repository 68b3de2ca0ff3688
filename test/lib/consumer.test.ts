import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { appNames } from '../../functions/shared/app-names';
import { CLUSTER_ARN, groupArn, roleStatements, topicArn } from './policy-statements';
import { onlyLogicalId, synthPipelineStack } from './stack-fixture';

const CONSUMER_ROLE = 'Execution role of ConsumeFunction';
/** The names a default stack gets from the application name. */
const names = appNames();

describe('PipelineConsumer (defaults)', () => {
  let template: Template;
  beforeAll(() => {
    // GIVEN / WHEN the stack with default settings
    ({ template } = synthPipelineStack());
  });

  it('maps the events topic to the consume function in provisioned poller mode, from the oldest record', () => {
    // THEN
    const clusterId = onlyLogicalId(template, 'AWS::MSK::Cluster');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [clusterId, 'Arn'] },
      Topics: [names.topic],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: names.consumerGroupId },
      FunctionName: { Ref: Match.stringLikeRegexp('ConsumerConsumeFunction') },
    });
  });

  it('reports partial batch failures and retries with bisection until they succeed, so nothing is parked', () => {
    const queueId = onlyLogicalId(template, 'AWS::SQS::Queue');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: Match.absent(),
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('parks failed batches in an encrypted queue that keeps them 14 days and refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('creates the mapping after the topics and the role policies exist', () => {
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0];
    const topicIds = Object.keys(template.findResources('AWS::MSK::Topic'));
    const policyIds = Object.keys(template.findResources('AWS::IAM::Policy')).filter((id) =>
      id.startsWith('Consumer'),
    );
    expect(topicIds).toHaveLength(2);
    expect(policyIds.length).toBeGreaterThan(0);
    expect(mapping?.DependsOn).toEqual(expect.arrayContaining([...topicIds, ...policyIds]));
  });

  it('gives the consume function its ledger, topics and cluster', () => {
    const tableId = onlyLogicalId(template, 'AWS::DynamoDB::GlobalTable');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('applies events to the ledger'),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 60,
      VpcConfig: Match.objectLike({ SecurityGroupIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          LEDGER_TABLE: { Ref: tableId },
          EVENTS_TOPIC: names.topic,
          DEAD_LETTER_TOPIC: names.deadLetterTopic,
          MSK_CLUSTER_ARN: { 'Fn::GetAtt': [onlyLogicalId(template, 'AWS::MSK::Cluster'), 'Arn'] },
          KAFKA_AUTH: 'iam',
          POWERTOOLS_SERVICE_NAME: 'consume',
          POWERTOOLS_METRICS_NAMESPACE: names.metricsNamespace,
        }),
      },
    });
  });

  it('reads the events topic as its group, writes idempotently to the dead-letter topic only', () => {
    const kafkaStatements = roleStatements(template, CONSUMER_ROLE).filter((statement) =>
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
        Resource: topicArn(names.deadLetterTopic),
      },
      {
        Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
        Effect: 'Allow',
        Resource: CLUSTER_ARN,
      },
      {
        Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        Effect: 'Allow',
        Resource: topicArn(names.topic),
      },
      {
        Action: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        Effect: 'Allow',
        Resource: groupArn(names.consumerGroupId),
      },
      {
        Action: ['kafka:GetBootstrapBrokers', 'kafka:DescribeClusterV2'],
        Effect: 'Allow',
        Resource: CLUSTER_ARN,
      },
    ]);
  });

  it('may write single ledger items and send to the on-failure queue, with no other data access', () => {
    const tableId = onlyLogicalId(template, 'AWS::DynamoDB::GlobalTable');
    const queueId = onlyLogicalId(template, 'AWS::SQS::Queue');
    const dataStatements = roleStatements(template, CONSUMER_ROLE).filter((statement) =>
      /dynamodb:|sqs:/.test(JSON.stringify(statement.Action)),
    );
    expect(dataStatements).toEqual([
      {
        Action: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:ConditionCheckItem',
        ],
        Effect: 'Allow',
        Resource: `<${tableId}.Arn>`,
      },
      {
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Effect: 'Allow',
        Resource: `<${queueId}.Arn>`,
      },
    ]);
  });

  it('uses a wildcard resource only for EC2 actions that have no resource-level permissions', () => {
    const wildcard = roleStatements(template, CONSUMER_ROLE).filter(
      (statement) => statement.Resource === '*',
    );
    const actions = wildcard.flatMap((statement) => statement.Action);
    for (const action of actions) expect(action).toMatch(/^ec2:/);
    expect(actions).toEqual(expect.arrayContaining(['ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups']));
  });
});

describe('PipelineConsumer settings', () => {
  it('takes batch size, retries, record age and pollers from its props', () => {
    // GIVEN / WHEN
    const { template } = synthPipelineStack({
      consumerBatchSize: 500,
      consumerRetryAttempts: 2,
      consumerMaxRecordAge: Duration.hours(1),
      consumerMaximumPollers: 6,
      consumerGroupId: 'ledger-v2',
    });
    // THEN
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 500,
      MaximumRetryAttempts: 2,
      MaximumRecordAgeInSeconds: 3600,
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 6 },
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'ledger-v2' },
    });
  });

  it.each([
    [{ consumerBatchSize: 0 }, /consumerBatchSize must be an integer from 1 to 10000, got 0/],
    [{ consumerBatchSize: 10_001 }, /consumerBatchSize must be an integer from 1 to 10000, got 10001/],
    [{ consumerRetryAttempts: -2 }, /consumerRetryAttempts must be an integer from -1 to 10000, got -2/],
    [
      { consumerMaxRecordAge: Duration.seconds(30) },
      /consumerMaxRecordAge must be from 60 to 604800 seconds, got 30/,
    ],
    [{ consumerMaximumPollers: 0 }, /consumerMaximumPollers must be an integer from 1 to 2000, got 0/],
    [{ consumerGroupId: 'ledger group' }, /consumerGroupId must be a consumer group id .*got "ledger group"/],
  ])('rejects %o', (props, message) => {
    expect(() => synthPipelineStack(props)).toThrow(message);
  });
});
