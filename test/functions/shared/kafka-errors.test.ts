import { createRequire } from 'node:module';
import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  FATAL_IDEMPOTENCE_ERRORS,
  failureReason,
  isFatalForIdempotence,
  isUnknownTopic,
  kafkaErrorCode,
} from '../../../functions/shared/kafka-errors';

/** kafkajs's own error for a broker error code, exactly as its response decoders raise it. */
const { createErrorFromCode } = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => Error;
};

/** kafkajs's retrier wraps with `{ cause }`, an argument its type declarations leave out. */
const NonRetriable = KafkaJSNonRetriableError as unknown as new (
  error: Error,
  options: { cause: Error },
) => Error;

describe('reading kafkajs errors', () => {
  it.each([...FATAL_IDEMPOTENCE_ERRORS])(
    'treats %i (%s) as fatal for the producer, bare or wrapped',
    (code, type) => {
      const fromBroker = createErrorFromCode(code);
      // What sendMessages rejects with after bail(): the protocol error, or kafkajs's wrapper around it.
      const wrapped = new NonRetriable(fromBroker, { cause: fromBroker });

      expect(isFatalForIdempotence(fromBroker)).toBe(true);
      expect(isFatalForIdempotence(wrapped)).toBe(true);
      expect(failureReason(wrapped)).toBe(type);
      expect(kafkaErrorCode(wrapped)).toBe(code);
    },
  );

  it('does not treat retriable or unrelated failures as fatal', () => {
    const notLeader = createErrorFromCode(6);
    const exhausted = new KafkaJSNumberOfRetriesExceeded(notLeader, {
      retryCount: 5,
      retryTime: 1000,
    } as never);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

    expect(isFatalForIdempotence(notLeader)).toBe(false);
    expect(isFatalForIdempotence(exhausted)).toBe(false);
    expect(isFatalForIdempotence(refused)).toBe(false);
    expect(failureReason(refused)).toBe('Error');
    expect(failureReason(notLeader)).toBe('KAFKA_ERROR_6');
  });

  it('recognises an unknown topic', () => {
    expect(isUnknownTopic(createErrorFromCode(3))).toBe(true);
    expect(isUnknownTopic(createErrorFromCode(6))).toBe(false);
  });
});
