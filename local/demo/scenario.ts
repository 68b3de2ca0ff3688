/**
 * One demo scenario, run in its own process (the handlers read their settings once per process, as in one
 * Lambda execution environment): the local pipeline behind a proxy that loses produce acknowledgements,
 * N events sent through the HTTP API, then the counts. Started by local/demo/index.ts over IPC.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { Kafka, logLevel } from 'kafkajs';
import { createIngestHandler } from '../../functions/ingest/ingest-handler';
import { readIngestSettings } from '../../functions/ingest/settings';
import { createLedgerClient } from '../../functions/ledger/client';
import { appNames } from '../../functions/shared/app-names';
import { createKafka } from '../../functions/shared/kafka-client';
import { WarmProducer } from '../../functions/shared/producer-session';
import { createMemoryStorage } from '../broker/storage';
import { type LocalPipeline, recordsInTopic, startLocalPipeline, tallyLedger } from '../pipeline';
import { demoEvents, type LoadResult, sendEvents } from './load';
import { countingDuplicates, type DuplicateCount, withoutIdempotence } from './seams';

/** The demo runs with the default names, as `npm start` does. */
const EVENTS_TOPIC = appNames().topic;

export interface ScenarioRequest {
  readonly idempotence: boolean;
  readonly events: number;
  readonly perRequest: number;
  readonly concurrency: number;
  readonly dropShare: number;
  readonly seed: number;
  /** After the main run: replace the producer session and retry this many events with their ids. */
  readonly sessionReplacementRetries: number;
}

export interface ScenarioMeasure {
  readonly sent: number;
  readonly acknowledged: number;
  /** Events clients sent again with the same ids (after no answer or a 5xx, or on purpose). */
  readonly eventsResent: number;
  readonly acknowledgementsLost: number;
  readonly recordsInTopic: number;
  readonly applied: number;
  readonly duplicatesPreventedByBroker: number;
  readonly duplicatesCaughtByConsumer: number;
  readonly deadLetteredByReason: Readonly<Record<string, number>>;
  /** Acknowledged to a client but not in the ledger. */
  readonly lost: number;
}

export interface ScenarioResult {
  readonly label: string;
  readonly measure: ScenarioMeasure;
}

export type ScenarioMessage =
  | { readonly type: 'progress'; readonly label: string; readonly done: number; readonly total: number }
  | { readonly type: 'result'; readonly results: readonly ScenarioResult[] }
  | { readonly type: 'error'; readonly message: string };

async function measure(
  pipeline: LocalPipeline,
  load: LoadResult,
  sent: number,
  brokerDuplicates: DuplicateCount,
): Promise<ScenarioMeasure> {
  const kafka = new Kafka({
    clientId: 'demo-measure',
    brokers: [...pipeline.kafkaBrokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const ledger = createLedgerClient({ endpoint: pipeline.ledgerEndpoint, region: 'us-east-1' });
  try {
    const [recordsInTopicNow, tally] = await Promise.all([
      recordsInTopic(admin, pipeline.names.topic),
      tallyLedger(ledger, pipeline.names.ledgerTable),
    ]);
    let lost = 0;
    for (const eventId of load.acknowledged) if (!tally.appliedEventIds.has(eventId)) lost++;
    return {
      sent,
      acknowledged: load.acknowledged.size,
      eventsResent: load.eventsResent,
      acknowledgementsLost: pipeline.lostAcknowledgements?.stats.acknowledgementsDropped ?? 0,
      recordsInTopic: recordsInTopicNow,
      applied: tally.applied,
      duplicatesPreventedByBroker: brokerDuplicates.records,
      duplicatesCaughtByConsumer: tally.deadLetteredCopies,
      deadLetteredByReason: tally.deadLetteredByReason,
      lost,
    };
  } finally {
    ledger.destroy();
    await admin.disconnect();
  }
}

/** Waits until the event source has committed every record of the topic (the ledger is written first). */
async function drained(pipeline: LocalPipeline): Promise<void> {
  const deadline = Date.now() + 300_000;
  while ((await pipeline.status()).consumerLag > 0) {
    if (Date.now() > deadline) throw new Error('the consumer did not catch up within 5 minutes');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Counts that grew between two measures, for the phase that came after the first. */
function difference(
  after: ScenarioMeasure,
  before: ScenarioMeasure,
  sent: number,
  lost: number,
): ScenarioMeasure {
  const reasons: Record<string, number> = {};
  for (const [reason, count] of Object.entries(after.deadLetteredByReason)) {
    const grown = count - (before.deadLetteredByReason[reason] ?? 0);
    if (grown > 0) reasons[reason] = grown;
  }
  return {
    sent,
    acknowledged: after.acknowledged,
    eventsResent: after.eventsResent,
    acknowledgementsLost: after.acknowledgementsLost - before.acknowledgementsLost,
    recordsInTopic: after.recordsInTopic - before.recordsInTopic,
    applied: after.applied - before.applied,
    duplicatesPreventedByBroker: after.duplicatesPreventedByBroker - before.duplicatesPreventedByBroker,
    duplicatesCaughtByConsumer: after.duplicatesCaughtByConsumer - before.duplicatesCaughtByConsumer,
    deadLetteredByReason: reasons,
    lost,
  };
}

export async function runScenario(
  request: ScenarioRequest,
  report: (message: ScenarioMessage) => void,
): Promise<ScenarioResult[]> {
  const label = request.idempotence ? 'idempotence on' : 'idempotence off';
  const dataDir = await mkdtemp(join(tmpdir(), 'pipeline-demo-'));
  const brokerDuplicates: DuplicateCount = { records: 0, batches: 0 };
  // The same ingest function as handler.ts, with a producer the demo can replace (and, for the comparison,
  // run without idempotence). It is built on first use, once the pipeline has set the environment.
  let publisher: WarmProducer | undefined;
  let ingest: ReturnType<typeof createIngestHandler> | undefined;
  const ingestHandler = (event: APIGatewayProxyEventV2, context: Context) => {
    if (!ingest) {
      const settings = readIngestSettings(process.env);
      publisher = new WarmProducer(
        async () => {
          const kafka = await createKafka(settings.kafka, 'demo-ingest');
          return request.idempotence ? kafka : withoutIdempotence(kafka);
        },
        { publishTimeoutMs: settings.publishTimeoutMs },
      );
      ingest = createIngestHandler({ settings, publisher });
    }
    return ingest(event, context);
  };

  const pipeline = await startLocalPipeline({
    dataDir,
    httpPort: 0,
    brokerPort: 0,
    ledgerPort: 0,
    batchingWindowMs: 100,
    lostAcknowledgements: { dropShare: request.dropShare, seed: request.seed },
    brokerStorage: countingDuplicates(createMemoryStorage(), EVENTS_TOPIC, brokerDuplicates),
    ingest: ingestHandler,
  });
  try {
    const events = demoEvents(request.idempotence ? 'on' : 'off', request.events);
    const load = await sendEvents({
      url: pipeline.httpUrl,
      events,
      perRequest: request.perRequest,
      concurrency: request.concurrency,
      onProgress: (done) => report({ type: 'progress', label, done, total: events.length }),
    });
    await drained(pipeline);
    const main = await measure(pipeline, load, events.length, brokerDuplicates);
    const results: ScenarioResult[] = [{ label, measure: main }];

    if (request.sessionReplacementRetries > 0) {
      // What idempotence cannot cover: a new producer session (a cold start, or a session retired after a
      // failure) and clients that retry events already stored. The broker sees a new producer id.
      pipeline.lostAcknowledgements?.setDropShare(0);
      await publisher?.close();
      const step = Math.max(1, Math.floor(events.length / request.sessionReplacementRetries));
      const retried = events
        .filter((_, index) => index % step === 0)
        .slice(0, request.sessionReplacementRetries);
      const phaseLabel = 'new session + client retries';
      const again = await sendEvents({
        url: pipeline.httpUrl,
        events: retried,
        perRequest: request.perRequest,
        concurrency: request.concurrency,
        onProgress: (done) => report({ type: 'progress', label: phaseLabel, done, total: retried.length }),
      });
      await drained(pipeline);
      const after = await measure(pipeline, again, retried.length, brokerDuplicates);
      // Every event of this phase is a client retry of an event already acknowledged.
      const resent = { ...after, eventsResent: retried.length + again.eventsResent };
      results.push({ label: phaseLabel, measure: difference(resent, main, retried.length, after.lost) });
    }
    return results;
  } finally {
    await pipeline.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

// Run as a child process: the request comes as the first argument, answers go back over IPC.
if (process.send && process.argv[2]) {
  const send = (message: ScenarioMessage) => process.send?.(message);
  runScenario(JSON.parse(process.argv[2]) as ScenarioRequest, send).then(
    (results) => {
      send({ type: 'result', results });
      process.exit(0);
    },
    (error: unknown) => {
      send({
        type: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      process.exit(1);
    },
  );
}
