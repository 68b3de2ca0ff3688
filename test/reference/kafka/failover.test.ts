/**
 * The pipeline on 3 Apache Kafka brokers (MSK's settings: replication 3, min.insync.replicas 2) while brokers
 * fail: the leader of the busiest partition killed with -9 and restarted under a steady keyed stream; one
 * broker of three stopped, then two (below min.insync.replicas), then both started again. The control run
 * without idempotence is reported, not asserted. Every test starts with all three nodes running, so each
 * passes alone and in any order.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestHandler } from '../../../functions/ingest/ingest-handler';
import { readIngestSettings } from '../../../functions/ingest/settings';
import { createLedgerClient } from '../../../functions/ledger/client';
import { createKafka } from '../../../functions/shared/kafka-client';
import { WarmProducer } from '../../../functions/shared/producer-session';
import { withoutIdempotence } from '../../../local/demo/seams';
import { type LocalPipeline, startLocalPipeline, tallyLedger } from '../../../local/pipeline';
import {
  type ReferenceCluster,
  type ReferenceNode,
  startReferenceCluster,
} from '../../../reference/kafka/cluster';
import { httpApiEvent, lambdaContext } from '../../helpers/api-gateway';
import {
  createFreshTopic,
  freshTopicName,
  fullyReplicated,
  leaderAddress,
  partitionStates,
  readTopic,
  type StoredRecord,
  topicEndOffsets,
  waitUntil,
} from '../../helpers/kafka';

let cluster: ReferenceCluster;
let pipeline: LocalPipeline;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  cluster = await startReferenceCluster({ nodes: 3 });
  pipeline = await pipelineOnCluster();
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await cluster?.close();
});

/**
 * The pipeline on the cluster with a fresh topic. One per process: its handlers read their settings once,
 * at cold start, as in Lambda.
 */
async function pipelineOnCluster(): Promise<LocalPipeline> {
  const dataDir = await mkdtemp(join(tmpdir(), 'failover-'));
  const topic = freshTopicName('payments');
  const started = await startLocalPipeline({
    dataDir,
    httpPort: 0,
    ledgerPort: 0,
    batchingWindowMs: 100,
    kafkaBrokers: cluster.brokers,
    topic,
    deadLetterTopic: `${topic}-dead-letter`,
    partitions: 3,
    log: () => undefined,
  });
  cleanups.push(async () => {
    await started.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return started;
}

/** The ingest function of functions/ingest/handler.ts with a producer that runs without idempotence. */
function ingestWithoutIdempotence(topic: string) {
  const settings = readIngestSettings({ KAFKA_BROKERS: cluster.brokers.join(','), EVENTS_TOPIC: topic });
  const publisher = new WarmProducer(
    async () => withoutIdempotence(await createKafka(settings.kafka, 'payments-ingest')),
    { publishTimeoutMs: settings.publishTimeoutMs },
  );
  cleanups.push(() => publisher.close());
  return createIngestHandler({ settings, publisher });
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  /** The body of an answer other than 201, for the failure message of a test that times out. */
  readonly detail?: string;
}

/** Every answer a stream got, with when its request started. */
interface Answered extends Answer {
  readonly eventId: string;
  readonly accountId: string;
  readonly startedAt: number;
}

type Publish = (eventId: string, accountId: string) => Promise<Answer>;

const paymentOf = (accountId: string) => ({
  accountId,
  type: 'capture',
  amount: 100,
  currency: 'EUR',
  occurredAt: '2026-11-29T10:00:00Z',
});

/** POST /payments on the pipeline's HTTP API. */
const overHttp: Publish = async (eventId, accountId) => {
  const response = await fetch(`${pipeline.httpUrl}/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': eventId },
    body: JSON.stringify(paymentOf(accountId)),
    signal: AbortSignal.timeout(60_000),
  });
  const body = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    ...(response.status === 201 ? {} : { detail: body }),
  };
};

/** The same request straight into an ingest function. */
function direct(handler: ReturnType<typeof createIngestHandler>): Publish {
  return async (eventId, accountId) => {
    const event = httpApiEvent({
      headers: { 'content-type': 'application/json', 'idempotency-key': eventId },
      body: paymentOf(accountId),
    });
    const result = (await handler(event, lambdaContext('ingest'))) as APIGatewayProxyStructuredResultV2;
    const headers = (result.headers ?? {}) as Record<string, string>;
    const status = result.statusCode ?? 0;
    return {
      status,
      retryAfter: headers['retry-after'] ?? headers['Retry-After'] ?? null,
      ...(status === 201 ? {} : { detail: String(result.body) }),
    };
  };
}

/**
 * Clients, one per account, each sending its account's events one after another (so per account the send
 * order is the order Kafka must keep). A 503 is not retried: that event is in doubt, and the next one follows.
 */
function steadyStream(publish: Publish, label: string, topic: string, accounts = 6) {
  const answers: Answered[] = [];
  let running = true;
  const clients = Array.from({ length: accounts }, async (_, account) => {
    const accountId = `acct-${label}-${account}`;
    for (let sequence = 0; running; sequence++) {
      const eventId = `${accountId}-${sequence}`;
      const startedAt = Date.now();
      const answer = await publish(eventId, accountId).catch(
        (error: unknown): Answer => ({ status: 0, retryAfter: null, detail: String(error) }),
      );
      answers.push({ ...answer, eventId, accountId, startedAt });
    }
  });
  const acknowledged = () => answers.filter((answer) => answer.status === 201);
  /** How the answers went so far, for a failure message: counts by status and the last refusal. */
  const summary = () => {
    const byStatus = new Map<number, number>();
    for (const { status } of answers) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    const refused = answers.findLast((answer) => answer.status !== 201);
    return `answers by status ${JSON.stringify(Object.fromEntries(byStatus))}; last refusal: ${refused ? `${refused.status} ${refused.detail}` : 'none'}`;
  };
  return {
    answers,
    acknowledged,
    /** Waits until `more` further events were acknowledged; a timeout names what the stream saw and the logs. */
    grows: async (more: number, what: string) => {
      const target = acknowledged().length + more;
      await waitUntil(what, () => acknowledged().length >= target, 120_000).catch(async (error: unknown) => {
        const partitions = await partitionStates(cluster.brokers, topic);
        throw new Error(`${String(error)}; ${summary()}; ${partitions}\n${await nodeLogTails()}`);
      });
    },
    /** Waits until `count` requests started at or after `since` were answered, and returns those answers. */
    answeredSince: async (since: number, count: number, what: string) => {
      const later = () => answers.filter((answer) => answer.startedAt >= since);
      await waitUntil(what, () => later().length >= count, 120_000);
      return later();
    },
    stop: async () => {
      running = false;
      await Promise.all(clients);
    },
  };
}

type Stream = ReturnType<typeof steadyStream>;

/** The end of each node's log: what Kafka said when a wait on the cluster timed out. */
async function nodeLogTails(): Promise<string> {
  const tails = await Promise.all(
    cluster.nodes.map(async (node) => {
      const log = await readFile(node.logFile, 'utf8').catch(() => '');
      return `--- node ${node.nodeId} (${node.pid() === undefined ? 'stopped' : 'running'}): ${log.slice(-3_000)}`;
    }),
  );
  return tails.join('\n');
}

/** Starts every node a test left stopped and waits until Metadata lists all three. */
async function allNodesRunning(): Promise<void> {
  for (const node of cluster.nodes) if (node.pid() === undefined) node.start();
  await cluster.waitForBrokers(3);
}

/** The node leading the partition that holds the most records. */
async function leaderOfBusiestPartition(topic: string): Promise<ReferenceNode> {
  const ends = await topicEndOffsets(cluster.brokers, topic);
  const [busiest] = [...ends].sort((a, b) => Number(b[1] - a[1]));
  if (!busiest) throw new Error(`topic ${topic} has no partitions`);
  const leader = await leaderAddress(cluster.brokers, topic, busiest[0]);
  const node = cluster.nodes.find((candidate) => leader.endsWith(`:${candidate.port}`));
  if (!node) throw new Error(`the leader ${leader} is not a node of this cluster`);
  return node;
}

/** Kills the leader of the busiest partition with -9 mid-stream, waits for publishing to go on, restarts it. */
async function killAndRestartLeader(topic: string, stream: Stream) {
  await stream.grows(100, 'the stream to get going');
  await fullyReplicated(cluster.brokers, topic);
  const leader = await leaderOfBusiestPartition(topic);
  await leader.kill();
  await stream.grows(100, 'publishing to go on after the leader was killed');
  await allNodesRunning();
  await stream.grows(100, 'publishing to go on after the old leader returned');
}

/** Waits until the event source has committed the whole topic. */
async function drained(): Promise<void> {
  await waitUntil(
    'the consumer to catch up',
    async () => (await pipeline.status()).consumerLag === 0,
    180_000,
  );
}

function copiesById(records: readonly StoredRecord[]): Map<string, StoredRecord[]> {
  const byId = new Map<string, StoredRecord[]>();
  for (const record of records) {
    const eventId = record.headers['event-id'] ?? '';
    byId.set(eventId, [...(byId.get(eventId) ?? []), record]);
  }
  return byId;
}

/**
 * Nothing the stream had acknowledged is lost, and the consumer applied it once: every acknowledged event is in
 * the topic, its first copies in send order per account, and in the ledger; every event in the topic is
 * applied once, and every further copy Kafka holds was dead-lettered as a copy, never applied again.
 * `oncePerEvent` also requires each acknowledged event to be stored exactly once.
 */
async function expectAcknowledgedEventsAppliedOnce(
  stream: Stream,
  { oncePerEvent }: { oncePerEvent: boolean },
) {
  const acknowledged = stream.acknowledged();
  const records = await readTopic(cluster.brokers, pipeline.names.topic);
  const byId = copiesById(records);
  for (const { eventId } of acknowledged) {
    const copies = (byId.get(eventId) ?? []).map(({ partition, offset, headers, producerId }) => ({
      partition,
      offset,
      producerId,
      ...headers,
    }));
    if (oncePerEvent) expect(copies, JSON.stringify(copies)).toHaveLength(1);
    else expect(copies.length, eventId).toBeGreaterThanOrEqual(1);
  }
  const accounts = new Set(acknowledged.map(({ accountId }) => accountId));
  for (const accountId of accounts) {
    const offsets = acknowledged
      .filter((event) => event.accountId === accountId)
      .map(({ eventId }) => BigInt(byId.get(eventId)?.[0]?.offset ?? -1));
    expect(offsets, accountId).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  const ledger = createLedgerClient({ endpoint: pipeline.ledgerEndpoint, region: 'us-east-1' });
  const tally = await tallyLedger(ledger, pipeline.names.ledgerTable).finally(() => ledger.destroy());
  for (const { eventId } of acknowledged) expect(tally.appliedEventIds.has(eventId), eventId).toBe(true);
  expect(tally.applied).toBe(byId.size);
  const storedCopies = records.length - byId.size;
  expect(tally.deadLetteredCopies).toBe(storedCopies);
  return { records, tally, storedCopies };
}

describe('the pipeline on 3 Apache Kafka brokers', () => {
  it('keeps every acknowledged event exactly once and in order per key when the busiest leader is killed', async () => {
    // Prepare
    await allNodesRunning();
    const stream = steadyStream(overHttp, 'failover', pipeline.names.topic);

    // Act
    await killAndRestartLeader(pipeline.names.topic, stream).finally(stream.stop);
    await drained();

    // Assess
    const { records, tally } = await expectAcknowledgedEventsAppliedOnce(stream, { oncePerEvent: true });
    console.log(
      `failover (idempotence on): ${stream.acknowledged().length} acknowledged, ${stream.answers.length - stream.acknowledged().length} not, ` +
        `${records.length} records in the topic, ${tally.applied} applied, ${tally.deadLettered} dead-lettered`,
    );
  });

  it('reports what the topic holds when the same failover hits a producer without idempotence (control)', async () => {
    // Prepare
    await allNodesRunning();
    const topic = await createFreshTopic(cluster.brokers, { partitions: 3, prefix: 'control' });
    const stream = steadyStream(direct(ingestWithoutIdempotence(topic)), 'control', topic);

    // Act
    await killAndRestartLeader(topic, stream).finally(stream.stop);

    // Assess: reported, not asserted (duplicates depend on whether a retried batch had been written).
    const records = await readTopic(cluster.brokers, topic);
    const byId = copiesById(records);
    const copies = [...byId.values()].filter((stored) => stored.length > 1).length;
    console.log(
      `failover (idempotence off, control): ${stream.acknowledged().length} acknowledged, ` +
        `${stream.answers.length - stream.acknowledged().length} not, ${records.length} records in the topic for ${byId.size} events, ${copies} events stored more than once`,
    );
    for (const { eventId } of stream.acknowledged()) expect(byId.has(eventId), eventId).toBe(true);
  });

  it('goes on with one broker of three stopped, answers 503 with Retry-After below min.insync.replicas, and recovers by itself', async () => {
    // Prepare
    await allNodesRunning();
    const stream = steadyStream(overHttp, 'quorum', pipeline.names.topic);
    const [first, second] = cluster.nodes;
    if (!first || !second) throw new Error('the cluster has fewer than 2 nodes');
    let belowMinInSync: Answered[] = [];

    // Act: one broker stopped, then a second (one replica left of min.insync.replicas=2), then both back.
    await (async () => {
      await stream.grows(100, 'the stream to get going');
      await fullyReplicated(cluster.brokers, pipeline.names.topic);
      await first.stop();
      await stream.grows(100, 'publishing to go on with one broker of three stopped');
      await second.stop();
      belowMinInSync = await stream.answeredSince(
        Date.now(),
        12,
        'answers with two brokers of three stopped',
      );
      await allNodesRunning();
      await stream.grows(100, 'publishing to recover once both brokers returned');
    })().finally(stream.stop);
    await drained();

    // Assess: below min.insync.replicas nothing is acknowledged and every client is told to retry later…
    expect(
      belowMinInSync.map(({ status, retryAfter }) => ({ status, retryAfter: retryAfter !== null })),
      JSON.stringify(belowMinInSync.map(({ status, detail }) => ({ status, detail }))),
    ).toEqual(belowMinInSync.map(() => ({ status: 503, retryAfter: true })));
    // …and nothing acknowledged before, during or after is lost: each is in the topic, in order, applied once.
    // Not asserted here: stored once. Apache Kafka 3.8.1 has stored an acknowledged batch of this idempotent
    // producer twice (same producer id and sequences, at two offsets) while its brokers came back; the
    // consumer then dead-letters the second copy, which the count of copies below shows.
    const { tally, storedCopies } = await expectAcknowledgedEventsAppliedOnce(stream, {
      oncePerEvent: false,
    });
    console.log(
      `two of three brokers stopped: ${stream.acknowledged().length} acknowledged, ${belowMinInSync.length} answers ` +
        `below min.insync.replicas (all 503), ${tally.applied} applied, ${storedCopies} copies stored twice and ` +
        `dead-lettered as such (${tally.deadLettered} dead letters in all)`,
    );
  });
});
