import { describe, expect, it } from 'vitest';
import { readIngestSettings } from '../../../functions/ingest/settings';

const REQUIRED = { KAFKA_BROKERS: '127.0.0.1:9092', EVENTS_TOPIC: 'payments' };

describe('readIngestSettings', () => {
  it('has limits and timeouts that suit an HTTP API by default', () => {
    expect(readIngestSettings(REQUIRED)).toMatchObject({
      topic: 'payments',
      limits: { maxEventBytes: 256 * 1024, maxBatchBytes: 512 * 1024, maxBatchEvents: 100 },
      publishTimeoutMs: 10_000,
      retryAfterSeconds: 1,
      producerMaxIdleMs: 540_000,
    });
  });

  it('takes the limits from the environment', () => {
    const settings = readIngestSettings({
      ...REQUIRED,
      MAX_EVENT_BYTES: '4096',
      MAX_BATCH_BYTES: '65536',
      MAX_BATCH_EVENTS: '10',
      PUBLISH_TIMEOUT_MS: '2000',
      RETRY_AFTER_SECONDS: '3',
      PRODUCER_MAX_IDLE_MS: '0',
    });

    expect(settings.limits).toEqual({ maxEventBytes: 4096, maxBatchBytes: 65536, maxBatchEvents: 10 });
    expect([settings.publishTimeoutMs, settings.retryAfterSeconds, settings.producerMaxIdleMs]).toEqual([
      2000,
      3,
      undefined,
    ]);
  });

  it.each([
    [{ EVENTS_TOPIC: undefined }, /^EVENTS_TOPIC: is required/],
    [{ EVENTS_TOPIC: 'pay/ments' }, /^EVENTS_TOPIC: "pay\/ments" is not a valid Kafka topic name/],
    [{ MAX_BATCH_EVENTS: '0' }, /^MAX_BATCH_EVENTS: must be an integer from 1 to 1000, got "0"/],
    [
      { PUBLISH_TIMEOUT_MS: '60000' },
      /^PUBLISH_TIMEOUT_MS: must be an integer from 100 to 25000, got "60000"/,
    ],
    [{ KAFKA_BROKERS: undefined }, /^KAFKA_BROKERS: or MSK_CLUSTER_ARN is required/],
  ])('stops start-up on %j naming the setting', (override, message) => {
    expect(() => readIngestSettings({ ...REQUIRED, ...override })).toThrow(message);
  });
});
