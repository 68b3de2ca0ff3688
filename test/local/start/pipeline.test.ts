import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventDefinition } from '../../../functions/event/definition';
import { appNames } from '../../../functions/shared/app-names';
import { eventRoutes } from '../../../functions/shared/event-definition';
import { type LocalPipeline, type LocalPipelineOptions, startLocalPipeline } from '../../../local/pipeline';
import { freshTopicName } from '../../helpers/kafka';
import { withoutId } from '../../helpers/sample-events';

let dataDir: string;
let pipeline: LocalPipeline | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'local-pipeline-'));
});

afterAll(async () => {
  await pipeline?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const routes = eventRoutes(eventDefinition);

/** An event of the pipeline's own type for ordering key number `group`, its id left to the header. */
const event = (group: number) => withoutId(eventDefinition.sample('sent-by-header', group));

/** A client that retries 503 answers with the same idempotency key, as the ingest API asks clients to. */
async function post(base: string, body: unknown, idempotencyKey?: string): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${base}${routes.collection}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      },
      body: JSON.stringify(body),
    });
    if (response.status !== 503 || attempt === 5) return response;
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
}

interface StatusAnswer {
  status: string;
  appliedAt?: { topic: string; partition: number; offset: number };
  deadLetters?: { reason: string }[];
}

async function statusOf(base: string, eventId: string): Promise<{ code: number; body: StatusAnswer }> {
  const response = await fetch(`${base}${routes.collection}/${encodeURIComponent(eventId)}`);
  return { code: response.status, body: (await response.json()) as StatusAnswer };
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const portOf = (address: string) => Number(address.split(':').at(-1));

describe('the local pipeline', () => {
  it('applies each event once, rejects a bad request, and keeps its data across a restart', async () => {
    // Prepare: the local broker, or the Kafka named by KAFKA_BROKERS with topics of this run's own.
    const external = process.env.KAFKA_BROKERS?.trim();
    const topic = external ? freshTopicName(appNames().topic) : appNames().topic;
    const options: LocalPipelineOptions = {
      dataDir,
      httpPort: 0,
      brokerPort: 0,
      ledgerPort: 0,
      batchingWindowMs: 50,
      // The event source's consumer group forms at once instead of after MSK's 3 s initial delay.
      initialRebalanceDelayMs: 0,
      ...(external
        ? {
            kafkaBrokers: external.split(','),
            topic,
            deadLetterTopic: `${topic}-dead-letter`,
          }
        : {}),
    };
    pipeline = await startLocalPipeline(options);
    const base = pipeline.httpUrl;

    // Act: three events, one of them retried twice by its client with the same key, and a bad one.
    const first = await post(base, event(1), 'pay-1');
    const retried = [await post(base, event(1), 'pay-1'), await post(base, event(1), 'pay-1')];
    const others = [await post(base, event(2), 'pay-2'), await post(base, event(3), 'pay-3')];
    // Only the id (from the header): every other field the schema requires is missing.
    const bad = await post(base, {}, 'pay-bad');

    // Assess: accepted, rejected, and every accepted event applied exactly once.
    expect(first.status).toBe(201);
    expect(retried.map((r) => r.status)).toEqual([201, 201]);
    expect(others.map((r) => r.status)).toEqual([201, 201]);
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({
      issues: expect.arrayContaining([expect.objectContaining({ field: expect.stringMatching(/^\$\.\S/) })]),
    });

    const current = pipeline;
    await until(
      async () => (await current.status()).consumerLag === 0 && (await current.status()).applied >= 3,
      'the three events applied',
    );
    const status = await pipeline.status();
    expect(status.ingested).toBe(5); // the two client retries are records in the topic…
    expect(status.applied).toBe(3); // …but each event is applied once
    expect(status.deadLettered).toBe(2); // the retries, caught by the consumer as duplicates

    const applied = await statusOf(base, 'pay-1');
    expect(applied.code).toBe(200);
    expect(applied.body.status).toBe('applied');
    expect(applied.body.appliedAt?.topic).toBe(topic);
    expect(applied.body.deadLetters).toHaveLength(2);
    for (const id of ['pay-2', 'pay-3']) expect((await statusOf(base, id)).body.status).toBe('applied');
    expect((await statusOf(base, 'pay-bad')).code).toBe(404);
    const unknownRoute = await fetch(`${base}/nowhere`);
    expect(unknownRoute.status).toBe(404);

    // Act: restart on the same data folder and ports (the handlers keep the settings of their cold start).
    await pipeline.close();
    pipeline = undefined;
    pipeline = await startLocalPipeline({
      ...options,
      brokerPort: portOf(current.kafkaBrokers[0] ?? ''),
      ledgerPort: portOf(current.ledgerEndpoint),
    });
    const again = pipeline.httpUrl;

    // Assess: the ledger and the topic kept everything, the consumer resumes after what it committed.
    const kept = await statusOf(again, 'pay-1');
    expect(kept.body.status).toBe('applied');
    expect(kept.body.appliedAt).toEqual(applied.body.appliedAt);
    const later = await post(again, event(5), 'pay-4');
    expect(later.status).toBe(201);
    const restarted = pipeline;
    await until(
      async () => (await statusOf(again, 'pay-4')).body.status === 'applied',
      'the event sent after the restart',
    );
    const after = await restarted.status();
    expect(after.ingested).toBe(6);
    expect(after.applied).toBe(4);
    expect(after.deadLettered).toBe(2);
  });
});
