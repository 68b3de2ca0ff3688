/**
 * `npm run bench:ingest`: the ingest function through its real handler, against the local broker on
 * loopback (a benchmark, not a test).
 * - warm: one execution environment, invocations one after another (Lambda sends an environment one request
 *   at a time), the producer opened once and reused: latency p50 / p99 and invocations per second;
 * - baseline: the same handler whose publisher opens, connects and disconnects a producer on every
 *   invocation (the common anti-pattern), and the p50 ratio of the two;
 * - TLS + IAM: the same comparison against the broker's MSK IAM listener (TLS, SASL OAUTHBEARER with tokens
 *   from aws-msk-iam-sasl-signer-js, IAM policy checks), on loopback and with 0.25 ms added each way;
 * - cold start: the deployed bundle imported in a fresh process, then its first invocation;
 * - bundle size, built with the stack's esbuild settings, with the AWS SDK bundled (as deployed) and external.
 * Every figure is the median over BENCH_RUNS runs (default 5). KAFKA_BROKERS=host:port runs it against any Kafka.
 */

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { eventDefinition } from '../functions/event/definition';
import { createIngestHandler, createIngestProducer, SERVICE_NAME } from '../functions/ingest/ingest-handler';
import type { RecordPublisher } from '../functions/ingest/publish';
import { type IngestSettings, readIngestSettings } from '../functions/ingest/settings';
import { createObservability } from '../functions/shared/observability';
import { LocalIam } from '../local/broker';
import { tlsFilesIn } from '../local/broker/tls/certificates';
import { jsonPost, lambdaContext } from '../test/helpers/api-gateway';
import { ADMIN_POLICY, connectWith, TEST_CLUSTER_ARN, TEST_REGION } from '../test/helpers/iam-kafka';
import { createFreshTopic, startBrokerBehind, startTestKafka } from '../test/helpers/kafka';
import { measureColdStart } from './support/cold-start';
import { bundleFunction } from './support/function-bundle';
import { type RelayCounts, startKafkaRelay } from './support/kafka-relay';
import { type Figure, publishFigures } from './support/report';
import { median, percentile, repeat } from './support/stats';
import { withTempDir } from './support/temp-dir';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WARM_INVOCATIONS = 1_000;
/** The baseline runs a tenth as many: each of its invocations sets up a whole producer. */
const BASELINE_SHARE = 10;
/**
 * A round trip between a function and brokers in one region (across availability zones), for the network
 * rows. Even: the relay delays each direction by half, and Node.js timers count whole milliseconds.
 */
const NETWORK_RTT_MS = 2;
/** Invocations before timing starts: the first opens the producer, the next ones warm the JIT. */
const WARM_UP = 50;
const PARTITIONS = 3;
const ACCOUNTS = 50;
/** About one way of a round trip inside one VPC, for the TLS + IAM rows. */
const IN_VPC_ONE_WAY_MS = 0.25;

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
    jsonPost(eventDefinition.sample(`bench-${randomUUID()}`, i % ACCOUNTS)),
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

interface RunSizes {
  readonly invocations: number;
  readonly warmUp: number;
}

/** The warm path as deployed: the handler's own producer, opened by the first invocation and kept. */
async function warmRun(settings: IngestSettings, sizes: RunSizes): Promise<LatencyRun> {
  const { logger, metrics } = createObservability(SERVICE_NAME);
  const producer = createIngestProducer(settings, { logger, metrics });
  try {
    const handler = createIngestHandler({ settings, publisher: producer, logger, metrics });
    return await timeInvocations(handler, sizes.invocations, sizes.warmUp);
  } finally {
    await producer.close();
  }
}

/**
 * The anti-pattern: the same producer factory, but a producer created, connected (metadata, InitProducerId)
 * and disconnected inside every invocation.
 */
async function baselineRun(settings: IngestSettings, sizes: RunSizes): Promise<LatencyRun> {
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
  return timeInvocations(
    handler,
    Math.max(10, Math.round(sizes.invocations / BASELINE_SHARE)),
    Math.ceil(sizes.warmUp / BASELINE_SHARE),
  );
}

interface Comparison {
  readonly warm: LatencyRun;
  readonly baseline: LatencyRun;
}

/** One warm run and one baseline run against the same topic, `runs` times over. */
async function compare(settings: IngestSettings, runs: number, sizes: RunSizes): Promise<Comparison[]> {
  return repeat(runs, async () => ({
    warm: await warmRun(settings, sizes),
    baseline: await baselineRun(settings, sizes),
  }));
}

async function topicSettings(brokers: readonly string[]): Promise<IngestSettings> {
  const topic = await createFreshTopic(brokers, { partitions: PARTITIONS, prefix: 'bench-ingest' });
  return readIngestSettings({ KAFKA_BROKERS: brokers.join(','), KAFKA_AUTH: 'none', EVENTS_TOPIC: topic });
}

/**
 * Through a counting relay: how many Kafka requests and connections one invocation costs, warm and
 * baseline (independent of this machine's speed); then the p50 ratio once every round trip takes
 * NETWORK_RTT_MS, as between a Lambda function and brokers in the same region.
 */
async function networkFigures(): Promise<Figure[]> {
  const counting = await startBrokerBehind((target) => startKafkaRelay(target));
  let perInvocation: { warm: RelayCounts; baseline: RelayCounts };
  try {
    const settings = await topicSettings(counting.brokers);
    const sizes = { invocations: 50, warmUp: 5 };
    const counted = async (run: () => Promise<LatencyRun>, invocations: number) => {
      const before = counting.front.counts();
      await run();
      const after = counting.front.counts();
      return {
        connections: (after.connections - before.connections) / invocations,
        requests: (after.requests - before.requests) / invocations,
      };
    };
    // The warm-up invocations open the warm producer; only the timed ones are counted.
    const { logger, metrics } = createObservability(SERVICE_NAME);
    const producer = createIngestProducer(settings, { logger, metrics });
    try {
      const handler = createIngestHandler({ settings, publisher: producer, logger, metrics });
      await timeInvocations(handler, sizes.warmUp, 0);
      perInvocation = {
        warm: await counted(() => timeInvocations(handler, sizes.invocations, 0), sizes.invocations),
        baseline: await counted(
          () => baselineRun(settings, { invocations: sizes.invocations * BASELINE_SHARE, warmUp: 0 }),
          sizes.invocations,
        ),
      };
    } finally {
      await producer.close();
    }
  } finally {
    await counting.close();
  }

  const delayed = await startBrokerBehind((target) =>
    startKafkaRelay(target, { oneWayDelayMs: NETWORK_RTT_MS / 2 }),
  );
  let ratios: number[];
  try {
    const settings = await topicSettings(delayed.brokers);
    const runs = await compare(settings, RUNS, { invocations: 100, warmUp: 10 });
    ratios = runs.map((run) => run.baseline.p50 / run.warm.p50);
  } finally {
    await delayed.close();
  }
  return [
    {
      metric: 'Kafka requests per warm invocation',
      value: perInvocation.warm.requests,
      unit: '',
      decimals: 1,
    },
    {
      metric: 'Kafka requests per producer-per-invocation invocation',
      value: perInvocation.baseline.requests,
      unit: '',
      decimals: 1,
    },
    {
      metric: 'new connections per warm invocation',
      value: perInvocation.warm.connections,
      unit: '',
      decimals: 1,
    },
    {
      metric: 'new connections per producer-per-invocation invocation',
      value: perInvocation.baseline.connections,
      unit: '',
      decimals: 1,
    },
    {
      metric: `warm speed-up at p50, ${NETWORK_RTT_MS} ms round trip added`,
      value: median(ratios),
      unit: '×',
      decimals: 1,
      goal: { atLeast: 20 },
    },
  ];
}

/**
 * Warm against producer-per-invocation over MSK's IAM listener as the local broker emulates it: every new
 * connection costs a TLS handshake and a SASL exchange with a freshly signed token, as on MSK port 9098.
 * Through a relay, on loopback and with IN_VPC_ONE_WAY_MS added to each direction (TLS handshake included).
 */
async function iamFigures(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const oneWayDelayMs of [0, IN_VPC_ONE_WAY_MS]) {
    const label = oneWayDelayMs === 0 ? 'TLS + IAM, loopback' : `TLS + IAM, ${oneWayDelayMs} ms each way`;
    const runs = await withTempDir('bench-ingest-iam', async (dataDir) => {
      const iam = new LocalIam(TEST_CLUSTER_ARN);
      iam.addPrincipal('admin', ADMIN_POLICY);
      iam.addPrincipal('ingest', {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
            Resource: TEST_CLUSTER_ARN,
          },
          {
            Effect: 'Allow',
            Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
            Resource: `${TEST_CLUSTER_ARN.replace(':cluster/', ':topic/')}/bench-ingest-*`,
          },
        ],
      });
      const relayed = await startBrokerBehind(
        (target) => startKafkaRelay(target, { oneWayDelayMs, countRequests: false }),
        { tls: true, iam, dataDir },
      );
      try {
        const caFile = tlsFilesIn(join(dataDir, 'tls')).caFile;
        const env = { KAFKA_BROKERS: relayed.brokers.join(','), KAFKA_AUTH: 'iam', AWS_REGION: TEST_REGION };
        const adminKafka = await connectWith(
          readIngestSettings({ ...env, KAFKA_CA_FILE: caFile, EVENTS_TOPIC: 'unused' }).kafka,
          async () => iam.issueCredentials('admin'),
        )();
        const topic = `bench-ingest-${Date.now()}`;
        const admin = adminKafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
        await admin.disconnect();
        // The handler signs tokens with the default credential chain, as on Lambda: here, the environment.
        const keys = iam.issueCredentials('ingest');
        process.env.AWS_ACCESS_KEY_ID = keys.accessKeyId;
        process.env.AWS_SECRET_ACCESS_KEY = keys.secretAccessKey;
        const settings = readIngestSettings({ ...env, KAFKA_CA_FILE: caFile, EVENTS_TOPIC: topic });
        return await compare(settings, RUNS, { invocations: 500, warmUp: 20 });
      } finally {
        await relayed.close();
      }
    });
    const warm = runs.map((run) => run.warm);
    const baseline = runs.map((run) => run.baseline);
    const of = (list: readonly LatencyRun[], pick: (run: LatencyRun) => number) => median(list.map(pick));
    figures.push(
      { metric: `${label}: warm p50`, value: of(warm, (r) => r.p50), unit: 'ms' },
      { metric: `${label}: warm p99`, value: of(warm, (r) => r.p99), unit: 'ms' },
      { metric: `${label}: producer per invocation p50`, value: of(baseline, (r) => r.p50), unit: 'ms' },
      { metric: `${label}: producer per invocation p99`, value: of(baseline, (r) => r.p99), unit: 'ms' },
      {
        metric: `${label}: warm speed-up at p50`,
        value: median(runs.map((run) => run.baseline.p50 / run.warm.p50)),
        unit: '×',
        decimals: 1,
        goal: { atLeast: 20 },
      },
    );
  }
  return figures;
}

async function main(): Promise<void> {
  const kafka = await startTestKafka();
  try {
    const settings = await topicSettings(kafka.brokers);
    const environment = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKA_AUTH: 'none',
      EVENTS_TOPIC: settings.topic,
    };
    const runs = await compare(settings, RUNS, { invocations: WARM_INVOCATIONS, warmUp: WARM_UP });
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
        const start = await measureColdStart(
          asDeployed.file,
          jsonPost(eventDefinition.sample(`cold-${randomUUID()}`, 0)),
          coldEnvironment,
        );
        if (start.statusCode !== 201) throw new Error(`cold invocation answered ${start.statusCode}`);
        return start;
      });
      return { deployed: asDeployed.bytes, sdkExternal: withoutSdk.bytes, cold: starts };
    });
    const network = kafka.local ? await networkFigures() : [];
    const iam = kafka.local ? await iamFigures() : [];

    const warm = runs.map((run) => run.warm);
    const baseline = runs.map((run) => run.baseline);
    const of = (list: readonly LatencyRun[], pick: (run: LatencyRun) => number) => median(list.map(pick));
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
        metric: 'warm speed-up at p50, loopback (baseline p50 / warm p50)',
        value: median(runs.map((run) => run.baseline.p50 / run.warm.p50)),
        unit: '×',
        decimals: 1,
        goal: { atLeast: 20 },
      },
      ...network,
      ...iam,
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
      `Warm: ${WARM_INVOCATIONS} sequential invocations per run after ${WARM_UP} untimed ones; baseline: ${WARM_INVOCATIONS / BASELINE_SHARE}.`,
      `Kafka: ${kafka.local ? 'local broker in this process, in-memory storage' : kafka.brokers.join(',')}, topic of ${PARTITIONS} partitions, acks = all, one event per request.`,
      'Latency: handler call to answer (parse, validate, publish, acknowledgement); logs silent, metrics disabled.',
      `Network rows: through a relay that counts Kafka requests and delays each direction by ${NETWORK_RTT_MS / 2} ms; TCP/TLS/SASL handshakes are not delayed (MSK IAM adds TLS and SASL to every new connection).`,
      `TLS + IAM rows: the broker's MSK IAM emulation behind a relay (${RUNS} runs of 500 warm and 50 per-invocation calls); the relay delays every byte, TLS handshakes included.`,
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
