import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { eventDefinition } from '../../../functions/event/definition';
import { createLedgerClient } from '../../../functions/ledger/client';
import { APPLIED_SORT_KEY, DEAD_LETTER_PREFIX, PROGRESS_SORT_KEY } from '../../../functions/ledger/keys';
import { appNames } from '../../../functions/shared/app-names';
import { eventRoutes } from '../../../functions/shared/event-definition';
import { seededRandom } from '../../../local/chaos/seeded-random';
import { killHard, sleep } from '../../helpers/processes';
import { withoutId } from '../../helpers/sample-events';

/**
 * `npm start` (local/start.ts) in a child process, killed with SIGKILL at random moments while clients post
 * events, then started again on the same data folder: what a laptop crash, an OOM kill or a closed
 * terminal does. Afterwards the broker's log, the consumer group's commits, the ledger and the on-failure
 * file must agree: every event answered 201 applied exactly once, nothing dead-lettered.
 */

const SEED = Number(process.env.CRASH_TEST_SEED ?? 14);
/**
 * Two runs of two kills each (4 in all), each on its own data folder: vitest's forks pool reports a test that
 * runs past 60 s as an RPC timeout, so no single test may take that long on a loaded machine.
 */
const RUNS = [SEED, SEED + 100];
const CRASHES = 2;
const CLIENTS = 8;
const PARTITIONS = 3;
/** `npm start` runs with the default names. */
const NAMES = appNames();

interface Pipeline {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly kafka: string;
  readonly ledger: string;
}

function startPipeline(dataDir: string): Promise<Pipeline> {
  const args = ['--data-dir', dataDir, '--http-port', '0', '--broker-port', '0', '--ledger-port', '0'];
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/start.ts',
      ...args,
      '--partitions',
      String(PARTITIONS),
      '--batching-window-ms',
      '20',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const httpUrl = /HTTP API\s+(http:\/\/\S+)/.exec(output)?.[1];
      const kafka = /Kafka\s+(\S+)/.exec(output)?.[1];
      const ledger = /Ledger\s+(http:\/\/\S+)/.exec(output)?.[1];
      if (httpUrl && kafka && ledger) resolve({ child, httpUrl, kafka, ledger });
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code, signal) =>
      reject(new Error(`npm start exited (${code ?? signal}) before it was ready: ${output}`)),
    );
  });
}

/**
 * Clients posting events with fresh event ids to whichever pipeline is running. A request that fails
 * without an answer (the process died under it) is not retried: it may or may not be stored, and is not
 * counted as acknowledged.
 */
class Clients {
  readonly acknowledged = new Set<string>();
  readonly unanswered = new Set<string>();
  readonly unexpected: string[] = [];
  private url: string | undefined;
  private next = 0;
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(count: number) {
    this.loops = Array.from({ length: count }, (_, client) => this.loop(client));
  }

  target(url: string | undefined): void {
    this.url = url;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Posts every unanswered event again with its id; returns those acknowledged this time. */
  async retryUnanswered(url: string): Promise<string[]> {
    const answers = await Promise.all(
      [...this.unanswered].map(async (eventId) =>
        (await this.post(url, eventId)) === 201 ? eventId : undefined,
      ),
    );
    return answers.filter((eventId) => eventId !== undefined);
  }

  private post(url: string, eventId: string): Promise<number> {
    const n = Number(eventId.split('-').at(-1));
    return fetch(`${url}${eventRoutes(eventDefinition).collection}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': eventId },
      body: JSON.stringify(withoutId(eventDefinition.sample(eventId, n % 16))),
      signal: AbortSignal.timeout(15_000),
    }).then(async (response) => {
      await response.text();
      return response.status;
    });
  }

  private async loop(client: number): Promise<void> {
    while (this.running) {
      const url = this.url;
      if (!url) {
        await sleep(20);
        continue;
      }
      const eventId = `crash-${client}-${this.next++}`;
      try {
        const status = await this.post(url, eventId);
        if (status === 201) this.acknowledged.add(eventId);
        else if (status === 503) this.unanswered.add(eventId);
        else this.unexpected.push(`${eventId}: ${status}`);
      } catch {
        this.unanswered.add(eventId);
        if (this.url === url) await sleep(20);
      }
    }
  }
}

describe('npm start killed with SIGKILL while clients post events', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it.each(RUNS)(
    'applies every acknowledged event exactly once; only client retries of unanswered requests are dead-lettered (seed %i)',
    async (seed) => {
      const dataDir = await mkdtemp(join(tmpdir(), 'start-crash-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      const random = seededRandom(seed);
      const clients = new Clients(CLIENTS);
      cleanups.push(() => clients.stop());

      let pipeline: Pipeline | undefined;
      cleanups.push(async () => {
        if (pipeline) await killHard(pipeline.child);
      });
      for (let crash = 0; crash < CRASHES; crash += 1) {
        pipeline = await startPipeline(dataDir);
        const before = clients.acknowledged.size;
        clients.target(pipeline.httpUrl);
        // Kill at a random moment once this run has acknowledged something: ingest and consume both in flight.
        for (const deadline = Date.now() + 30_000; clients.acknowledged.size === before; await sleep(10)) {
          if (Date.now() > deadline)
            throw new Error(`no event acknowledged within 30 s of start ${crash + 1}`);
        }
        await sleep(200 + random() * 1_500);
        await killHard(pipeline.child);
        clients.target(undefined);
      }
      pipeline = await startPipeline(dataDir);
      clients.target(pipeline.httpUrl);
      await sleep(500);
      await clients.stop();
      // The clients now retry what got no answer, with the same event ids, as the API asks them to.
      const retried = await clients.retryUnanswered(pipeline.httpUrl);

      // Wait until the event source has committed everything in the topic.
      const kafka = new Kafka({ brokers: [pipeline.kafka], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      cleanups.push(() => admin.disconnect());
      const committedEverything = async () => {
        const [ends, commits] = await Promise.all([
          admin.fetchTopicOffsets(NAMES.topic),
          admin.fetchOffsets({ groupId: NAMES.consumerGroupId, topics: [NAMES.topic] }),
        ]);
        const committed = new Map(commits[0]?.partitions.map((p) => [p.partition, Number(p.offset)]));
        return ends.every((end) => committed.get(end.partition) === Number(end.high)) ? ends : undefined;
      };
      let ends = await committedEverything();
      for (
        const deadline = Date.now() + 30_000;
        !ends && Date.now() < deadline;
        ends = await committedEverything()
      ) {
        await sleep(100);
      }
      expect(ends, 'the event source committed every record of the topic').toBeDefined();

      const ledger = createLedgerClient({ endpoint: pipeline.ledger, maxAttempts: 1 });
      cleanups.push(async () => ledger.destroy());
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await ledger.send(
          new ScanCommand({ TableName: NAMES.ledgerTable, ExclusiveStartKey: startKey }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      const applied = items.filter((item) => item.sk === APPLIED_SORT_KEY);
      const deadLetters = items.filter((item) => String(item.sk).startsWith(DEAD_LETTER_PREFIX));
      const progress = items.filter((item) => item.sk === PROGRESS_SORT_KEY);
      const appliedIds = new Set(applied.map((item) => String(item.eventId)));
      const deadLetterTopic = await admin.fetchTopicOffsets(NAMES.deadLetterTopic);
      const onFailure = await readFile(join(dataDir, 'on-failure.jsonl'), 'utf8').catch(() => '');

      console.info(
        `pipeline crash test: ${CRASHES} kill cycles, ${clients.acknowledged.size} events acknowledged, ` +
          `${retried.length} retried after getting no answer, ${deadLetters.length} of them stored before the kill ` +
          `(seed ${seed})`,
      );
      expect(clients.unexpected).toEqual([]);
      expect(retried.length).toBe(clients.unanswered.size);
      // Every event answered 201 is applied; none of them has a dead letter.
      expect([...clients.acknowledged, ...retried].filter((eventId) => !appliedIds.has(eventId))).toEqual([]);
      // The only dead letters are retries of requests whose first attempt was stored without its answer:
      // DUPLICATE, which is what a client retry of a stored event is.
      const retriedIds = new Set(retried);
      expect(
        deadLetters.filter((item) => item.reason !== 'DUPLICATE' || !retriedIds.has(String(item.eventId))),
      ).toEqual([]);
      expect(Number(deadLetterTopic[0]?.high)).toBe(deadLetters.length);
      expect(onFailure).toBe('');
      // The log and the ledger agree record by record: each offset of each partition is applied or
      // dead-lettered, exactly once.
      for (const end of ends ?? []) {
        const offsets = [...applied, ...deadLetters]
          .filter((item) => Number(item.partition) === end.partition)
          .map((item) => Number(item.offset))
          .sort((x, y) => x - y);
        expect(offsets).toEqual(Array.from({ length: Number(end.high) }, (_, offset) => offset));
        const partitionProgress = progress.find((item) => String(item.pk).endsWith(`-${end.partition}`));
        expect(Number(partitionProgress?.lastOffset ?? -1)).toBe(Number(end.high) - 1);
      }
    },
  );
});
