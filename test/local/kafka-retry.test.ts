import { createRequire } from 'node:module';
import { KafkaJSConnectionError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { retryPassingKafkaErrors } from '../../local/kafka-retry';

/** kafkajs's own error for a broker's error code, as its clients raise it (retriable as kafkajs marks it). */
const kafkajsSource = createRequire(import.meta.url);
const { createErrorFromCode } = kafkajsSource('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): Error & { type: string; retriable: boolean };
};
/** What kafkajs raises when its own retries of a retriable error ran out. */
const { KafkaJSNumberOfRetriesExceeded } = kafkajsSource('kafkajs/src/errors') as {
  KafkaJSNumberOfRetriesExceeded: new (
    error: Error,
    details: { retryCount: number; retryTime: number },
  ) => Error;
};
const NOT_COORDINATOR = 16;
const TOPIC_AUTHORIZATION_FAILED = 29;

/** An attempt that fails with each of `failures` in turn, then answers `answer`; counts its calls. */
function attemptFailing<T>(failures: readonly Error[], answer: T) {
  let calls = 0;
  return {
    calls: () => calls,
    attempt: async () => {
      const failure = failures[calls++];
      if (failure) throw failure;
      return answer;
    },
  };
}

describe('Kafka calls of the local pipeline', () => {
  it('wait out a group coordinator that is moving, then answer', async () => {
    // Prepare
    const notCoordinator = createErrorFromCode(NOT_COORDINATOR);
    const moving = attemptFailing(
      [
        notCoordinator,
        new KafkaJSNumberOfRetriesExceeded(notCoordinator, {
          retryCount: 5,
          retryTime: 300,
        }),
      ],
      7,
    );

    // Act
    const answer = await retryPassingKafkaErrors('reading offsets', moving.attempt, { initialBackoffMs: 1 });

    // Assess
    expect(answer).toBe(7);
    expect(moving.calls()).toBe(3);
  });

  it('wait out a lost connection, which a kafkajs admin call passes on at once', async () => {
    // Prepare: createTopics retries NOT_CONTROLLER only, and hands any other error back as it came.
    const dropped = attemptFailing(
      [new KafkaJSConnectionError('Connection error: write after end')],
      'created',
    );

    // Act
    const answer = await retryPassingKafkaErrors('creating the topics', dropped.attempt, {
      initialBackoffMs: 1,
    });

    // Assess
    expect(answer).toBe('created');
    expect(dropped.calls()).toBe(2);
  });

  it.each([
    ['an authorization failure', createErrorFromCode(TOPIC_AUTHORIZATION_FAILED)],
    ['an error of its own', new Error('topic payments was not visible in Metadata after 30000 ms')],
  ])('fail at once on %s, which waiting cannot mend', async (_, error) => {
    // Prepare
    const refused = attemptFailing([error], 'never');

    // Act
    const outcome = retryPassingKafkaErrors('creating the topics', refused.attempt, { initialBackoffMs: 1 });

    // Assess
    await expect(outcome).rejects.toBe(error);
    expect(refused.calls()).toBe(1);
  });

  it('give up after their time, naming what they waited for and what Kafka last answered', async () => {
    // Prepare
    const stuck = createErrorFromCode(NOT_COORDINATOR);
    const attempt = async () => {
      throw stuck;
    };

    // Act
    const outcome = retryPassingKafkaErrors('reading the topic and group offsets', attempt, {
      timeoutMs: 50,
      initialBackoffMs: 5,
    });

    // Assess
    await expect(outcome).rejects.toThrow(
      'reading the topic and group offsets: Kafka still answered "This is not the correct coordinator for this group" after 50 ms',
    );
    await expect(outcome).rejects.toHaveProperty('cause', stuck);
  });
});
