import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createLedgerClient } from '../../../functions/ledger/client';
import { seededRandom } from '../../../local/chaos/seeded-random';
import { startLedgerStore } from '../../../local/ledger-store';
import { killHard, sleep } from '../../helpers/processes';
import { CRASH_TABLE, expectedItems } from './transaction-state';

/** Runs transactions against a store on disk in a child process, so that SIGKILL hits it mid-write. */
const TRANSACTION_LOOP = resolve('test/local/ledger-store/transaction-loop.ts');
const SEED = Number(process.env.CRASH_TEST_SEED ?? 14);
/**
 * Three runs of five kills each (15 in all), each on its own folder: vitest's forks pool reports a test that
 * runs past 60 s as an RPC timeout, so no single test may take that long on a loaded machine.
 */
const RUNS = [SEED, SEED + 100, SEED + 200];
const KILL_CYCLES = 5;

interface Worker {
  readonly child: ChildProcess;
  /** The last transaction the store acknowledged to the worker. */
  committed(): number;
  output(): string;
}

function startWorker(folder: string, seed: number): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', TRANSACTION_LOOP, folder, String(seed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  let committed = 0;
  return new Promise((resolvePromise, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const lines = output.split('\n');
      output = lines.pop() ?? '';
      for (const line of lines) {
        const [word, number] = line.split(' ');
        if (word === 'ready') {
          committed = Number(number);
          resolvePromise({ child, committed: () => committed, output: () => errors });
        } else if (word === 'committed') committed = Number(number);
      }
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`transaction loop exited (${code ?? signal}) before it was ready: ${errors}`)),
    );
  });
}

/** Opens the store as a restart does and compares every item with what its counter says was committed. */
async function storedState(folder: string): Promise<{ last: number; keys: string[]; expected: string[] }> {
  const store = await startLedgerStore({ path: folder });
  const client = createLedgerClient({ endpoint: store.endpoint, maxAttempts: 1 });
  try {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName: CRASH_TABLE, ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const last = Number(items.find((item) => item.pk === 'counter')?.last ?? 0);
    const expected = expectedItems(last);
    for (const item of items) {
      // Each item holds what the transactions up to `last` wrote to it, not a value of another transaction.
      expect(item).toMatchObject(
        expected.get(`${item.pk}|${item.sk}`) ?? { unexpected: `${item.pk}|${item.sk}` },
      );
    }
    return {
      last,
      keys: items.map((item) => `${item.pk}|${item.sk}`).sort(),
      expected: [...expected.keys()].sort(),
    };
  } finally {
    client.destroy();
    await store.close();
  }
}

describe('embedded ledger store killed with SIGKILL while it commits transactions', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it.each(RUNS)(
    'leaves every transaction either whole or absent, and keeps every acknowledged one (seed %i)',
    async (seed) => {
      const folder = await mkdtemp(join(tmpdir(), 'ledger-crash-'));
      cleanups.push(() => rm(folder, { recursive: true, force: true }));
      const random = seededRandom(seed);
      let acknowledged = 0;
      for (let cycle = 0; cycle < KILL_CYCLES; cycle += 1) {
        const worker = await startWorker(folder, seed + cycle);
        cleanups.push(() => killHard(worker.child));
        // Kill at a random moment once this run has committed something.
        const ready = worker.committed();
        while (worker.committed() === ready) {
          if (worker.child.exitCode !== null)
            throw new Error(`the transaction loop stopped: ${worker.output()}`);
          await sleep(2);
        }
        await sleep(random() * 200);
        await killHard(worker.child);
        const inFlight = worker.committed() + 1; // may be on disk without its acknowledgement
        acknowledged = Math.max(acknowledged, worker.committed());

        const state = await storedState(folder);
        expect(state.keys).toEqual(state.expected);
        expect(state.last).toBeGreaterThanOrEqual(acknowledged);
        expect(state.last).toBeLessThanOrEqual(inFlight);
      }
      console.info(
        `store crash test: ${KILL_CYCLES} kill cycles, ${acknowledged} transactions acknowledged (seed ${seed})`,
      );
    },
  );
});
