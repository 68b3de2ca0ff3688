import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileStorage } from '../../../local/broker/storage/file';
import { startLostAckProxy } from '../../../local/chaos/proxy';
import { storedRecords, valuesByKey } from './storage/stored-records';

/** The broker's own command line, in a child process, so that SIGKILL hits a real process mid-write. */
const BROKER_CLI = resolve('local/broker/cli.ts');

interface BrokerProcess {
  readonly child: ChildProcess;
  readonly port: number;
}

function startBrokerProcess(port: number, dataDir: string, advertisedPort: number): Promise<BrokerProcess> {
  const args = ['--port', String(port), '--data-dir', dataDir, '--advertised-port', String(advertisedPort)];
  const child = spawn(process.execPath, ['--import', 'tsx', BROKER_CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /accepting connections on [^\s:]+:(\d+)/.exec(output);
      if (match?.[1]) resolvePromise({ child, port: Number(match[1]) });
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`broker process exited (${code ?? signal}) before listening: ${output}`)),
    );
  });
}

function killHard(broker: BrokerProcess): Promise<void> {
  return new Promise((resolvePromise) => {
    if (broker.child.exitCode !== null || broker.child.signalCode !== null) return resolvePromise();
    broker.child.once('exit', () => resolvePromise());
    broker.child.kill('SIGKILL');
  });
}

const KEYS = 10;
const PER_SEND = 20;
const SENDS = 120;

describe('broker killed with SIGKILL while an idempotent producer sends', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps every acknowledged message exactly once and deduplicates the retries after restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'broker-crash-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

    let broker: BrokerProcess | undefined;
    let crashes = 0;
    let restarting: Promise<void> = Promise.resolve();
    // The producer reaches the broker through the proxy, which also lets the test lose one
    // acknowledgement on purpose: the write is durable, the client never hears, the broker dies.
    const proxy = await startLostAckProxy({
      target: () => ({ host: '127.0.0.1', port: broker?.port ?? 1 }),
      dropShare: 0,
      onAcknowledgementDropped: () => {
        proxy.setDropShare(0);
        restarting = crashAndRestart();
        restarting.catch(() => {}); // awaited, and reported, by the send loop
      },
    });
    cleanups.push(() => proxy.close());

    async function crashAndRestart(): Promise<void> {
      if (!broker) throw new Error('no broker to crash');
      const { port } = broker;
      await killHard(broker);
      crashes++;
      // Same port, as after a real restart. Another process may have taken the port as an outgoing
      // connection's ephemeral port meanwhile; then any port will do, since clients reach the broker
      // through the proxy, which connects to wherever `broker` now listens.
      broker = await startBrokerProcess(port, dataDir, proxy.port).catch((error: Error) => {
        if (!error.message.includes('EADDRINUSE')) throw error;
        return startBrokerProcess(0, dataDir, proxy.port);
      });
    }

    broker = await startBrokerProcess(0, dataDir, proxy.port);
    cleanups.push(async () => {
      if (broker) await killHard(broker);
    });

    const kafka = new Kafka({
      clientId: 'crash-test',
      brokers: [`127.0.0.1:${proxy.port}`],
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 50, maxRetryTime: 500, retries: 40 },
    });
    const topic = `crash-${Date.now()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
    cleanups.push(() => producer.disconnect());
    await producer.connect();

    const acknowledged: string[] = [];
    const nextSequence = new Map<string, number>();
    for (let send = 0; send < SENDS; send++) {
      const messages = Array.from({ length: PER_SEND }, (_, i) => {
        const key = `key-${(send * PER_SEND + i) % KEYS}`;
        const sequence = nextSequence.get(key) ?? 0;
        nextSequence.set(key, sequence + 1);
        return { key, value: `${key}:${sequence}` };
      });
      // Crash 1: the acknowledgement of this send is lost and the broker dies right after answering it.
      if (send === 40) proxy.setDropShare(1);
      const sending = producer.send({ topic, acks: -1, messages });
      // Crash 2: killed while this send is on its way, wherever it happens to be.
      if (send === 80) {
        restarting = crashAndRestart();
        restarting.catch(() => {}); // awaited, and reported, below
      }
      try {
        await sending;
      } catch (error) {
        // A broker that failed to restart explains a failed send better than the send's own error.
        await restarting;
        throw error;
      }
      acknowledged.push(...messages.map((m) => m.value));
    }
    await restarting;
    await producer.disconnect();
    if (broker) await killHard(broker);
    broker = undefined;

    expect(crashes).toBe(2);
    expect(proxy.stats.acknowledgementsDropped).toBe(1);
    const storage = createFileStorage({ dataDir });
    await storage.open();
    cleanups.push(() => storage.close());
    const stored = storedRecords(storage, topic);
    const counts = new Map<string, number>();
    for (const record of stored) counts.set(record.value, (counts.get(record.value) ?? 0) + 1);
    expect(acknowledged.filter((value) => counts.get(value) !== 1)).toEqual([]);
    expect(stored).toHaveLength(SENDS * PER_SEND);
    for (const [key, values] of valuesByKey(stored)) {
      expect(values).toEqual(Array.from({ length: (SENDS * PER_SEND) / KEYS }, (_, i) => `${key}:${i}`));
    }
  });
});
