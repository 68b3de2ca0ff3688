/**
 * `npm run bench:broker`: figures for the local broker (a benchmark, not a test).
 * - start-up: startBroker() until the first connection is accepted and answered; also the CLI process.
 * - kafkajs produce throughput, batches of 1,000 × 1 KB records, idempotent and not, and their ratio.
 * - kafkajs consume throughput (consumer group, from the beginning).
 * - the same start-up, idempotent produce and consume figures for Apache Kafka (1 node, KRaft, from Maven
 *   Central; needs Java 17 and Maven, skipped without them) and the local broker's lead over it.
 * Each figure is the median of several runs on fresh topics. Goals from the broker issues.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { silentLogger, startBroker } from '../local/broker';
import { ApiKey } from '../local/broker/protocol/api-keys';
import { encodeRequestHeader } from '../local/broker/protocol/header';
import { Reader } from '../local/broker/protocol/reader';
import { encodeRecordBatch } from '../local/broker/protocol/record-batch';
import { Writer } from '../local/broker/protocol/writer';
import { FrameSplitter } from '../local/chaos/frames';
import { startReferenceCluster } from '../reference/kafka/cluster';
import { MissingToolError, requireJavaAndMaven } from '../reference/kafka/maven';
import { type Figure, publishFigures } from './support/report';
import { median, repeat } from './support/stats';
import { withTempDir } from './support/temp-dir';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 30);
const BATCH_RECORDS = 1000;
const RECORD_BYTES = 1024;

/** Resolves once a TCP connection to the port is accepted and an ApiVersions v0 request is answered. */
function firstAnswer(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      // size 10: api key 18, version 0, correlation id 1, null client id
      socket.write(Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff]));
    });
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

async function inProcessStartup(): Promise<number> {
  const started = performance.now();
  const broker = await startBroker({ logger: silentLogger });
  await firstAnswer(broker.port);
  const elapsed = performance.now() - started;
  await broker.close();
  return elapsed;
}

interface BrokerProcess {
  readonly port: number;
  stop(): Promise<void>;
}

/** The broker as `npm run broker` runs it (minus npm): its own process, so it has its own core. */
async function spawnBroker(extraArgs: string[] = []): Promise<BrokerProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/broker/cli.ts', '--port', '0', ...extraArgs],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /127\.0\.0\.1:(\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`broker CLI exited with ${code}`)));
  });
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** CLI start-up: tsx compiling and running the CLI, until it answers on its port. */
async function cliStartup(): Promise<number> {
  const started = performance.now();
  const broker = await spawnBroker();
  await firstAnswer(broker.port);
  const elapsed = performance.now() - started;
  await broker.stop();
  return elapsed;
}

const payload = Buffer.alloc(RECORD_BYTES, 'x');
const messages = Array.from({ length: BATCH_RECORDS }, (_, i) => ({
  key: `account-${i % 100}`,
  value: payload,
}));

async function produceRun(
  kafka: Kafka,
  idempotent: boolean,
): Promise<{ topic: string; recordsPerSecond: number; clientCpuMsPerSend: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-${idempotent ? 'idem' : 'plain'}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent, allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: messages.slice(0, 10) }); // warm-up: metadata, producer id
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < BATCHES; i++) await producer.send({ topic, acks: -1, messages });
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return {
    topic,
    recordsPerSecond: (BATCHES * BATCH_RECORDS) / seconds,
    // The broker runs in its own process: this is kafkajs's own cost (encoding, CRC-32C, partitioning).
    clientCpuMsPerSend: (cpu.user + cpu.system) / 1000 / BATCHES,
  };
}

async function consumeRun(kafka: Kafka, topic: string): Promise<number> {
  const expected = BATCHES * BATCH_RECORDS + 10;
  const consumer = kafka.consumer({
    groupId: `bench-${Date.now()}-${Math.random()}`,
    maxWaitTimeInMs: 50,
    maxBytes: 50 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  let started = 0;
  const finished = new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (started === 0) started = performance.now();
        received += batch.messages.length;
        if (received >= expected) resolve(performance.now() - started);
      },
    });
  });
  const elapsedMs = await finished;
  await consumer.disconnect();
  return expected / (elapsedMs / 1000);
}

async function throughput(dataDir: string | undefined) {
  const broker = await spawnBroker(dataDir ? ['--data-dir', dataDir] : []);
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: [`127.0.0.1:${broker.port}`],
    logLevel: logLevel.NOTHING,
  });
  const plain: number[] = [];
  const idempotent: number[] = [];
  const ratios: number[] = [];
  const consume: number[] = [];
  const clientCpu: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    // Alternate the order so that warm-up effects do not favour one mode.
    const first = await produceRun(kafka, run % 2 === 0);
    const second = await produceRun(kafka, run % 2 !== 0);
    const [idem, nonIdem] = run % 2 === 0 ? [first, second] : [second, first];
    idempotent.push(idem.recordsPerSecond);
    plain.push(nonIdem.recordsPerSecond);
    ratios.push(idem.recordsPerSecond / nonIdem.recordsPerSecond);
    clientCpu.push(idem.clientCpuMsPerSend, nonIdem.clientCpuMsPerSend);
    consume.push(await consumeRun(kafka, idem.topic));
  }
  const wire = await wireCapacity(broker.port);
  await broker.stop();
  return {
    plain: median(plain),
    idempotent: median(idempotent),
    ratio: median(ratios),
    consume: median(consume),
    clientCpu: median(clientCpu),
    wire,
  };
}

/** Apache Kafka, 1 node: start-up until Metadata lists the broker, then kafkajs idempotent produce and consume. */
async function apacheKafka(): Promise<
  { version: string; startup: number; idempotent: number; consume: number } | undefined
> {
  try {
    requireJavaAndMaven();
  } catch (error) {
    if (!(error instanceof MissingToolError)) throw error;
    process.stderr.write(`Apache Kafka figures skipped: ${error.message}\n`);
    return undefined;
  }
  await startReferenceCluster({ nodes: 1 }).then((warmUp) => warmUp.close()); // resolves the jars once
  const startups = await repeat(Math.min(RUNS, 3), async () => {
    const started = performance.now();
    const cluster = await startReferenceCluster({ nodes: 1 });
    const elapsed = performance.now() - started;
    await cluster.close();
    return elapsed;
  });
  const cluster = await startReferenceCluster({ nodes: 1 });
  try {
    const kafka = new Kafka({ clientId: 'bench', brokers: [...cluster.brokers], logLevel: logLevel.NOTHING });
    const idempotent: number[] = [];
    const consume: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const produced = await produceRun(kafka, true);
      idempotent.push(produced.recordsPerSecond);
      consume.push(await consumeRun(kafka, produced.topic));
    }
    return {
      version: cluster.version,
      startup: median(startups),
      idempotent: median(idempotent),
      consume: median(consume),
    };
  } finally {
    await cluster.close();
  }
}

/**
 * The broker's own capacity, without a client's encoding cost: pre-built idempotent produce requests
 * (1,000 × 1 KB records each) sent over one connection with 5 in flight, as librdkafka pipelines them.
 */
async function wireCapacity(port: number): Promise<number> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.setNoDelay(true);
  const responses = new FrameSplitter();
  const waiters: ((body: Reader) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const frame of responses.push(chunk)) waiters.shift()?.(new Reader(frame.subarray(4), 4));
  });
  let correlationId = 0;
  const request = (apiKey: number, apiVersion: number, body: (w: Writer) => void): Promise<Reader> => {
    const writer = new Writer(false, true);
    encodeRequestHeader(writer, { apiKey, apiVersion, correlationId: ++correlationId, clientId: 'bench' });
    body(writer);
    socket.write(writer.finish());
    return new Promise((resolve) => waiters.push(resolve));
  };
  const topic = `bench-wire-${Date.now()}`;
  await request(ApiKey.CreateTopics, 2, (w) => {
    w.array([topic], (tw, name) =>
      tw
        .string(name)
        .int32(1)
        .int16(1)
        .array([], () => {})
        .array([], () => {}),
    );
    w.int32(5000).boolean(false);
  });
  const init = await request(ApiKey.InitProducerId, 1, (w) => w.nullableString(null).int32(60_000));
  init.int32();
  init.int16();
  const producerId = init.int64();
  const records = Array.from({ length: BATCH_RECORDS }, (_, i) => ({
    key: Buffer.from(`account-${i % 100}`),
    value: Buffer.alloc(RECORD_BYTES, 'x'),
  }));
  const count = BATCHES * 2;
  const frames = Array.from({ length: count }, (_, i) => {
    const batch = encodeRecordBatch({
      records,
      producerId,
      producerEpoch: 0,
      baseSequence: i * BATCH_RECORDS,
    });
    const writer = new Writer(false, true);
    encodeRequestHeader(writer, {
      apiKey: ApiKey.Produce,
      apiVersion: 7,
      correlationId: 1000 + i,
      clientId: 'bench',
    });
    writer.nullableString(null).int16(-1).int32(30_000);
    writer.array([topic], (tw, name) => tw.string(name).array([0], (pw, p) => pw.int32(p).bytes(batch)));
    return writer.finish();
  });
  const started = performance.now();
  let next = 0;
  const inFlight: Promise<Reader>[] = [];
  while (next < count || inFlight.length > 0) {
    while (next < count && inFlight.length < 5) {
      socket.write(frames[next++] as Buffer);
      inFlight.push(new Promise((resolve) => waiters.push(resolve)));
    }
    await inFlight.shift();
  }
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  return (count * BATCH_RECORDS) / seconds;
}

async function main(): Promise<void> {
  const inProcess = await repeat(RUNS, inProcessStartup);
  const cli = await repeat(Math.min(RUNS, 3), cliStartup);
  const memory = await throughput(undefined);
  const file = await withTempDir('bench-broker', throughput);
  const reference = await apacheKafka();

  const startupGoal = { atMost: 300 };
  const figures: Figure[] = [
    {
      metric: 'start-up to first answered connection, in-process, first run',
      value: inProcess[0] ?? 0,
      unit: 'ms',
      decimals: 1,
      goal: startupGoal,
    },
    {
      metric: 'start-up to first answered connection, in-process',
      value: median(inProcess),
      unit: 'ms',
      decimals: 1,
      goal: startupGoal,
    },
    {
      metric: 'start-up to first answered connection, CLI process (tsx)',
      value: median(cli),
      unit: 'ms',
      decimals: 0,
      goal: startupGoal,
    },
  ];
  const throughputGoal = { atLeast: 100_000 };
  for (const [name, measured] of [
    ['memory', memory],
    ['file, fsync acks-all', file],
  ] as const) {
    figures.push(
      {
        metric: `produce, non-idempotent [${name}]`,
        value: measured.plain,
        unit: 'rec/s',
        decimals: 0,
        goal: throughputGoal,
      },
      {
        metric: `produce, idempotent [${name}]`,
        value: measured.idempotent,
        unit: 'rec/s',
        decimals: 0,
        goal: throughputGoal,
      },
      {
        metric: `idempotent / non-idempotent ratio [${name}]`,
        value: measured.ratio,
        unit: '',
        decimals: 2,
        goal: { atLeast: 0.9 },
      },
      {
        metric: `kafkajs client CPU per 1,000-record send [${name}]`,
        value: measured.clientCpu,
        unit: 'ms',
        decimals: 1,
      },
      {
        metric: `consume, kafkajs consumer group [${name}]`,
        value: measured.consume,
        unit: 'rec/s',
        decimals: 0,
      },
      {
        metric: `broker capacity, raw idempotent produce, 5 in flight [${name}]`,
        value: measured.wire,
        unit: 'rec/s',
        decimals: 0,
        goal: throughputGoal,
      },
    );
  }
  if (reference) {
    const name = `Apache Kafka ${reference.version}, 1 node`;
    figures.push(
      {
        metric: `start-up to first answered Metadata [${name}]`,
        value: reference.startup,
        unit: 'ms',
        decimals: 0,
      },
      {
        metric: 'start-up, Apache Kafka / local broker in-process',
        value: reference.startup / median(inProcess),
        unit: '×',
        decimals: 0,
        goal: { atLeast: 50 },
      },
      { metric: `produce, idempotent [${name}]`, value: reference.idempotent, unit: 'rec/s', decimals: 0 },
      {
        metric: 'produce, idempotent, local broker [memory] / Apache Kafka',
        value: memory.idempotent / reference.idempotent,
        unit: '×',
        decimals: 2,
        goal: { atLeast: 1 },
      },
      {
        metric: `consume, kafkajs consumer group [${name}]`,
        value: reference.consume,
        unit: 'rec/s',
        decimals: 0,
      },
      {
        metric: 'consume, local broker [memory] / Apache Kafka',
        value: memory.consume / reference.consume,
        unit: '×',
        decimals: 2,
      },
    );
  }
  publishFigures(
    'broker',
    `broker benchmark: medians of ${RUNS} runs; ${BATCHES} sends of ${BATCH_RECORDS} × ${RECORD_BYTES} B records per run, acks=-1`,
    figures,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
