/** `npm run broker` as a user runs it: a foreground process on a port, stopped by a signal. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';

const children: ChildProcessWithoutNullStreams[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'broker-cli-'));

function runCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/broker/cli.ts', ...args], {
    cwd: process.cwd(),
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /accepting connections on 127\.0\.0\.1:(\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  listening.catch(() => {});
  return { child, listening, exited, output: () => ({ stdout, stderr }) };
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('broker CLI', () => {
  it('prints one line when it accepts connections, keeps records and committed offsets across a restart, stops on signals', async () => {
    const topic = 'cli-payments';
    const first = runCli(['--port', '0', '--data-dir', dataDir]);
    const port = await first.listening;
    expect(first.output().stdout.trim().split('\n')).toHaveLength(1);
    const kafka = new Kafka({
      clientId: 'cli-test',
      brokers: [`127.0.0.1:${port}`],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'kept' }] });
    await producer.disconnect();
    await admin.setOffsets({ groupId: 'cli-group', topic, partitions: [{ partition: 0, offset: '1' }] });
    await admin.disconnect();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = runCli(['--port', '0', '--data-dir', dataDir]);
    const restartedPort = await second.listening;
    const again = new Kafka({
      clientId: 'cli-test',
      brokers: [`127.0.0.1:${restartedPort}`],
      logLevel: logLevel.NOTHING,
    });
    const restartedAdmin = again.admin();
    await restartedAdmin.connect();
    const offsets = await restartedAdmin.fetchTopicOffsets(topic);
    const committed = await restartedAdmin.fetchOffsets({ groupId: 'cli-group', topics: [topic] });
    await restartedAdmin.disconnect();
    expect(offsets.map((p) => p.high)).toEqual(['1']);
    expect(committed[0]?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '1' })]);

    // A second broker on the same port fails with a clear message.
    const clash = runCli(['--port', String(restartedPort)]);
    expect(await clash.exited).toBe(1);
    expect(clash.output().stderr).toContain('EADDRINUSE');
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('rejects a bad flag value with the flag, the value and the usage', async () => {
    const bad = runCli(['--port', 'ninety']);
    expect(await bad.exited).toBe(2);
    expect(bad.output().stderr).toContain('--port: expected a non-negative integer, got "ninety"');
    expect(bad.output().stderr).toContain('usage: npm run broker');
    const outOfRange = runCli(['--port', '70000']);
    expect(await outOfRange.exited).toBe(2);
    expect(outOfRange.output().stderr).toContain('port: expected an integer port from 0 to 65535, got 70000');
    const badDelay = runCli(['--port', '0', '--initial-rebalance-delay-ms', '3s']);
    expect(await badDelay.exited).toBe(2);
    expect(badDelay.output().stderr).toContain(
      '--initial-rebalance-delay-ms: expected a non-negative integer, got "3s"',
    );
  });
});
