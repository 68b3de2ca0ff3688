/**
 * `npm run test:dynamodb-moto`: the ledger and consume suites against moto's DynamoDB, an independent,
 * open-source implementation of DynamoDB's API (Python, from PyPI), instead of the embedded store.
 *
 * moto is installed into a virtual environment under .cache/ (reused between runs), started on a free
 * loopback port, handed to the suites through LEDGER_TEST_ENDPOINT, and stopped by its pid at the end. In CI
 * (CI=true) a missing Python is an error; elsewhere the run is skipped with a message.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const SUITES = [
  'test/functions/ledger',
  'test/functions/consume',
  'test/local/ledger-store/ledger-store.test.ts',
];
const REQUIREMENTS = resolve('test/reference/moto-requirements.txt');
const VENV = resolve('.cache/dynamodb-moto/venv');
const INSTALLED = join(VENV, 'installed-requirements.txt');
const START_TIMEOUT_MS = 60_000;

function fail(message: string): never {
  console.error(`test:dynamodb-moto: ${message}`);
  process.exit(1);
}

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0)
    fail(`${command} ${args.join(' ')} failed (${result.error?.message ?? result.status})`);
}

/** Creates the virtual environment and installs the pinned requirements, unless that was done already. */
function installMoto(): void {
  const wanted = readFileSync(REQUIREMENTS, 'utf8');
  if (existsSync(INSTALLED) && readFileSync(INSTALLED, 'utf8') === wanted) return;
  console.log(
    `test:dynamodb-moto: installing ${wanted.split('\n').find((line) => /^\w/.test(line))} into ${VENV}`,
  );
  mkdirSync(VENV, { recursive: true });
  run('python3', ['-m', 'venv', VENV]);
  run(join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS]);
  writeFileSync(INSTALLED, wanted);
}

function startMoto(): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(join(VENV, 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`moto did not listen within ${START_TIMEOUT_MS} ms: ${output}`)),
      START_TIMEOUT_MS,
    );
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolvePromise({ child, endpoint: `http://127.0.0.1:${port}` });
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto exited (${code}) before listening: ${output}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

async function main(): Promise<number> {
  if (spawnSync('python3', ['--version']).status !== 0) {
    if (process.env.CI === 'true') fail('python3 is required in CI to run the DynamoDB reference suite');
    console.log('test:dynamodb-moto: skipped, python3 is not installed (it installs moto from PyPI)');
    return 0;
  }
  installMoto();
  const moto = await startMoto();
  console.log(`test:dynamodb-moto: moto's DynamoDB on ${moto.endpoint} (pid ${moto.child.pid})`);
  try {
    // One file at a time, with long timeouts: moto serves the whole run and copies a table per transaction.
    const vitest = spawn(
      'npx',
      ['vitest', 'run', '--testTimeout=300000', '--fileParallelism=false', ...SUITES],
      {
        stdio: 'inherit',
        // moto does not isolate concurrent transactions (see ForwardingOptions.oneAtATime).
        env: { ...process.env, LEDGER_TEST_ENDPOINT: moto.endpoint, LEDGER_TEST_ONE_AT_A_TIME: 'true' },
      },
    );
    return await new Promise<number>((resolvePromise) =>
      vitest.once('exit', (code) => resolvePromise(code ?? 1)),
    );
  } finally {
    await stop(moto.child);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => fail(error instanceof Error ? error.message : String(error)),
);
