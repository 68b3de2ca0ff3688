import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/shared/errors';
import { createKafka, resolveBrokerEndpoints } from '../../../functions/shared/kafka-client';
import { readKafkaSettings } from '../../../functions/shared/kafka-settings';

describe('resolveBrokerEndpoints', () => {
  it('uses a broker list as given, with TLS only for IAM', async () => {
    const plain = readKafkaSettings({ KAFKA_BROKERS: 'a:9092,b:9092' });
    const iam = readKafkaSettings({ KAFKA_BROKERS: 'a:9098', KAFKA_AUTH: 'iam', AWS_REGION: 'eu-west-1' });

    expect(await resolveBrokerEndpoints(plain)).toEqual({ brokers: ['a:9092', 'b:9092'], tls: false });
    expect(await resolveBrokerEndpoints(iam)).toEqual({ brokers: ['a:9098'], tls: true });
  });
});

describe('createKafka', () => {
  it('refuses IAM authentication without a region, naming AWS_REGION', async () => {
    const settings = readKafkaSettings({ KAFKA_BROKERS: 'a:9098', KAFKA_AUTH: 'iam' });

    await expect(createKafka(settings, 'test')).rejects.toThrow(
      new ConfigError('AWS_REGION', 'is required for KAFKA_AUTH=iam'),
    );
  });

  it("sends kafkajs's log lines to the given logger, errors as warnings, without the bounded-retries one", async () => {
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const record = (level: string) => (message: string, fields: Record<string, unknown>) =>
      lines.push({ level, message, fields });
    const sink = {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    };
    const kafka = await createKafka(readKafkaSettings({ KAFKA_BROKERS: '127.0.0.1:9092' }), 'test', {
      logger: sink,
    });

    kafka.logger().error('Connection error: connect ECONNREFUSED', { broker: '127.0.0.1:9092' });
    kafka.logger().warn('Producer is slow');
    kafka.logger().warn('Limiting retries for the idempotent producer may invalidate EoS guarantees');
    kafka.logger().info('Not forwarded below WARN');

    expect(lines).toEqual([
      {
        level: 'warn',
        message: 'Connection error: connect ECONNREFUSED',
        fields: { logger: 'kafkajs', broker: '127.0.0.1:9092' },
      },
      { level: 'warn', message: 'Producer is slow', fields: { logger: 'kafkajs' } },
    ]);
  });
});
