import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readConsumeConfig } from '../../../functions/consume/config';
import { createConsumeHandler } from '../../../functions/consume/consume';
import { DeadLetterHeader } from '../../../functions/consume/dead-letters';
import { createConsumeDependencies } from '../../../functions/consume/dependencies';
import { type RunningBroker, silentLogger, startBroker } from '../../../local/broker';
import {
  createFreshTopic,
  freshTopicName,
  readTopic,
  startTestKafka,
  type TestKafka,
  topicKnownEverywhere,
} from '../../helpers/kafka';
import { anomalyBatch } from '../../helpers/msk-events';
import {
  itemsOfKind,
  lambdaContext,
  mskEvent,
  mskRecord,
  partitionName,
  sampleRecord,
  startTestLedger,
  type TestLedger,
  topic,
} from './support';

const anomalies = anomalyBatch();
const SOURCE_SESSION = '0b6c1e52-8d4f-4b7a-9a57-3f1f4f0a9e11';

/** The consume function wired from its environment, exactly as at a Lambda cold start. */
function coldStart(kafka: Pick<TestKafka, 'brokers'>, ledger: TestLedger, deadLetterTopic: string) {
  const dependencies = createConsumeDependencies(
    readConsumeConfig({
      LEDGER_TABLE: ledger.tableName,
      DEAD_LETTER_TOPIC: deadLetterTopic,
      KAFKA_BROKERS: kafka.brokers.join(','),
      DYNAMODB_ENDPOINT: ledger.store.endpoint,
    }),
    { publishTimeoutMs: 3_000 },
  );
  const handler = createConsumeHandler(dependencies);
  return {
    consume: (event: unknown) => handler(event, lambdaContext()),
    close: () => dependencies.producer.close(),
  };
}

describe('dead letters on a real Kafka topic', () => {
  let kafka: TestKafka;
  let ledger: TestLedger;
  beforeAll(async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT'); // the failure case logs an expected error
    kafka = await startTestKafka();
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await kafka.close();
  });

  it('publishes each anomaly once with the source key, value, headers and coordinates', async () => {
    ledger = await startTestLedger();
    const deadLetterTopic = await createFreshTopic(kafka.brokers, { prefix: 'dead-letters', partitions: 2 });
    const fn = coldStart(kafka, ledger, deadLetterTopic);
    try {
      expect(await fn.consume(anomalies)).toEqual({ batchItemFailures: [] });
      expect(await fn.consume(anomalies)).toEqual({ batchItemFailures: [] }); // redelivered: nothing new

      const letters = (await readTopic(kafka.brokers, deadLetterTopic)).sort(
        (a, b) =>
          Number(a.headers[DeadLetterHeader.sourceOffset]) - Number(b.headers[DeadLetterHeader.sourceOffset]),
      );
      expect(
        letters.map((l) => [l.headers[DeadLetterHeader.sourceOffset], l.headers[DeadLetterHeader.reason]]),
      ).toEqual([
        ['41', 'DUPLICATE'],
        ['42', 'GAP'],
        ['43', 'OUT_OF_ORDER'],
        ['44', 'MALFORMED'],
        ['45', 'INVALID'],
      ]);
      const source = anomalies.records[partitionName(0)]?.find((record) => record.offset === 44);
      const malformed = letters[3];
      expect(malformed?.key).toBe(Buffer.from(source?.key ?? '', 'base64').toString());
      expect(malformed?.value).toBe(Buffer.from(source?.value ?? '', 'base64').toString());
      expect(malformed?.headers).toMatchObject({
        [DeadLetterHeader.sourceTopic]: topic,
        [DeadLetterHeader.sourcePartition]: '0',
        [DeadLetterHeader.id]: `${partitionName(0)}@44/MALFORMED`,
        [DeadLetterHeader.sourceProducerSession]: SOURCE_SESSION,
        [DeadLetterHeader.sourcePartitionSequence]: '6',
        'event-id': 'pay-4005',
      });
      expect(malformed?.headers[DeadLetterHeader.detail]).toMatch(
        new RegExp(`${partitionName(0)}@44: the value is not UTF-8 JSON`),
      );
    } finally {
      await fn.close();
      await ledger.close();
    }
  });

  it('dead-letters a record larger than the topic takes as its coordinates, size and a clipped preview', async () => {
    ledger = await startTestLedger();
    const deadLetterTopic = await createFreshTopic(kafka.brokers, { prefix: 'dead-letters' });
    const fn = coldStart(kafka, ledger, deadLetterTopic);
    const size = 3 * 1024 * 1024; // over Kafka's and MSK's 1 MB message.max.bytes
    try {
      const huge = mskRecord({ offset: 7, key: 'acct-9', value: `{${'"x":1,'.repeat(size / 6)}` });
      expect(await fn.consume(mskEvent([huge]))).toEqual({ batchItemFailures: [] });

      const [letter, ...others] = await readTopic(kafka.brokers, deadLetterTopic);
      expect(others).toEqual([]);
      expect(letter?.headers).toMatchObject({
        [DeadLetterHeader.id]: `${partitionName(0)}@7/MALFORMED`,
        [DeadLetterHeader.sourceOffset]: '7',
        [DeadLetterHeader.sourceValueBytes]: String(Buffer.from(huge.value, 'base64').length),
      });
      expect(Buffer.byteLength(letter?.value ?? '')).toBeLessThanOrEqual(1024);
      expect(letter?.value).toMatch(/clipped/);
      expect(itemsOfKind(await ledger.dump(), 'dead-letter').map((item) => item.reason)).toEqual([
        'MALFORMED',
      ]);
    } finally {
      await fn.close();
      await ledger.close();
    }
  });

  it('reports the first anomaly of a partition as failed while the topic is missing, then recovers exactly once', async () => {
    ledger = await startTestLedger();
    const deadLetterTopic = freshTopicName('dead-letters'); // not created yet; auto-creation is off
    const fn = coldStart(kafka, ledger, deadLetterTopic);
    try {
      const failed = await fn.consume(anomalies);
      expect(failed).toEqual({
        batchItemFailures: [{ itemIdentifier: { partition: partitionName(0), offset: 41 } }],
      });
      // The ledger step committed first; its letters wait, recorded as pending, for the redelivery.
      expect(itemsOfKind(await ledger.dump(), 'applied').map((item) => item.offset)).toEqual([40, 42, 46]);

      const admin = new Kafka({ brokers: [...kafka.brokers], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic: deadLetterTopic, numPartitions: 1 }],
        waitForLeaders: false,
      });
      await admin.disconnect();
      await topicKnownEverywhere(kafka.brokers, deadLetterTopic);

      const retry = {
        ...anomalies,
        records: {
          [partitionName(0)]: anomalies.records[partitionName(0)]?.filter((r) => r.offset >= 41) ?? [],
        },
      };
      expect(await fn.consume(retry)).toEqual({ batchItemFailures: [] });
      expect(await fn.consume(anomalies)).toEqual({ batchItemFailures: [] });

      const ids = (await readTopic(kafka.brokers, deadLetterTopic)).map(
        (l) => l.headers[DeadLetterHeader.id],
      );
      expect(ids).toEqual([
        `${partitionName(0)}@41/DUPLICATE`,
        `${partitionName(0)}@42/GAP`,
        `${partitionName(0)}@43/OUT_OF_ORDER`,
        `${partitionName(0)}@44/MALFORMED`,
        `${partitionName(0)}@45/INVALID`,
      ]);
      const items = await ledger.dump();
      expect(itemsOfKind(items, 'applied').map((item) => item.offset)).toEqual([40, 42, 46]);
      expect(itemsOfKind(items, 'dead-letter')).toHaveLength(5);
    } finally {
      await fn.close();
      await ledger.close();
    }
  });

  it('reports the first anomaly as failed while the broker is down, then recovers with a new producer session', async () => {
    // Its own broker, stopped and started again on the same port (the dead-letter producer keeps its address)
    // and with the same data, as a broker restarts: an empty one would hand out producer ids again, and the
    // retired session's producer, still retrying in the background, would then share its id with the new one.
    const dataDir = await mkdtemp(join(tmpdir(), 'dead-letter-broker-'));
    const own = await startBroker({ logger: silentLogger, dataDir });
    const port = own.port;
    const deadLetterTopic = await createFreshTopic([own.bootstrap], { prefix: 'dead-letters' });
    ledger = await startTestLedger();
    const fn = coldStart({ brokers: [own.bootstrap] }, ledger, deadLetterTopic);
    let restarted: RunningBroker | undefined;
    try {
      // A first dead letter opens the warm producer session before the broker goes away.
      const first = mskEvent([
        sampleRecord({ eventId: 'warm-1', session: 'warm', sequence: 0, offset: 0, partition: 1 }),
        mskRecord({ partition: 1, offset: 1, value: 'not json', headers: { 'event-id': 'warm-2' } }),
      ]);
      expect(await fn.consume(first)).toEqual({ batchItemFailures: [] });
      await own.close();

      const failed = await fn.consume(anomalies);
      expect(failed).toEqual({
        batchItemFailures: [{ itemIdentifier: { partition: partitionName(0), offset: 41 } }],
      });

      restarted = await startBroker({ logger: silentLogger, port, dataDir });
      const retry = {
        ...anomalies,
        records: {
          [partitionName(0)]: anomalies.records[partitionName(0)]?.filter((r) => r.offset >= 41) ?? [],
        },
      };
      expect(await fn.consume(retry)).toEqual({ batchItemFailures: [] });

      const letters = await readTopic([restarted.bootstrap], deadLetterTopic);
      // The warm-up letter from before the restart, then the five the retry published.
      expect(letters.map((l) => l.headers[DeadLetterHeader.id])).toEqual([
        `${partitionName(1)}@1/MALFORMED`,
        `${partitionName(0)}@41/DUPLICATE`,
        `${partitionName(0)}@42/GAP`,
        `${partitionName(0)}@43/OUT_OF_ORDER`,
        `${partitionName(0)}@44/MALFORMED`,
        `${partitionName(0)}@45/INVALID`,
      ]);
      const applied = itemsOfKind(await ledger.dump(), 'applied').filter((item) => item.partition === 0);
      expect(applied.map((item) => item.offset)).toEqual([40, 42, 46]);
    } finally {
      await fn.close();
      await ledger.close();
      await restarted?.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
