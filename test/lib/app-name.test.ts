import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { appNames } from '../../functions/shared/app-names';
import { PipelineStack } from '../../lib/pipeline-stack';
import { resourcesOfType, testApp } from './stack-fixture';

/**
 * The stack of another application ("orders"), with topic names of its own: every name the stack gives its
 * parts must follow, so a payment name creeping back into lib/ fails here. One synth (MSK Serverless, whose
 * topic custom resource carries more names than AWS::MSK::Topic).
 */
const TOPIC = 'orders-events';
const DEAD_LETTER_TOPIC = 'orders-events.dead-letter';
const names = appNames('orders', { topic: TOPIC, deadLetterTopic: DEAD_LETTER_TOPIC });

describe('PipelineStack for -c appName=orders with its own topic names', () => {
  let template: Template;
  beforeAll(() => {
    // GIVEN the app name and topic names, as bin/app.ts passes them from the context
    const stack = new PipelineStack(testApp(), names.stackId, {
      appName: 'orders',
      topic: TOPIC,
      deadLetterTopic: DEAD_LETTER_TOPIC,
      clusterType: 'serverless',
    });
    template = Template.fromStack(stack);
  });

  it('derives the stack id, table, consumer group and namespace from the app name', () => {
    expect(names).toMatchObject({
      stackId: 'ExactlyOnceOrders',
      ledgerTable: 'orders-ledger',
      consumerGroupId: 'orders-ledger',
      metricsNamespace: 'ExactlyOnceOrders',
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'orders-ledger' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: [TOPIC],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'orders-ledger' },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ExactlyOnceOrders',
      MetricName: 'DeadLettered',
    });
  });

  it('creates the topics it was given and grants on those names only', () => {
    const topics = Object.values(resourcesOfType(template, 'Custom::KafkaTopic')).map(
      (topic) => topic.Properties.TopicName,
    );
    expect(topics.sort()).toEqual([TOPIC, DEAD_LETTER_TOPIC]);
    const policies = JSON.stringify(resourcesOfType(template, 'AWS::IAM::Policy'));
    expect(policies).toContain(`/${TOPIC}`);
    expect(policies).toContain(`/${DEAD_LETTER_TOPIC}`);
    expect(policies).toContain('/orders-ledger');
  });

  it('gives every function the names of this application', () => {
    const functions = Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).filter(
      (fn) => (fn.Properties.Environment as { Variables?: object } | undefined)?.Variables,
    );
    const variables = functions.map(
      (fn) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
    );
    const ofProject = variables.filter((env) => env.POWERTOOLS_SERVICE_NAME !== undefined);
    expect(ofProject.map((env) => env.POWERTOOLS_SERVICE_NAME).sort()).toEqual([
      'consume',
      'ingest',
      'status',
    ]);
    for (const env of ofProject) expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('ExactlyOnceOrders');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EVENTS_TOPIC: TOPIC, DEAD_LETTER_TOPIC }) },
    });
  });

  it('leaves no payment name anywhere but the HTTP routes, which are the event type noun', () => {
    // The routes (POST /payments, GET /payments/{eventId}) name the event type, not the application.
    const routes = /(POST|GET)? ?\/?payments/g;
    const rest = JSON.stringify(template.toJSON()).replace(routes, '');
    expect(rest.match(/.{0,60}payment.{0,60}/gi) ?? []).toEqual([]);
  });
});
