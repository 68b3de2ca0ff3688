/**
 * `npm run bench:e2e`: sustained events per second from HTTP request to ledger on the local pipeline (what
 * `npm start` runs: local broker with durable storage, embedded ledger, HTTP gateway, event source
 * mapping, the Lambda handlers), and the latency of each event from its request to its ledger entry.
 *
 * Method. Clients in a child process (keep-alive connections) POST payment events for a fixed time or count
 * and record when each request left: closed loop (as fast as answers come) for the sustained rate, single
 * events and batches; open loop at the goal rate for the latency goal (a closed loop that outruns the ledger
 * only measures its own backlog). The consume function stamps every applied ledger item with
 * `appliedAt` when it builds the ledger transaction; after the load, once the event with the highest
 * acknowledged offset of every partition is applied (the event source applies a partition in offset order,
 * so everything before it is done), one Scan reads every `appliedAt`. Latency = appliedAt − sent, per
 * event, at millisecond resolution (appliedAt is an ISO timestamp); it leaves out the one ledger
 * transaction that follows the stamp. Throughput = events applied / (last appliedAt − first request sent).
 * Figures are medians over BENCH_RUNS runs (default 3) on one pipeline.
 */
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { createLedgerClient } from '../functions/ledger/client';
import { readEventStatus } from '../functions/ledger/event-status';
import { APPLIED_SORT_KEY } from '../functions/ledger/keys';
import { type LocalPipeline, startLocalPipeline } from '../local/pipeline';
import type { AcknowledgedEvent, LoadPlan, LoadResult } from './support/http-load';
import { runLoadInChildProcess } from './support/http-load-process';
import { type Figure, publishFigures } from './support/report';
import { median, percentile, repeat } from './support/stats';
import { withTempDir } from './support/temp-dir';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LOAD_MS = Number(process.env.BENCH_E2E_LOAD_MS ?? 5_000);
/** Caps a closed-loop run: the ingest side outruns the ledger, and the backlog must drain within the run. */
const MAX_EVENTS = Number(process.env.BENCH_E2E_MAX_EVENTS ?? 15_000);
const CONCURRENCY = Number(process.env.BENCH_E2E_CONCURRENCY ?? 32);
/** Events per request of the batch-form load. */
const BATCH_EVENTS = Number(process.env.BENCH_E2E_BATCH ?? 10);
const ACCOUNTS = 200;
const THROUGHPUT_GOAL = 2_000;
/** How long the ledger may take to catch up after the load stopped before the run counts as failed. */
const DRAIN_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

type LedgerClient = ReturnType<typeof createLedgerClient>;

interface RunFigures {
  readonly eventsPerSecond: number;
  readonly appliedP50: number;
  readonly appliedP99: number;
  readonly answerP99: number;
  readonly events: number;
}

class EndToEndRunError extends Error {
  readonly code = 'BENCH_E2E_RUN_FAILED';
}

/** The acknowledged event with the highest offset of each partition. */
function lastOfEachPartition(events: readonly AcknowledgedEvent[]): AcknowledgedEvent[] {
  const last = new Map<number, AcknowledgedEvent>();
  for (const event of events) {
    const known = last.get(event.partition);
    if (!known || event.offset > known.offset) last.set(event.partition, event);
  }
  return [...last.values()];
}

async function waitUntilApplied(ledger: LedgerClient, table: string, events: readonly AcknowledgedEvent[]) {
  const pending = new Set(lastOfEachPartition(events).map((event) => event.eventId));
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (pending.size > 0) {
    for (const eventId of [...pending]) {
      const status = await readEventStatus(ledger, table, eventId);
      if (status.status !== 'unknown') pending.delete(eventId);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      throw new EndToEndRunError(
        `the ledger did not reach ${[...pending].join(', ')} within ${DRAIN_TIMEOUT_MS} ms after the load`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** appliedAt (epoch ms) of every applied event whose id starts with the prefix. */
async function appliedTimes(
  ledger: LedgerClient,
  table: string,
  prefix: string,
): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page: ScanCommandOutput = await ledger.send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: 'eventId, appliedAt',
        FilterExpression: 'sk = :applied AND begins_with(eventId, :prefix)',
        ExpressionAttributeValues: { ':applied': APPLIED_SORT_KEY, ':prefix': prefix },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) times.set(String(item.eventId), Date.parse(String(item.appliedAt)));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return times;
}

async function measureRun(
  pipeline: LocalPipeline,
  ledger: LedgerClient,
  plan: LoadPlan,
  resultFile: string,
): Promise<RunFigures> {
  const load: LoadResult = await runLoadInChildProcess(plan, resultFile);
  const failed = Object.entries(load.failures);
  if (failed.length > 0) {
    throw new EndToEndRunError(
      `requests failed during the load (status: count): ${failed.map(([s, n]) => `${s}: ${n}`).join(', ')}`,
    );
  }
  if (load.acknowledged.length === 0) throw new EndToEndRunError('no event was acknowledged');
  await waitUntilApplied(ledger, pipeline.names.ledgerTable, load.acknowledged);
  const applied = await appliedTimes(ledger, pipeline.names.ledgerTable, `${plan.eventIdPrefix}-`);

  const latencies: number[] = [];
  const missing: string[] = [];
  let firstSent = Number.POSITIVE_INFINITY;
  let lastApplied = 0;
  for (const event of load.acknowledged) {
    const appliedAt = applied.get(event.eventId);
    if (appliedAt === undefined) {
      missing.push(event.eventId);
      continue;
    }
    latencies.push(appliedAt - event.sentAt);
    firstSent = Math.min(firstSent, event.sentAt);
    lastApplied = Math.max(lastApplied, appliedAt);
  }
  if (missing.length > 0 || applied.size !== load.acknowledged.length) {
    throw new EndToEndRunError(
      `acknowledged ${load.acknowledged.length} events, applied ${applied.size}; not applied: ${missing.slice(0, 5).join(', ')}`,
    );
  }
  return {
    eventsPerSecond: latencies.length / ((lastApplied - firstSent) / 1000),
    appliedP50: percentile(latencies, 50),
    appliedP99: percentile(latencies, 99),
    answerP99: percentile(
      load.acknowledged.map((event) => event.answeredAt - event.sentAt),
      99,
    ),
    events: latencies.length,
  };
}

interface LoadMode {
  readonly label: string;
  readonly eventsPerRequest: number;
  /** Open loop at this offered rate; closed loop (as fast as the pipeline answers) when absent. */
  readonly eventsPerSecond?: number;
}

/**
 * Closed-loop runs find the sustained rate (the throughput goal); their latencies are mostly queueing behind
 * a backlog, so the latency goal is judged on the open-loop run offered exactly the throughput goal.
 */
function figuresOf(mode: LoadMode, runs: readonly RunFigures[]): Figure[] {
  const of = (pick: (run: RunFigures) => number) => median(runs.map(pick));
  const paced = mode.eventsPerSecond !== undefined;
  return [
    {
      metric: `${paced ? 'achieved' : 'sustained'} throughput, request to ledger [${mode.label}]`,
      value: of((r) => r.eventsPerSecond),
      unit: 'events/s',
      ...(paced ? {} : { goal: { atLeast: THROUGHPUT_GOAL } }),
    },
    {
      metric: `request to applied p50 [${mode.label}]`,
      value: of((r) => r.appliedP50),
      unit: 'ms',
      decimals: 0,
    },
    {
      metric: `request to applied p99 [${mode.label}]`,
      value: of((r) => r.appliedP99),
      unit: 'ms',
      decimals: 0,
      ...(paced ? { goal: { atMost: 500 } } : {}),
    },
    { metric: `HTTP answer p99 [${mode.label}]`, value: of((r) => r.answerP99), unit: 'ms', decimals: 1 },
    { metric: `events per run [${mode.label}]`, value: of((r) => r.events), unit: '' },
  ];
}

async function main(): Promise<void> {
  const warnings: string[] = [];
  await withTempDir('bench-e2e', async (dir) => {
    const pipeline = await startLocalPipeline({
      dataDir: `${dir}/data`,
      httpPort: 0,
      brokerPort: 0,
      ledgerPort: 0,
      // Steady-state latency: the consumer group forms at once rather than after MSK's 3 s initial delay,
      // which would otherwise land on the first run's first requests.
      initialRebalanceDelayMs: 0,
      log: (line, level) => {
        if (level === 'warn') warnings.push(line);
      },
    });
    const ledger = createLedgerClient({ endpoint: pipeline.ledgerEndpoint });
    try {
      const modes: LoadMode[] = [
        { label: 'closed loop, single-event requests', eventsPerRequest: 1 },
        { label: `closed loop, batches of ${BATCH_EVENTS}`, eventsPerRequest: BATCH_EVENTS },
        {
          label: `open loop at ${THROUGHPUT_GOAL.toLocaleString('en-US')} events/s, single-event requests`,
          eventsPerRequest: 1,
          eventsPerSecond: THROUGHPUT_GOAL,
        },
        {
          label: `open loop at ${THROUGHPUT_GOAL.toLocaleString('en-US')} events/s, batches of ${BATCH_EVENTS}`,
          eventsPerRequest: BATCH_EVENTS,
          eventsPerSecond: THROUGHPUT_GOAL,
        },
      ];
      const figures: Figure[] = [];
      for (const [index, mode] of modes.entries()) {
        const runs = await repeat(RUNS, (run) =>
          measureRun(
            pipeline,
            ledger,
            {
              url: pipeline.httpUrl,
              durationMs: LOAD_MS,
              concurrency: CONCURRENCY,
              eventsPerRequest: mode.eventsPerRequest,
              eventIdPrefix: `e2e-${index}-${run}`,
              orderingKeys: ACCOUNTS,
              maxEvents: MAX_EVENTS,
              ...(mode.eventsPerSecond === undefined ? {} : { eventsPerSecond: mode.eventsPerSecond }),
            },
            `${dir}/load-${index}-${run}.json`,
          ),
        );
        figures.push(...figuresOf(mode, runs));
      }
      publishFigures('end-to-end', `end-to-end benchmark: medians of ${RUNS} runs`, figures, [
        `Load: ${CONCURRENCY} keep-alive HTTP clients in a child process, ${LOAD_MS / 1000} s or ${MAX_EVENTS.toLocaleString('en-US')} events per run, ${ACCOUNTS} accounts; open loop: latency counted from each request's due time.`,
        'Pipeline: startLocalPipeline defaults (3 partitions, batch size 100, batching window 0.5 s, broker fsync on acks=all) in a temp folder, initial rebalance delay 0.',
        'Latency: request sent (client clock) to the appliedAt stamp of the ledger item (same machine clock), 1 ms resolution.',
        `Pipeline at the end: ${await pipeline.statusLine()}.`,
        ...(warnings.length ? [`Pipeline warnings: ${warnings.length}, first: ${warnings[0]}`] : []),
      ]);
    } finally {
      ledger.destroy();
      await pipeline.close();
    }
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `end-to-end benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
