import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { metricsNamespaceProblem } from '../functions/shared/app-names';
import { integerSetting, nameSetting } from './settings';

export interface PipelineObservabilityProps {
  readonly httpApi: apigwv2.IHttpApi;
  readonly ingestFunction: lambda.IFunction;
  readonly consumeFunction: lambda.IFunction;
  readonly onFailureQueue: sqs.IQueue;

  /** Namespace of the functions' custom metrics (embedded metric format). */
  readonly metricsNamespace: string;
  /** The `service` dimension the consume function's metrics carry (its Powertools service name). */
  readonly consumerServiceName: string;
  /**
   * Custom metric the consume function emits once per dead-lettered record.
   * @default 'DeadLettered'
   */
  readonly deadLetterMetricName?: string;

  /**
   * p99 latency of `POST /payments` above which the latency alarm fires, in milliseconds.
   * @default 1000
   */
  readonly ingestLatencyP99Millis?: number;

  /**
   * Records the consumer group may lag behind the end of the events topic before the lag alarm fires.
   * @default 1000
   */
  readonly offsetLagThreshold?: number;

  /** Where alarms notify, e.g. an SNS topic action. @default - alarms change state without notifying */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/** One dashboard and the alarms an operator of the pipeline acts on. */
export class PipelineObservability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: Record<
    | 'ingestErrors'
    | 'ingestServerErrors'
    | 'ingestLatency'
    | 'consumerErrors'
    | 'offsetLag'
    | 'deadLetters'
    | 'onFailureQueueDepth',
    cloudwatch.Alarm
  >;

  constructor(scope: Construct, id: string, props: PipelineObservabilityProps) {
    super(scope, id);
    const metricsNamespace = nameSetting('metricsNamespace', props.metricsNamespace, metricsNamespaceProblem);
    const latencyMillis = integerSetting('ingestLatencyP99Millis', props.ingestLatencyP99Millis ?? 1000, {
      min: 1,
      max: 30_000,
    });
    const offsetLagThreshold = integerSetting('offsetLagThreshold', props.offsetLagThreshold ?? 1000, {
      min: 1,
      max: 1_000_000_000,
    });
    const period = Duration.minutes(1);

    const ingestErrors = props.ingestFunction.metricErrors({ period, statistic: cloudwatch.Stats.SUM });
    const ingestServerErrors = props.httpApi.metricServerError({ period, statistic: cloudwatch.Stats.SUM });
    const ingestLatency = props.httpApi.metricLatency({ period, statistic: cloudwatch.Stats.p(99) });
    const consumerErrors = props.consumeFunction.metricErrors({ period, statistic: cloudwatch.Stats.SUM });
    // Emitted by Lambda for Kafka event source mappings: records between the committed offset and the log end.
    const offsetLag = new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'OffsetLag',
      dimensionsMap: { FunctionName: props.consumeFunction.functionName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period,
    });
    const deadLetters = new cloudwatch.Metric({
      namespace: metricsNamespace,
      metricName: props.deadLetterMetricName ?? 'DeadLettered',
      dimensionsMap: { service: props.consumerServiceName },
      statistic: cloudwatch.Stats.SUM,
      period,
    });
    const onFailureQueueDepth = props.onFailureQueue.metricApproximateNumberOfMessagesVisible({
      period,
      statistic: cloudwatch.Stats.MAXIMUM,
    });

    const alarm = (
      alarmId: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
    ): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No traffic is not a failure: a quiet pipeline must stay green.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmAction) created.addAlarmAction(props.alarmAction);
      return created;
    };
    this.alarms = {
      ingestErrors: alarm('IngestErrorsAlarm', ingestErrors, 1, 'The ingest function failed invocations'),
      ingestServerErrors: alarm(
        'IngestServerErrorsAlarm',
        ingestServerErrors,
        1,
        'POST /payments answered 5xx',
      ),
      ingestLatency: alarm(
        'IngestLatencyAlarm',
        ingestLatency,
        latencyMillis,
        `POST /payments p99 latency at or above ${latencyMillis} ms for 3 minutes`,
        3,
      ),
      consumerErrors: alarm(
        'ConsumerErrorsAlarm',
        consumerErrors,
        1,
        'The consume function failed whole batches',
      ),
      offsetLag: alarm(
        'OffsetLagAlarm',
        offsetLag,
        offsetLagThreshold,
        `The consumer is ${offsetLagThreshold} or more records behind the events topic for 5 minutes`,
        5,
      ),
      deadLetters: alarm(
        'DeadLettersAlarm',
        deadLetters,
        1,
        'Records were dead-lettered (see the reason header)',
      ),
      onFailureQueueDepth: alarm(
        'OnFailureQueueDepthAlarm',
        onFailureQueueDepth,
        1,
        'Batches exhausted their retries and wait in the on-failure queue',
      ),
    };

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Ingest requests and errors',
            left: [
              props.httpApi.metricCount({ period, statistic: cloudwatch.Stats.SUM }),
              ingestServerErrors,
            ],
            right: [ingestErrors],
          }),
          new cloudwatch.GraphWidget({
            title: 'Ingest latency',
            left: [
              ingestLatency,
              props.ingestFunction.metricDuration({ period, statistic: cloudwatch.Stats.p(99) }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Ingest concurrency and throttles',
            left: [
              props.ingestFunction.metric('ConcurrentExecutions', {
                period,
                statistic: cloudwatch.Stats.MAXIMUM,
              }),
            ],
            right: [props.ingestFunction.metricThrottles({ period, statistic: cloudwatch.Stats.SUM })],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Consumer invocations and errors',
            left: [props.consumeFunction.metricInvocations({ period, statistic: cloudwatch.Stats.SUM })],
            right: [consumerErrors],
          }),
          new cloudwatch.GraphWidget({ title: 'Consumer offset lag', left: [offsetLag] }),
          new cloudwatch.GraphWidget({
            title: 'Dead letters and parked batches',
            left: [deadLetters],
            right: [onFailureQueueDepth],
          }),
        ],
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            width: 24,
            alarms: Object.values(this.alarms),
          }),
        ],
      ],
    });
  }
}
