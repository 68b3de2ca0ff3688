/**
 * `npm run test:kafka`: starts 3 Apache Kafka brokers (MSK's settings), runs the Kafka-facing suites against
 * them through KAFKA_BROKERS (vitest.kafka.config.ts), prints how many tests ran and how many were skipped,
 * and stops every JVM it started. Tests that must look inside or stop the local broker are skipped by name,
 * each with its reason. In CI (CI=true) a missing Java or Maven is an error; elsewhere it skips the run.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startReferenceCluster } from './cluster';
import { MissingToolError, requireJavaAndMaven } from './maven';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** Tests that only make sense against the in-process local broker, by name (a part of the full name). */
const LOCAL_BROKER_ONLY: readonly { readonly test: string; readonly reason: string }[] = [
  {
    test: 'sends publishes that queue up behind a send together',
    reason: 'counts the batches inside the local broker storage',
  },
  {
    test: 'looks up prefetched topics while it opens',
    reason: 'counts connections through a relay the broker advertises',
  },
  { test: 'producer after a freeze', reason: 'cuts connections through a relay the broker advertises' },
  {
    test: 'retires the session when its broker stays unreachable past the deadline',
    reason: 'stops the broker',
  },
  {
    test: 'ingest handler through faulty networks',
    reason: 'needs a proxy the broker advertises (real Kafka behind the proxy: test/reference)',
  },
  {
    test: 'reports the first anomaly as failed while the broker is down',
    reason: 'stops and restarts the broker',
  },
  {
    test: 'lets a producer carry on after the broker drops every connection',
    reason: 'closes the local broker connections from inside',
  },
  {
    test: '@platformatic/kafka against the broker',
    reason: "exercises the local broker's opt-in flexible versions",
  },
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface VitestSummary {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

function toolsOrExit(): void {
  try {
    requireJavaAndMaven();
  } catch (error) {
    if (!(error instanceof MissingToolError)) throw error;
    if (process.env.CI === 'true') {
      console.error(`test:kafka: ${error.message}. CI must run against Apache Kafka: install them.`);
      process.exit(1);
    }
    console.log(`test:kafka: skipped: ${error.message}.`);
    process.exit(0);
  }
}

async function main(): Promise<number> {
  toolsOrExit();
  const started = Date.now();
  console.log('test:kafka: starting 3 Apache Kafka brokers…');
  const cluster = await startReferenceCluster({ nodes: 3 });
  const stop = () => void cluster.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(
    `test:kafka: Kafka ${cluster.version} up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${cluster.brokers.join(',')}`,
  );
  const resultsDir = join(ROOT, '.cache', 'kafka');
  await mkdir(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, 'test-results.json');
  const skipPattern = `^(?!.*(?:${LOCAL_BROKER_ONLY.map(({ test }) => escapeRegExp(test)).join('|')})).*$`;
  try {
    const code = await new Promise<number>((resolveCode, reject) => {
      const vitest = spawn(
        join(ROOT, 'node_modules', '.bin', 'vitest'),
        [
          'run',
          '--config',
          'vitest.kafka.config.ts',
          '--testNamePattern',
          skipPattern,
          '--reporter=default',
          '--reporter=json',
          `--outputFile.json=${resultsFile}`,
          ...process.argv.slice(2),
        ],
        { cwd: ROOT, stdio: 'inherit', env: { ...process.env, KAFKA_BROKERS: cluster.brokers.join(',') } },
      );
      vitest.once('error', reject);
      vitest.once('exit', (exitCode) => resolveCode(exitCode ?? 1));
    });
    const summary = JSON.parse(await readFile(resultsFile, 'utf8')) as VitestSummary;
    console.log('\nSkipped against Apache Kafka (they need the in-process local broker):');
    for (const { test, reason } of LOCAL_BROKER_ONLY) console.log(`  - "${test}": ${reason}`);
    const skipped = summary.numPendingTests + summary.numTodoTests;
    console.log(
      `\nApache Kafka ${cluster.version}, 3 brokers: ${summary.numPassedTests + summary.numFailedTests} ran, ${skipped} skipped`,
    );
    console.log(`${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped`);
    return code;
  } finally {
    await cluster.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
