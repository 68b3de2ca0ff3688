import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const children: ChildProcess[] = [];
const servers: Server[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

/** Runs `npm start`'s entry point as a user would, with stdout/stderr collected (not a terminal). */
async function startCli(args: string[], folder?: string) {
  const dataDir = folder ?? (await mkdtemp(join(tmpdir(), 'start-cli-')));
  if (!folder) folders.push(dataDir);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/start.ts', '--data-dir', dataDir, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited, dataDir };
}

async function until(condition: () => boolean, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm start', () => {
  it('prints where to send requests, answers the printed curl, and stops cleanly on SIGTERM', async () => {
    // Prepare
    const { child, output, exited } = await startCli([
      '--http-port',
      '0',
      '--broker-port',
      '0',
      '--ledger-port',
      '0',
    ]);
    await until(() => /HTTP API\s+http:\/\/127\.0\.0\.1:\d+/.test(output.stdout), 'the start-up banner');
    const url = /HTTP API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output.stdout)?.[1] ?? '';

    // Act: the example request from the banner.
    const target = /curl -i -X POST (\S+)/.exec(output.stdout)?.[1] ?? '';
    const idempotencyKey = /idempotency-key: ([^']+)'/.exec(output.stdout)?.[1] ?? '';
    const body = /-d '(.+)'/.exec(output.stdout)?.[1] ?? '';
    const created = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body,
    });
    child.kill('SIGTERM');

    // Assess
    expect(target.startsWith(`${url}/`)).toBe(true);
    expect(idempotencyKey).not.toBe('');
    expect(output.stdout).toContain(`curl -i ${target}/${idempotencyKey}`);
    expect(created.status).toBe(201);
    expect(await exited).toBe(0);
    expect(output.stdout).toContain('Stopped. The data is kept');
    expect(output.stdout).toMatch(/\[status\] ingested \d+ · applied \d+ · dead-lettered \d+ · lag \d+/);
  });

  it('names the port and the flag to change it when a port is already in use', async () => {
    // Prepare: something else holds a port.
    const busy = createServer();
    servers.push(busy);
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)),
    );

    // Act
    const { output, exited } = await startCli([
      '--broker-port',
      String(port),
      '--http-port',
      '0',
      '--ledger-port',
      '0',
    ]);

    // Assess
    expect(await exited).toBe(1);
    expect(output.stderr).toContain(`127.0.0.1:${port} is already in use`);
    expect(output.stderr).toContain('--broker-port <port> or BROKER_PORT=<port>');
  });

  it('refuses a data folder that another running pipeline uses', async () => {
    // Prepare
    const ephemeral = ['--http-port', '0', '--broker-port', '0', '--ledger-port', '0'];
    const first = await startCli(ephemeral);
    await until(() => first.output.stdout.includes('HTTP API'), 'the first pipeline');

    // Act
    const second = await startCli(ephemeral, first.dataDir);

    // Assess
    expect(await second.exited).toBe(1);
    expect(second.output.stderr).toContain(
      `the data folder ${first.dataDir} is in use by another local pipeline`,
    );
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('names the topics and the ledger table after --app-name, and takes a topic of its own', async () => {
    // Prepare / Act
    const { child, output, exited } = await startCli([
      ...['--http-port', '0', '--broker-port', '0', '--ledger-port', '0'],
      ...['--app-name', 'orders', '--topic', 'orders-v2'],
    ]);
    await until(() => output.stdout.includes('[status]'), 'the first status line');
    child.kill('SIGTERM');

    // Assess
    expect(output.stdout).toContain('Local orders pipeline is running');
    expect(output.stdout).toMatch(/topics orders-v2 \(3 partitions\), orders-dead-letter\n/);
    expect(output.stdout).toMatch(/table orders-ledger\n/);
    expect(await exited).toBe(0);
  });

  it.each([
    [['--app-name', 'Orders!'], /--app-name \/ APP_NAME: must be 1-40 of a-z 0-9 .*, got "Orders!"/],
    [['--topic', 'or/ders'], /--topic \/ EVENTS_TOPIC: "or\/ders" is not a valid Kafka topic name/],
    [
      ['--metrics-namespace', 'has spaces'],
      /--metrics-namespace \/ POWERTOOLS_METRICS_NAMESPACE: must be a CloudWatch/,
    ],
    [['--ledger-table', 'ab'], /--ledger-table \/ LEDGER_TABLE: must be a DynamoDB table name .*, got "ab"/],
  ])('refuses the bad name %j naming the flag, the variable and the value', async (args, message) => {
    const { output, exited } = await startCli(args);
    expect(await exited).toBe(2);
    expect(output.stderr).toMatch(message);
  });

  it('refuses a malformed setting naming the flag and the environment variable', async () => {
    const { output, exited } = await startCli(['--batch-size', 'lots']);
    expect(await exited).toBe(2);
    expect(output.stderr).toContain(
      '--batch-size / BATCH_SIZE: must be an integer from 1 to 10000, got "lots"',
    );
  });
});
