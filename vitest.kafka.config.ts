/**
 * `npm run test:kafka` (reference/kafka/test-run.ts): the Kafka-facing suites against Apache Kafka, named by
 * KAFKA_BROKERS, plus the tests that only make sense there (test/reference/). One file at a time: the
 * cluster and the JVMs these tests start share a small machine.
 */
import { defineConfig } from 'vitest/config';
import base from './vitest.config';

export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/functions/ingest/handler.test.ts',
      'test/functions/consume/**/*.test.ts',
      'test/functions/shared/producer-session.test.ts',
      'test/functions/topics/kafka-topic-admin.test.ts',
      'test/local/start/pipeline.test.ts',
      'test/local/demo/**/*.test.ts',
      'test/local/event-source/emulator.test.ts',
      'test/local/broker/clients/**/*.test.ts',
      'test/reference/**/*.test.ts',
    ],
    exclude: [],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
  },
});
