import { describe, expect, it } from 'vitest';
import { readKafkaSettings } from '../../../functions/shared/kafka-settings';

const CLUSTER_ARN =
  'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2';

describe('readKafkaSettings', () => {
  it('reads a broker list without authentication by default', () => {
    expect(
      readKafkaSettings({ KAFKA_BROKERS: '127.0.0.1:9092, kafka-2.internal:9093', AWS_REGION: 'eu-west-1' }),
    ).toEqual({
      source: { kind: 'list', brokers: ['127.0.0.1:9092', 'kafka-2.internal:9093'] },
      auth: 'none',
      region: 'eu-west-1',
    });
  });

  it('reads an MSK cluster ARN with IAM auth and takes the region from the ARN', () => {
    expect(
      readKafkaSettings({ MSK_CLUSTER_ARN: CLUSTER_ARN, KAFKA_AUTH: 'iam', AWS_REGION: 'us-east-1' }),
    ).toEqual({
      source: { kind: 'msk', clusterArn: CLUSTER_ARN },
      auth: 'iam',
      region: 'eu-west-1',
    });
  });

  it('reads the CA of a local or self-managed broker, and the signing profile only with IAM auth', () => {
    const env = { KAFKA_BROKERS: '127.0.0.1:9098', KAFKA_CA_FILE: '/data/ca.pem', AWS_PROFILE: 'ingest' };
    expect(readKafkaSettings({ ...env, KAFKA_AUTH: 'iam' })).toMatchObject({
      auth: 'iam',
      caFile: '/data/ca.pem',
      profile: 'ingest',
    });
    expect(readKafkaSettings(env)).not.toHaveProperty('profile');
  });

  it.each([
    [{}, /^KAFKA_BROKERS: or MSK_CLUSTER_ARN is required/],
    [{ KAFKA_BROKERS: 'a:1', MSK_CLUSTER_ARN: CLUSTER_ARN }, /both set; set exactly one/],
    [{ KAFKA_BROKERS: 'localhost' }, /^KAFKA_BROKERS: "localhost" is not host:port \(received "localhost"\)/],
    [{ KAFKA_BROKERS: 'a:1,,b:2' }, /^KAFKA_BROKERS: "" is not host:port/],
    [
      { MSK_CLUSTER_ARN: 'arn:aws:s3:::bucket' },
      /^MSK_CLUSTER_ARN: "arn:aws:s3:::bucket" is not an MSK cluster ARN/,
    ],
    [{ KAFKA_BROKERS: 'a:1', KAFKA_AUTH: 'scram' }, /^KAFKA_AUTH: must be "none" or "iam", got "scram"/],
  ])('refuses %j naming the setting', (env, message) => {
    expect(() => readKafkaSettings(env)).toThrow(message);
  });
});
