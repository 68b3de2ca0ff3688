import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { onlyLogicalId, synthPipelineStack } from './stack-fixture';

type AlarmProperties = {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  ExtendedStatistic?: string;
  Statistic?: string;
  Threshold: number;
  EvaluationPeriods: number;
  TreatMissingData: string;
};

describe('PipelineObservability', () => {
  let template: Template;
  let alarms: AlarmProperties[];
  beforeAll(() => {
    // GIVEN / WHEN the stack with a custom metrics namespace
    ({ template } = synthPipelineStack({ metricsNamespace: 'Payments/Test' }));
    alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties as AlarmProperties,
    );
  });

  const alarmOn = (namespace: string, metricName: string): AlarmProperties => {
    const found = alarms.filter((alarm) => alarm.Namespace === namespace && alarm.MetricName === metricName);
    expect(found).toHaveLength(1);
    return found[0] as AlarmProperties;
  };

  it('alarms on ingest function errors and API 5xx', () => {
    // THEN
    const ingestId = onlyLogicalId(template, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('idempotent Kafka producer'),
    });
    const errors = alarms.filter((alarm) => alarm.MetricName === 'Errors');
    expect(errors.map((alarm) => alarm.Dimensions?.[0]?.Value)).toContainEqual({ Ref: ingestId });
    expect(alarmOn('AWS/ApiGateway', '5xx')).toMatchObject({ Threshold: 1, Statistic: 'Sum' });
  });

  it('alarms on p99 API latency for three minutes', () => {
    expect(alarmOn('AWS/ApiGateway', 'Latency')).toMatchObject({
      ExtendedStatistic: 'p99',
      Threshold: 1000,
      EvaluationPeriods: 3,
    });
  });

  it('alarms on consumer errors and on the mapping offset lag of the consume function', () => {
    const consumeId = onlyLogicalId(template, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('applies events to the ledger'),
    });
    const errors = alarms.filter((alarm) => alarm.MetricName === 'Errors');
    expect(errors.map((alarm) => alarm.Dimensions?.[0]?.Value)).toContainEqual({ Ref: consumeId });
    expect(alarmOn('AWS/Lambda', 'OffsetLag')).toMatchObject({
      Statistic: 'Maximum',
      Threshold: 1000,
      EvaluationPeriods: 5,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: consumeId } }],
    });
  });

  it('alarms on every dead-lettered record, in the configured namespace, for the consume service', () => {
    expect(alarmOn('Payments/Test', 'DeadLettered')).toMatchObject({
      Statistic: 'Sum',
      Threshold: 1,
      Dimensions: [{ Name: 'service', Value: 'consume' }],
    });
  });

  it('alarms as soon as a batch waits in the on-failure queue', () => {
    const queueId = onlyLogicalId(template, 'AWS::SQS::Queue');
    expect(alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toMatchObject({
      Threshold: 1,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    });
  });

  it('keeps every alarm green when there is no traffic', () => {
    expect(alarms).toHaveLength(7);
    for (const alarm of alarms) expect(alarm.TreatMissingData).toBe('notBreaching');
  });

  it('draws one dashboard with the same metrics and the alarm states', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    // The body is a Fn::Join of JSON text and tokens; its text parts are enough to read the widgets.
    const dashboardBody = dashboards[0]?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
    const parts = dashboardBody['Fn::Join'][1];
    const body = parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
    for (const metric of [
      'OffsetLag',
      'DeadLettered',
      'ApproximateNumberOfMessagesVisible',
      'Latency',
      'Errors',
    ]) {
      expect(body).toContain(`"${metric}"`);
    }
    expect(body).toContain('"type":"alarm"');
    expect(JSON.stringify(parts).match(/Alarm[0-9A-F]{8}","Arn"/g)).toHaveLength(7);
  });

  it('rejects a metrics namespace CloudWatch would refuse', () => {
    expect(() => synthPipelineStack({ metricsNamespace: 'has spaces' })).toThrow(
      /metricsNamespace must be a CloudWatch namespace .*got "has spaces"/,
    );
  });
});
