/**
 * Apache Kafka as a reference: 1 or 3 combined broker+controller nodes (KRaft, no ZooKeeper) on loopback,
 * run with `java -cp` from the jars Maven Central serves (reference/kafka/pom.xml). Settings mirror MSK's
 * (auto.create.topics.enable=false, default.replication.factor=3, min.insync.replicas=2 with 3 nodes).
 * Every JVM started here is stopped by its process id: on close(), on Ctrl-C and when this process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './free-port';
import { kafkaClasspath } from './maven';

export interface ReferenceClusterOptions {
  /** 1 or 3 nodes. @default 3 */
  readonly nodes?: 1 | 3;
  /** Apache Kafka release from Maven Central. @default '3.8.1' (what the stack deploys) */
  readonly version?: string;
  /** Ports the brokers listen on, one per node. @default free ports */
  readonly ports?: readonly number[];
  /**
   * Ports the brokers advertise instead of their own, one per node: for a proxy listening in front of each
   * broker (clients learn broker addresses from Metadata, so they then reach the brokers only through it).
   */
  readonly advertisedPorts?: readonly number[];
  /** Heap of each JVM. @default '512m' */
  readonly heap?: string;
  /** How long start-up may take until Metadata lists every broker. @default 180000 */
  readonly startTimeoutMs?: number;
}

export interface ReferenceNode {
  readonly nodeId: number;
  /** The port the broker listens on. */
  readonly port: number;
  /** The process id of its JVM while it runs. */
  readonly pid: () => number | undefined;
  /** kill -9: the node stops at once, as in a crash. */
  kill(): Promise<void>;
  /** A controlled shutdown (SIGTERM), waiting until the JVM exited. */
  stop(): Promise<void>;
  /** Starts the node again on the same ports and data. */
  start(): void;
  /** Its log file (stdout and stderr of the JVM). */
  readonly logFile: string;
}

export interface ReferenceCluster {
  readonly version: string;
  /** `host:port` list clients bootstrap from (the advertised addresses). */
  readonly brokers: readonly string[];
  readonly nodes: readonly ReferenceNode[];
  /** Polls Metadata until it lists `count` brokers (every node by default). */
  waitForBrokers(count?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_KAFKA_VERSION = '3.8.1';

/** JVMs still running, killed when this process exits however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const jvm of running) jvm.kill('SIGKILL');
});

function nodeProperties(settings: {
  nodeId: number;
  port: number;
  controllerPort: number;
  advertisedPort: number;
  voters: string;
  logDir: string;
  nodes: number;
}): string {
  const replicas = settings.nodes;
  const minInSync = settings.nodes === 3 ? 2 : 1;
  return [
    'process.roles=broker,controller',
    `node.id=${settings.nodeId}`,
    `controller.quorum.voters=${settings.voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${settings.port},CONTROLLER://127.0.0.1:${settings.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${settings.advertisedPort}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${settings.logDir}`,
    // MSK's defaults for a provisioned cluster (https://docs.aws.amazon.com/msk/latest/developerguide/msk-default-configuration.html).
    'auto.create.topics.enable=false',
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minInSync}`,
    'num.partitions=1',
    `offsets.topic.replication.factor=${replicas}`,
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minInSync}`,
    // Small segments and few threads: many nodes share a small machine.
    'num.network.threads=2',
    'num.io.threads=2',
    'num.recovery.threads.per.data.dir=1',
    'log.cleaner.enable=false',
    '',
  ].join('\n');
}

async function runToEnd(command: string, args: readonly string[], logFile: string): Promise<void> {
  const log = openSync(logFile, 'a');
  const child = spawn(command, [...args], { stdio: ['ignore', log, log] });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}; see ${logFile}`);
}

export async function startReferenceCluster(
  options: ReferenceClusterOptions = {},
): Promise<ReferenceCluster> {
  const nodeCount = options.nodes ?? 3;
  if (nodeCount !== 1 && nodeCount !== 3) throw new Error(`nodes must be 1 or 3, got ${String(nodeCount)}`);
  for (const [name, list] of [
    ['ports', options.ports],
    ['advertisedPorts', options.advertisedPorts],
  ] as const) {
    if (list && list.length !== nodeCount) {
      throw new Error(`${name} must name one port per node (${nodeCount}), got ${JSON.stringify(list)}`);
    }
  }
  const version = options.version ?? DEFAULT_KAFKA_VERSION;
  const classpath = await kafkaClasspath(version);
  const heap = options.heap ?? '512m';
  const dataDir = await mkdtemp(join(tmpdir(), `kafka-${version}-`));
  const ids = Array.from({ length: nodeCount }, (_, index) => index + 1);
  const ports = options.ports ?? (await Promise.all(ids.map(() => freePort())));
  const controllerPorts = await Promise.all(ids.map(() => freePort()));
  const voters = ids.map((id, index) => `${id}@127.0.0.1:${controllerPorts[index]}`).join(',');
  // A base64url id may start with '-': passed as --cluster-id=… so it is not read as an option.
  const clusterId = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
  const java = ['-Xms128m', `-Xmx${heap}`, '-XX:+UseSerialGC', '-Djava.awt.headless=true'];
  const logging = ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-Dlog4j2.level=WARN'];

  const nodes = await Promise.all(
    ids.map(async (nodeId, index) => {
      const port = ports[index] as number;
      const nodeDir = join(dataDir, `node-${nodeId}`);
      await mkdir(nodeDir, { recursive: true });
      const configFile = join(nodeDir, 'server.properties');
      const logFile = join(nodeDir, 'node.log');
      await writeFile(
        configFile,
        nodeProperties({
          nodeId,
          port,
          controllerPort: controllerPorts[index] as number,
          advertisedPort: options.advertisedPorts?.[index] ?? port,
          voters,
          logDir: join(nodeDir, 'data'),
          nodes: nodeCount,
        }),
      );
      await runToEnd(
        'java',
        [
          ...java,
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          `--cluster-id=${clusterId}`,
          '-c',
          configFile,
        ],
        logFile,
      );
      let jvm: ChildProcess | undefined;
      const node: ReferenceNode = {
        nodeId,
        port,
        logFile,
        pid: () => jvm?.pid,
        start() {
          if (jvm) throw new Error(`node ${nodeId} is already running (pid ${jvm.pid})`);
          const log = openSync(logFile, 'a');
          const started = spawn('java', [...java, ...logging, '-cp', classpath, 'kafka.Kafka', configFile], {
            stdio: ['ignore', log, log],
          });
          jvm = started;
          running.add(started);
          started.once('exit', () => {
            running.delete(started);
            if (jvm === started) jvm = undefined;
          });
        },
        kill: () => stopJvm(jvm, 'SIGKILL'),
        stop: () => stopJvm(jvm, 'SIGTERM'),
      };
      return node;
    }),
  );
  const brokers = nodes.map((node, index) => `127.0.0.1:${options.advertisedPorts?.[index] ?? node.port}`);
  const waitForBrokers = (count = nodeCount, timeoutMs = options.startTimeoutMs ?? 180_000) =>
    waitForMetadata(count, timeoutMs, nodes);
  const close = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await rm(dataDir, { recursive: true, force: true });
  };
  for (const node of nodes) node.start();
  try {
    await waitForBrokers();
  } catch (error) {
    await close();
    throw error;
  }
  return { version, brokers, nodes, waitForBrokers, close };
}

/** Sends `signal` to the JVM (SIGKILL after 20 s if SIGTERM was not enough) and waits until it exited. */
async function stopJvm(jvm: ChildProcess | undefined, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (!jvm || jvm.exitCode !== null || jvm.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => jvm.once('exit', () => resolve()));
  jvm.kill(signal);
  const escalation = setTimeout(() => jvm.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(escalation);
}

/** How many brokers one node lists in its Metadata answer. */
async function brokersListedBy(listener: string): Promise<number> {
  const admin = new Kafka({
    clientId: 'reference-cluster',
    brokers: [listener],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 3_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Polls Metadata at each running node's own port (so it works behind proxies too) until every one of them
 * lists at least `count` brokers: a node learns of the others from the controller a little later than they
 * register, and a client that meets such a node drops its connections to the brokers it does not list.
 * Fails early, naming the logs, when every JVM exited during the wait.
 */
async function waitForMetadata(
  count: number,
  timeoutMs: number,
  nodes: readonly ReferenceNode[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const listeners = nodes
      .filter((node) => node.pid() !== undefined)
      .map((node) => `127.0.0.1:${node.port}`);
    if (listeners.length === 0) {
      throw new Error(`every Kafka node exited; see ${nodes.map((n) => n.logFile).join(', ')}`);
    }
    const answers = await Promise.all(
      listeners.map((listener) =>
        brokersListedBy(listener).then(
          (listed) => ({ listener, listed, error: undefined }),
          (error: unknown) => ({ listener, listed: 0, error }),
        ),
      ),
    );
    const short = answers.filter(({ listed }) => listed < count);
    if (short.length === 0) return;
    last = short
      .map(({ listener, listed, error }) =>
        error === undefined
          ? `${listener} lists ${listed} of ${count} brokers`
          : `${listener}: ${error instanceof Error ? error.message : String(error)}`,
      )
      .join('; ');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `Kafka did not list ${count} brokers within ${timeoutMs} ms (${last}); see ${nodes.map((n) => n.logFile).join(', ')}`,
  );
}
