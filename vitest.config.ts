import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that need Apache Kafka (Java) run with `npm run test:kafka` (vitest.kafka.config.ts).
    exclude: [...configDefaults.exclude, 'test/reference/**'],
    // Integration tests start real brokers and stores on loopback; CDK synthesis bundles with esbuild.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests assert behaviour, not log lines: keep Powertools quiet unless a test asks otherwise.
    env: { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
    // Files and the tests in each file run in a random order, so a test that passes only after another fails
    // early. The banner prints the seed; `npx vitest run --sequence.seed=<seed>` repeats that order.
    sequence: { shuffle: true },
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
