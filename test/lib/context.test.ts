import { App } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { appNames } from '../../functions/shared/app-names';
import { stackIdFromContext, stackPropsFromContext } from '../../lib/context';
import { synthPipelineStack } from './stack-fixture';

const fromContext = (context: Record<string, unknown>) => stackPropsFromContext(new App({ context }).node);

describe('stackPropsFromContext', () => {
  it('leaves every setting to its default when no context is given', () => {
    // GIVEN no context, WHEN read, THEN
    expect(Object.values(fromContext({})).every((value) => value === undefined)).toBe(true);
  });

  it('reads switches given on the command line as strings, and from cdk.json as booleans', () => {
    expect(fromContext({ createVpcEndpoints: 'true' }).createVpcEndpoints).toBe(true);
    expect(fromContext({ createVpcEndpoints: false }).createVpcEndpoints).toBe(false);
  });

  it('reads numbers given on the command line as strings, and from cdk.json as numbers', () => {
    // GIVEN `-c partitions=12` (a string) and cdk.json numbers
    const props = fromContext({
      partitions: '12',
      consumerBatchSize: 250,
      ingestReservedConcurrency: '40',
      brokerCount: 6,
      logRetentionDays: '90',
    });
    // THEN
    expect(props).toMatchObject({
      partitions: 12,
      consumerBatchSize: 250,
      ingestReservedConcurrency: 40,
      brokerCount: 6,
      logRetention: logs.RetentionDays.THREE_MONTHS,
    });
  });

  it('reads the cluster type, versions and names', () => {
    expect(
      fromContext({
        clusterType: 'serverless',
        kafkaVersion: '3.9.x',
        brokerInstanceType: 'kafka.m7g.xlarge',
        ingestAuthorization: 'none',
        vpcId: 'vpc-0abc1234def567890',
        createVpcEndpoints: 'false',
        metricsNamespace: 'Payments',
      }),
    ).toMatchObject({
      createVpcEndpoints: false,
      clusterType: 'serverless',
      kafkaVersion: '3.9.x',
      brokerInstanceType: 'kafka.m7g.xlarge',
      ingestAuthorization: 'none',
      vpcId: 'vpc-0abc1234def567890',
      metricsNamespace: 'Payments',
    });
  });

  it('reads the application name and the names derived from it', () => {
    expect(
      fromContext({
        appName: 'orders',
        topic: 'orders-v2',
        deadLetterTopic: 'orders-v2-dead-letter',
        ledgerTable: 'orders-ledger-v2',
        consumerGroupId: 'orders-v2',
      }),
    ).toMatchObject({
      appName: 'orders',
      topic: 'orders-v2',
      deadLetterTopic: 'orders-v2-dead-letter',
      ledgerTable: 'orders-ledger-v2',
      consumerGroupId: 'orders-v2',
    });
  });

  it('names the stack after -c stackId, else after -c appName', () => {
    const stackId = (context: Record<string, unknown>) => stackIdFromContext(new App({ context }).node);
    expect(stackId({})).toBe(appNames().stackId);
    expect(stackId({ appName: 'order-events' })).toBe('ExactlyOnceOrderEvents');
    expect(stackId({ appName: 'orders', stackId: 'OrdersProd' })).toBe('OrdersProd');
    expect(() => stackId({ stackId: 'orders_prod' })).toThrow(
      /stackId must be a stack name .*got "orders_prod"/,
    );
    expect(() => stackId({ appName: 'Orders' })).toThrow(/appName must be 1-40 of a-z 0-9 .*got "Orders"/);
  });

  it.each([
    [{ appName: 'Orders' }, /appName must be 1-40 of a-z 0-9 and single hyphens.*, got "Orders"/],
    [{ appName: 7 }, /appName must be 1-40 .*, got 7/],
    [{ topic: '' }, /topic must be a non-empty string, got ""/],
    [{ partitions: 'abc' }, /partitions must be a number, got "abc"/],
    [{ consumerBatchSize: true }, /consumerBatchSize must be a number, got true/],
    [{ clusterType: 'kraft' }, /clusterType must be one of provisioned \| serverless, got "kraft"/],
    [{ ingestAuthorization: 'IAM' }, /ingestAuthorization must be one of iam \| none, got "IAM"/],
    [{ logRetentionDays: 31 }, /logRetentionDays must be a CloudWatch Logs retention \(.*30, 60.*\), got 31/],
    [{ vpcId: 'my-vpc' }, /vpcId must be a VPC id such as "vpc-0abc1234", got "my-vpc"/],
    [{ kafkaVersion: '' }, /kafkaVersion must be a non-empty string, got ""/],
    [{ createVpcEndpoints: 'no' }, /createVpcEndpoints must be true or false, got "no"/],
  ])('rejects %o with the bad value in the message', (context, message) => {
    expect(() => fromContext(context)).toThrow(message);
  });

  it.each([
    [{ partitions: '0' }, /partitions must be an integer from 1 to 1000, got 0/],
    [{ topic: 'or/ders' }, /topic must be a Kafka topic name .*got "or\/ders"/],
    [
      { deadLetterTopic: appNames().topic },
      new RegExp(`deadLetterTopic must differ from topic, both are "${appNames().topic}"`),
    ],
    [{ ledgerTable: 'ab' }, /ledgerTable must be a DynamoDB table name .*got "ab"/],
    [
      { consumerGroupId: 'orders ledger' },
      /consumerGroupId must be a consumer group id .*got "orders ledger"/,
    ],
  ])('hands checks of %o to the constructs, which name the same key', (context, message) => {
    // GIVEN a context value of the right type but not a valid name or in range
    const props = fromContext(context);
    // WHEN the stack is built, THEN
    expect(() => synthPipelineStack(props)).toThrow(message);
  });
});
