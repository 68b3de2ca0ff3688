import { afterEach, describe, expect, it, vi } from 'vitest';
import { readConsumeConfig } from '../../../functions/consume/config';
import { ConfigError } from '../../../functions/shared/errors';
import { validBatch } from '../../helpers/msk-events';
import { itemsOfKind, lambdaContext, startTestLedger } from './support';

const valid = {
  LEDGER_TABLE: 'payments-ledger',
  DEAD_LETTER_TOPIC: 'payments-dead-letters',
  KAFKA_BROKERS: '127.0.0.1:9092',
};

describe('consume settings', () => {
  it('reads the ledger table, dead-letter topic, brokers and optional local endpoint', () => {
    expect(readConsumeConfig({ ...valid, DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' })).toMatchObject({
      ledgerTable: 'payments-ledger',
      deadLetterTopic: 'payments-dead-letters',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      kafka: { source: { kind: 'list', brokers: ['127.0.0.1:9092'] }, auth: 'none' },
    });
  });

  it.each([
    [{ ...valid, LEDGER_TABLE: undefined }, /LEDGER_TABLE: is required/],
    [{ ...valid, LEDGER_TABLE: 'a/b' }, /LEDGER_TABLE: "a\/b" is not a DynamoDB table name/],
    [
      { ...valid, DEAD_LETTER_TOPIC: 'dead letters' },
      /DEAD_LETTER_TOPIC: "dead letters" is not a valid Kafka topic/,
    ],
    [
      { ...valid, DYNAMODB_ENDPOINT: '127.0.0.1:8000' },
      /DYNAMODB_ENDPOINT: "127.0.0.1:8000" is not an http\(s\) URL/,
    ],
    [{ ...valid, KAFKA_BROKERS: undefined }, /KAFKA_BROKERS: or MSK_CLUSTER_ARN is required/],
  ])('stops start-up naming the bad setting (%#)', (env, message) => {
    expect(() => readConsumeConfig(env)).toThrow(ConfigError);
    expect(() => readConsumeConfig(env)).toThrow(message);
  });
});

describe('consume handler module', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails its cold start when a setting is missing', async () => {
    vi.stubEnv('LEDGER_TABLE', '');
    await expect(import('../../../functions/consume/handler')).rejects.toThrow(/LEDGER_TABLE: is required/);
  });

  it('consumes a batch with the settings of its environment', async () => {
    const ledger = await startTestLedger();
    try {
      // The dead-letter producer connects lazily: a batch without anomalies never needs the broker.
      vi.stubEnv('LEDGER_TABLE', ledger.tableName);
      vi.stubEnv('DEAD_LETTER_TOPIC', 'payments-dead-letters');
      vi.stubEnv('KAFKA_BROKERS', '127.0.0.1:9');
      vi.stubEnv('DYNAMODB_ENDPOINT', ledger.store.endpoint);
      const { handler } = await import('../../../functions/consume/handler');
      const event = validBatch();

      expect(await handler(event, lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(itemsOfKind(await ledger.dump(), 'applied')).toHaveLength(3);
    } finally {
      await ledger.close();
    }
  });
});
