/**
 * `npm run bench:ingest`: the ingest function through its real handler, against the local broker on
 * loopback (a benchmark, not a test).
 * - warm: one execution environment, invocations one after another (Lambda sends an environment one request
 *   at a time), the producer opened once and reused: latency p50 / p99 and invocations per second;
 * - baseline: the same handler whose publisher opens, connects and disconnects a producer on every
 *   invocation (the common anti-pattern), and the p50 ratio of the two;
 * - cold start: the deployed bundle imported in a fresh process, then its first invocation;
 * - bundle size, built with the stack's esbuild settings, with the AWS SDK bundled (as deployed) and external.
 * Every figure is the median over BENCH_RUNS runs (default 5). KAFKA_BROKERS=host:port runs it against any Kafka.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createIngestHandler, createIngestProducer, SERVICE_NAME } from '../functions/ingest/ingest-handler';
import type { RecordPublisher } from '../functions/ingest/publish';
import { type IngestSettings, readIngestSettings } from '../functions/ingest/settings';
import { createObservability } from '../functions/shared/observability';
import { jsonPost, lambdaContext } from '../test/helpers/api-gateway';
import { createFreshTopic, startTestKafka } from '../test/helpers/kafka';
import { paymentEvent } from '../test/helpers/payment-events';
import { measureColdStart } from './support/cold-start';
import { bundleFunction } from './support/function-bundle';
import { type Figure, publishFigures } from './support/report';
import { median, percentile, repeat } from './support/stats';
import { withTempDir } from './support/temp-dir';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WARM_INVOCATIONS = 1_000;
const BASELINE_INVOCATIONS = 100;
/** Invocations before timing starts: the first opens the producer, the next ones warm the JIT. */
const WARM_UP = 50;
const PARTITIONS = 3;
const ACCOUNTS = 50;

// The handler's logs and embedded metrics go to stdout in Lambda; here they would bury the table.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

type Handler = ReturnType<typeof createIngestHandler>;

interface LatencyRun {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
}

function requests(count: number): APIGatewayProxyEventV2[] {
  return Array.from({ length: count }, (_, i) =>
    jsonPost(paymentEvent({ accountId: `acct-${i % ACCOUNTS}` })),
  );
}

async function invoke(handler: Handler, event: APIGatewayProxyEventV2): Promise<void> {
  const answer = (await handler(event, lambdaContext('ingest'))) as APIGatewayProxyStructuredResultV2;
  if (answer.statusCode !== 201) {
    throw new Error(`expected 201 from the ingest handler, got ${answer.statusCode}: ${answer.body}`);
  }
}

/** Times `count` invocations one after another, after `warmUp` untimed ones. */
async function timeInvocations(handler: Handler, count: number, warmUp: number): Promise<LatencyRun> {
  for (const event of requests(warmUp)) await invoke(handler, event);
  const events = requests(count);
  const latencies: number[] = [];
  const started = performance.now();
  for (const event of events) {
    const before = performance.now();
    await invoke(handler, event);
    latencies.push(performance.now() - before);
  }
  const seconds = (performance.now() - started) / 1000;
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: count / seconds };
}

/** The warm path as deployed: the handler's own producer, opened by the first invocation and kept. */
async function warmRun(settings: IngestSettings): Promise<LatencyRun> {
  const { logger, metrics } = createObservability(SERVICE_NAME);
  const producer = createIngestProducer(settings, { logger, metrics });
  try {
    const handler = createIngestHandler({ settings, publisher: producer, logger, metrics });
    return await timeInvocations(handler, WARM_INVOCATIONS, WARM_UP);
  } finally {
    await producer.close();
  }
}

/**
 * The anti-pattern: the same producer factory, but a producer created, connected (metadata, InitProducerId)
 * and disconnected inside every invocation.
 */
async function baselineRun(settings: IngestSettings): Promise<LatencyRun> {
  const { logger, metrics } = createObservability(SERVICE_NAME);
  const producerPerInvocation: RecordPublisher = {
    publish: async (topic, records) => {
      const producer = createIngestProducer(settings, { logger, metrics });
      try {
        return await producer.publish(topic, records);
      } finally {
        await producer.close();
      }
    },
  };
  const handler = createIngestHandler({ settings, publisher: producerPerInvocation, logger, metrics });
  return timeInvocations(handler, BASELINE_INVOCATIONS, 5);
}

async function main(): Promise<void> {
  const kafka = await startTestKafka();
  try {
    const topic = await createFreshTopic(kafka.brokers, { partitions: PARTITIONS, prefix: 'bench-ingest' });
    const environment = { KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_AUTH: 'none', PAYMENTS_TOPIC: topic };
    const settings = readIngestSettings(environment);

    const warm: LatencyRun[] = [];
    const baseline: LatencyRun[] = [];
    const ratios: number[] = [];
    await repeat(RUNS, async () => {
      const w = await warmRun(settings);
      const b = await baselineRun(settings);
      warm.push(w);
      baseline.push(b);
      ratios.push(b.p50 / w.p50);
    });

    const { deployed, sdkExternal, cold } = await withTempDir('bench-ingest', async (dir) => {
      const asDeployed = await bundleFunction('ingest/handler.ts', `${dir}/deployed`);
      const withoutSdk = await bundleFunction('ingest/handler.ts', `${dir}/sdk-external`, {
        external: ['@aws-sdk/*'],
      });
      const coldEnvironment = {
        ...environment,
        AWS_REGION: 'us-east-1',
        POWERTOOLS_LOG_LEVEL: 'WARN',
        POWERTOOLS_METRICS_DISABLED: 'true',
      };
      const starts = await repeat(RUNS, async () => {
        const start = await measureColdStart(asDeployed.file, jsonPost(paymentEvent()), coldEnvironment);
        if (start.statusCode !== 201) throw new Error(`cold invocation answered ${start.statusCode}`);
        return start;
      });
      return { deployed: asDeployed.bytes, sdkExternal: withoutSdk.bytes, cold: starts };
    });

    const of = (runs: readonly LatencyRun[], pick: (run: LatencyRun) => number) => median(runs.map(pick));
    const figures: Figure[] = [
      { metric: 'warm invocation p50', value: of(warm, (r) => r.p50), unit: 'ms', goal: { atMost: 1.5 } },
      { metric: 'warm invocation p99', value: of(warm, (r) => r.p99), unit: 'ms' },
      {
        metric: 'warm throughput, one environment',
        value: of(warm, (r) => r.perSecond),
        unit: 'invocations/s',
      },
      { metric: 'producer per invocation p50', value: of(baseline, (r) => r.p50), unit: 'ms' },
      { metric: 'producer per invocation p99', value: of(baseline, (r) => r.p99), unit: 'ms' },
      {
        metric: 'producer per invocation throughput',
        value: of(baseline, (r) => r.perSecond),
        unit: 'invocations/s',
      },
      {
        metric: 'warm speed-up at p50 (baseline p50 / warm p50)',
        value: median(ratios),
        unit: '×',
        decimals: 1,
        goal: { atLeast: 20 },
      },
      {
        metric: 'cold start: bundle import (init)',
        value: median(cold.map((c) => c.loadMs)),
        unit: 'ms',
        decimals: 0,
      },
      {
        metric: 'cold start: first invocation (connect + publish)',
        value: median(cold.map((c) => c.firstInvocationMs)),
        unit: 'ms',
        decimals: 0,
      },
      {
        metric: 'cold start: import + first invocation',
        value: median(cold.map((c) => c.loadMs + c.firstInvocationMs)),
        unit: 'ms',
        decimals: 0,
      },
      {
        metric: 'bundle, minified, as deployed (AWS SDK bundled)',
        value: deployed / 1000,
        unit: 'KB',
        decimals: 1,
        goal: { atMost: 400 },
      },
      {
        metric: 'bundle, minified, @aws-sdk/* external',
        value: sdkExternal / 1000,
        unit: 'KB',
        decimals: 1,
        goal: { atMost: 400 },
      },
    ];
    publishFigures('ingest', `ingest benchmark: medians of ${RUNS} runs`, figures, [
      `Warm: ${WARM_INVOCATIONS} sequential invocations per run after ${WARM_UP} untimed ones; baseline: ${BASELINE_INVOCATIONS}.`,
      `Kafka: ${kafka.local ? 'local broker in this process, in-memory storage' : kafka.brokers.join(',')}, topic of ${PARTITIONS} partitions, acks = all, one event per request.`,
      'Latency: handler call to answer (parse, validate, publish, acknowledgement); logs silent, metrics disabled.',
      `Cold start: the deployed bundle in a fresh Node.js ${process.version} process. Bundles: ${deployed.toLocaleString('en-US')} and ${sdkExternal.toLocaleString('en-US')} bytes (1 KB = 1,000 bytes; source map not counted).`,
    ]);
  } finally {
    await kafka.close();
  }
}

main().then(
  () => process.exit(0), // kafkajs may leave retry timers behind; the figures are printed
  (error: unknown) => {
    process.stderr.write(
      `ingest benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
