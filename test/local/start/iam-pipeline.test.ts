/**
 * `npm start -- --auth iam`: the pipeline with the local broker's MSK IAM emulation, the ingest and consume
 * handlers connecting with KAFKA_AUTH=iam as principals that hold the policies the stack gives their roles.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventDefinition } from '../../../functions/event/definition';
import { eventRoutes } from '../../../functions/shared/event-definition';
import { type LocalPipeline, startLocalPipeline } from '../../../local/pipeline';
import { withoutId } from '../../helpers/sample-events';

let dataDir: string;
let pipeline: LocalPipeline | undefined;
const warnings: string[] = [];
const routes = eventRoutes(eventDefinition);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'iam-pipeline-'));
  pipeline = await startLocalPipeline({
    dataDir,
    auth: 'iam',
    httpPort: 0,
    brokerPort: 0,
    ledgerPort: 0,
    batchingWindowMs: 50,
    log: (line, level) => {
      if (level === 'warn') warnings.push(line);
    },
  });
}, 120_000);

afterAll(async () => {
  await pipeline?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function post(eventId: string): Promise<Response> {
  return fetch(`${pipeline?.httpUrl}${routes.collection}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': eventId },
    body: JSON.stringify(withoutId(eventDefinition.sample(eventId, 9))),
  });
}

async function statusOf(eventId: string): Promise<{ status?: string; deadLetters?: { reason: string }[] }> {
  const response = await fetch(`${pipeline?.httpUrl}${routes.collection}/${eventId}`);
  return response.status === 404 ? {} : ((await response.json()) as { status: string });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; warnings: ${warnings.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('ingests, applies and dead-letters a copy over TLS with IAM, refusing nothing the stack grants', async () => {
  expect(pipeline?.kafkaSecurity).toMatch(/^TLS \+ IAM \(CA .*ca\.pem\)$/);

  expect((await post('iam-pay-1')).status).toBe(201);
  await until(async () => (await statusOf('iam-pay-1')).status === 'applied', 'the event to be applied');
  expect((await post('iam-pay-1')).status).toBe(201);
  await until(
    async () => (await statusOf('iam-pay-1')).deadLetters?.[0]?.reason === 'DUPLICATE',
    'the copy to be dead-lettered',
  );

  expect(warnings.filter((line) => line.includes('access denied'))).toEqual([]);
}, 90_000);
