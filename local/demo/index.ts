/**
 * `npm run demo`: sends N events through the local pipeline behind a proxy that loses produce
 * acknowledgements, once with producer idempotence on and once off, then replaces the producer session and
 * has clients retry some events. Prints a side-by-side table and writes an HTML report with a chart.
 *
 *   --events N (10000)   --drop-share 0.2   --per-request 50   --concurrency 8   --retries 500   --seed 1
 *   --report-dir .local/demo
 */
import { fork } from 'node:child_process';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { eventDefinition } from '../../functions/event/definition';
import { integerSetting } from '../../functions/shared/config';
import { ConfigError } from '../../functions/shared/errors';
import { formatTable, renderHtml } from './report';
import type { ScenarioMessage, ScenarioRequest, ScenarioResult } from './scenario';

function readRequest(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      events: { type: 'string' },
      'drop-share': { type: 'string' },
      'per-request': { type: 'string' },
      concurrency: { type: 'string' },
      retries: { type: 'string' },
      seed: { type: 'string' },
      'report-dir': { type: 'string' },
    },
    strict: true,
  });
  const flags = Object.fromEntries(Object.entries(values).map(([name, value]) => [`--${name}`, value]));
  const events = integerSetting(flags, '--events', 10_000, { min: 1, max: 1_000_000 });
  const dropShare = Number(values['drop-share'] ?? 0.2);
  if (!(dropShare >= 0 && dropShare < 1)) {
    throw new ConfigError(
      '--drop-share',
      `must be a number from 0 to below 1, got "${values['drop-share']}"`,
    );
  }
  return {
    scenario: {
      events,
      dropShare,
      perRequest: integerSetting(flags, '--per-request', 50, { min: 1, max: 100 }),
      concurrency: integerSetting(flags, '--concurrency', 8, { min: 1, max: 256 }),
      seed: integerSetting(flags, '--seed', 1, { min: 0, max: 2 ** 31 - 1 }),
      sessionReplacementRetries: integerSetting(flags, '--retries', Math.min(500, events), {
        min: 0,
        max: events,
      }),
    },
    reportDir: resolve(String(values['report-dir'] ?? '.local/demo')),
  };
}

/** A progress bar redrawn in place on a terminal; a line per 10% otherwise. */
function progress(label: string, done: number, total: number, state: { lastTenth: number }): void {
  const share = total === 0 ? 1 : done / total;
  if (process.stdout.isTTY) {
    const width = 30;
    const filled = Math.round(share * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    process.stdout.write(
      `\r  ${label.padEnd(30)} ${bar} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`,
    );
    return;
  }
  const tenth = Math.floor(share * 10);
  if (tenth > state.lastTenth) {
    state.lastTenth = tenth;
    console.log(`  ${label}: ${done}/${total}`);
  }
}

/** Runs one scenario in a child process so each gets fresh handler modules (one cold start each). */
async function runInChild(request: ScenarioRequest, logFile: string): Promise<ScenarioResult[]> {
  const log = await open(logFile, 'w');
  const script = fileURLToPath(new URL('./scenario.ts', import.meta.url));
  const child = fork(script, [JSON.stringify(request)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', log.fd, log.fd, 'ipc'],
  });
  const states = new Map<string, { lastTenth: number }>();
  let current = '';
  try {
    return await new Promise<ScenarioResult[]>((resolvePromise, reject) => {
      child.on('message', (message: ScenarioMessage) => {
        if (message.type === 'progress') {
          if (current !== message.label) {
            if (current !== '' && process.stdout.isTTY) process.stdout.write('\n');
            current = message.label;
          }
          const state = states.get(message.label) ?? { lastTenth: -1 };
          states.set(message.label, state);
          progress(message.label, message.done, message.total, state);
        } else if (message.type === 'result') {
          resolvePromise([...message.results]);
        } else {
          reject(new Error(`${message.message}\n(full log: ${logFile})`));
        }
      });
      child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`the scenario process exited with code ${code} (log: ${logFile})`));
      });
    });
  } finally {
    if (process.stdout.isTTY && current !== '') process.stdout.write('\n');
    await log.close();
  }
}

async function main(): Promise<number> {
  let settings: ReturnType<typeof readRequest>;
  try {
    settings = readRequest(process.argv.slice(2));
  } catch (error) {
    console.error(`npm run demo: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const { scenario, reportDir } = settings;
  await mkdir(reportDir, { recursive: true });
  console.log(
    `Sending ${scenario.events.toLocaleString('en-US')} ${eventDefinition.noun.plural} through the local pipeline; ` +
      `${Math.round(scenario.dropShare * 100)}% of produce acknowledgements are lost after the write.\n`,
  );

  const results: ScenarioResult[] = [];
  for (const idempotence of [true, false]) {
    const request: ScenarioRequest = {
      ...scenario,
      idempotence,
      sessionReplacementRetries: idempotence ? scenario.sessionReplacementRetries : 0,
    };
    const logFile = join(reportDir, `idempotence-${idempotence ? 'on' : 'off'}.log`);
    const outcome = await runInChild(request, logFile);
    // Column order: on, off, then what the on-run's session replacement showed.
    if (idempotence) results.push(...outcome);
    else results.splice(1, 0, ...outcome);
  }

  console.log(`\n${formatTable(results)}\n`);
  const reportFile = join(reportDir, 'report.html');
  await writeFile(
    reportFile,
    renderHtml(results, {
      events: scenario.events,
      dropShare: scenario.dropShare,
      perRequest: scenario.perRequest,
      finishedAt: new Date(),
    }),
  );
  await writeFile(
    join(reportDir, 'report.json'),
    `${JSON.stringify({ settings: scenario, results }, null, 2)}\n`,
  );
  console.log(`Report: ${reportFile}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('npm run demo failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
