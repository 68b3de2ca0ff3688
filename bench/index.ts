/**
 * `npm run bench`: every benchmark of the project, one after another, each in its own process (so one
 * benchmark's warm JIT, sockets or leftover timers cannot colour the next), then one table of every figure
 * with its goal. Each benchmark reports through the JSON summary it writes to $BENCH_JSON (bench/support/
 * report.ts).
 * BENCH_ONLY=ingest,end-to-end runs a subset; BENCH_TIMEOUT_MS bounds each benchmark (default 4 minutes).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchSummary, type FigureRow, formatTable, SUMMARY_FILE_ENV } from './support/report';
import { withTempDir } from './support/temp-dir';

const BENCHMARKS = [
  { name: 'broker', script: 'broker.ts' },
  { name: 'ingest', script: 'ingest.ts' },
  { name: 'consume', script: 'consume.ts' },
  { name: 'end-to-end', script: 'end-to-end.ts' },
] as const;

const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 240_000);
const STDERR_TAIL_LINES = 20;

interface BenchOutcome {
  readonly name: string;
  readonly rows: readonly FigureRow[];
  readonly seconds: number;
  /** Why the benchmark gave no figures, if it did not finish. */
  readonly failure?: string;
}

async function runBenchmark(name: string, script: string, summaryFile: string): Promise<BenchOutcome> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url))],
    {
      env: { ...process.env, [SUMMARY_FILE_ENV]: summaryFile },
      // Each benchmark's own table and notes reach the terminal as it prints them.
      stdio: ['ignore', 'inherit', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), TIMEOUT_MS);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;

  const rows = existsSync(summaryFile)
    ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as BenchSummary).rows
    : [];
  if (exit.code === 0 && rows.length > 0) return { name, rows, seconds };
  const failure =
    exit.signal !== null
      ? `stopped by ${exit.signal} after ${Math.round(seconds)} s (BENCH_TIMEOUT_MS=${TIMEOUT_MS})`
      : exit.code !== 0
        ? `exited with code ${exit.code}`
        : 'printed no figures';
  const tail = stderr.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
  process.stdout.write(`\n${name} benchmark ${failure}; last lines of its stderr:\n${tail}\n`);
  return { name, rows, seconds, failure };
}

/** Figures from a shared or busy machine read differently: say how busy it was. */
function machineLoad(): string {
  const [one, five] = loadavg().map((average) => average.toFixed(1));
  return `${cpus().length} CPUs, load average ${one} (1 min) / ${five} (5 min)`;
}

async function main(): Promise<number> {
  const loadBefore = machineLoad();
  const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
  const selected = BENCHMARKS.filter((bench) => !only || only.includes(bench.name));
  if (selected.length === 0) {
    throw new Error(
      `BENCH_ONLY=${process.env.BENCH_ONLY} names no benchmark; expected some of ${BENCHMARKS.map((b) => b.name).join(', ')}`,
    );
  }
  const outcomes = await withTempDir('bench-all', async (dir) => {
    const results: BenchOutcome[] = [];
    for (const bench of selected) {
      process.stdout.write(`\n=== ${bench.name} (bench/${bench.script}) ===\n`);
      results.push(await runBenchmark(bench.name, bench.script, join(dir, `${bench.name}.json`)));
    }
    return results;
  });

  const rows = outcomes.flatMap((outcome) =>
    outcome.failure
      ? [
          ...outcome.rows,
          { bench: outcome.name, metric: 'benchmark did not finish', value: outcome.failure, goal: '' },
        ]
      : outcome.rows,
  );
  const withGoal = rows.filter((row) => row.met !== undefined);
  const met = withGoal.filter((row) => row.met).length;
  process.stdout.write(
    [
      '',
      '=== all benchmarks ===',
      '',
      formatTable(rows, { withBench: true }),
      '',
      `machine: ${loadBefore} before, ${machineLoad()} after`,
      `goals met: ${met} of ${withGoal.length}; time: ${outcomes.map((o) => `${o.name} ${Math.round(o.seconds)} s`).join(', ')}`,
      '',
    ].join('\n'),
  );
  return outcomes.some((outcome) => outcome.failure) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
