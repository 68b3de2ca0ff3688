import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, PublishError, TopicNotFoundError } from '../../../functions/shared/errors';
import { createKafka } from '../../../functions/shared/kafka-client';
import { readKafkaSettings } from '../../../functions/shared/kafka-settings';
import { type OutgoingRecord, WarmProducer } from '../../../functions/shared/producer-session';
import { ADMIN_POLICY, type IamKafka, startIamKafka } from '../../helpers/iam-kafka';
import { createFreshTopic, readTopic, startLocalKafka, type TestKafka } from '../../helpers/kafka';

/**
 * Which failures a publish reports as retriable (PublishError: the client gets a 503 and tries again) and
 * which as final, and how often the warm producer opens a new session for one publish: once more at most,
 * and only when nothing of the publish was sent.
 */
const quiet = new Logger({ serviceName: 'producer-session-failures-test', logLevel: 'SILENT' });
const record: OutgoingRecord = { eventId: 'evt-1', key: 'acct-1', value: '{"eventId":"evt-1"}' };

const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((item) => item.close()));
});

describe('warm producer: connecting', () => {
  let kafka: TestKafka;
  beforeAll(async () => {
    kafka = await startLocalKafka();
  });
  afterAll(() => kafka.close());

  /** A connect that fails with `failure` for its first `failures` calls, then connects to the broker. */
  function flakyConnect(failures: number, failure: Error = new Error('connection refused')) {
    const settings = readKafkaSettings({ KAFKA_BROKERS: kafka.brokers.join(',') });
    const connect = async () => {
      connect.calls += 1;
      if (connect.calls <= failures) throw failure;
      return createKafka(settings, 'failures-test', { logger: quiet });
    };
    connect.calls = 0;
    return connect;
  }

  it('reports a failed connect as retriable with nothing sent, and connects again on the next publish', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    const connect = flakyConnect(1);
    const producer = new WarmProducer(connect);
    closing.push(producer);

    const failed = await producer.publish(topic, [record]).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(PublishError);
    expect((failed as PublishError).sent).toBe(false);
    expect((failed as PublishError).message).toBe('could not connect a producer to Kafka');
    expect(await producer.sessionId()).toBeUndefined();

    // The failed connect is not kept: the next publish connects again and succeeds.
    const [delivered] = await producer.publish(topic, [record]);
    expect(connect.calls).toBe(2);
    expect(delivered?.offset).toBe('0');
    expect(await readTopic(kafka.brokers, topic)).toHaveLength(1);
  });

  it('reports a configuration fault as it is, without trying again', async () => {
    const connect = flakyConnect(5, new ConfigError('KAFKA_BROKERS', 'expected host:port, got "x"'));
    const producer = new WarmProducer(connect);

    const failed = await producer.publish('payments', [record]).catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(ConfigError);
    expect(connect.calls).toBe(1);
  });
});

describe('warm producer: a partition lookup the broker refuses', () => {
  let iamKafka: IamKafka;
  beforeAll(async () => {
    iamKafka = await startIamKafka();
  });
  afterAll(() => iamKafka.close());

  it('is a retriable failure on a fresh session, not a missing topic, and retires each session it used', async () => {
    // A principal that may write but not describe topics: Metadata answers TOPIC_AUTHORIZATION_FAILED.
    const writer = iamKafka.principal('writer', {
      Statement: [
        ...ADMIN_POLICY.Statement,
        { Effect: 'Deny', Action: 'kafka-cluster:DescribeTopic', Resource: '*' },
      ],
    });
    const retired: string[] = [];
    const producer = new WarmProducer(writer.connect, {
      publishTimeoutMs: 8_000,
      onRetired: ({ reason }) => retired.push(reason),
    });
    closing.push(producer);

    const failed = await producer.publish('payments', [record]).catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(PublishError);
    expect(failed).not.toBeInstanceOf(TopicNotFoundError);
    expect((failed as PublishError).sent).toBe(false);
    expect((failed as PublishError).message).toBe('looking up the partitions of payments failed');
    // Two sessions, each retired for the broker's refusal (Kafka error 29, TOPIC_AUTHORIZATION_FAILED).
    expect(retired).toEqual(['KAFKA_ERROR_29', 'KAFKA_ERROR_29']);
    expect(await producer.sessionId()).toBeUndefined();
  });
});
