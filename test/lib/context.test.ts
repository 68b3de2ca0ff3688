import { App } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../lib/context';
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

  it.each([
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

  it('hands range checks to the constructs, which name the same key', () => {
    // GIVEN a context value of the right type but out of range
    const props = fromContext({ partitions: '0' });
    // WHEN the stack is built, THEN
    expect(() => synthPipelineStack(props)).toThrow(/partitions must be an integer from 1 to 1000, got 0/);
  });
});
