/**
 * Runs an HTTP load in a child process, so that the clients have their own event loop (and core) instead of
 * taking turns with the service they measure. The child reads the plan from BENCH_LOAD_PLAN and writes the
 * result as JSON to the file BENCH_LOAD_RESULT names.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type LoadPlan, type LoadResult, runLoad } from './http-load';

const CHILD_ENTRY = fileURLToPath(import.meta.url);

export async function runLoadInChildProcess(plan: LoadPlan, resultFile: string): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD_ENTRY], {
    env: { ...process.env, BENCH_LOAD_PLAN: JSON.stringify(plan), BENCH_LOAD_RESULT: resultFile },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the HTTP load process exited with ${code}`);
  return JSON.parse(readFileSync(resultFile, 'utf8')) as LoadResult;
}

if (process.env.BENCH_LOAD_PLAN && process.argv[1] === CHILD_ENTRY) {
  const plan = JSON.parse(process.env.BENCH_LOAD_PLAN) as LoadPlan;
  const result = await runLoad(plan);
  writeFileSync(process.env.BENCH_LOAD_RESULT ?? 'load-result.json', JSON.stringify(result));
}
