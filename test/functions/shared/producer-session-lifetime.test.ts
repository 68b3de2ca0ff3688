import { Logger } from '@aws-lambda-powertools/logger';
import type { Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PublishError, TopicNotFoundError } from '../../../functions/shared/errors';
import { createKafka } from '../../../functions/shared/kafka-client';
import { readKafkaSettings } from '../../../functions/shared/kafka-settings';
import {
  type OutgoingRecord,
  ProducerSession,
  WarmProducer,
} from '../../../functions/shared/producer-session';
import { startTcpRelay } from '../../../local/chaos/relay';
import {
  createFreshTopic,
  freshTopicName,
  startBrokerBehind,
  startLocalKafka,
  type TestKafka,
  topicEndOffsets,
  waitUntil,
} from '../../helpers/kafka';

/**
 * How long a producer session lives: it retires on its first failure and keeps that failure as its reason,
 * a send the broker acknowledged after the retirement still fails, and a warm producer replaces a session
 * idle for longer than maxIdleMs, counting from the end of the last publish.
 */
const quiet = new Logger({ serviceName: 'producer-session-lifetime-test', logLevel: 'SILENT' });

function record(eventId: string): OutgoingRecord {
  return { eventId, key: 'acct-1', value: JSON.stringify({ eventId }) };
}

/** The client as it is, noting each connect and disconnect of the producers and admins it makes. */
function watched(kafka: Kafka): { kafka: Kafka; events: string[] } {
  const events: string[] = [];
  const client = new Proxy(kafka, {
    get(target, property, receiver) {
      if (property === 'producer') {
        return (config: Parameters<Kafka['producer']>[0]) => {
          const producer = target.producer(config);
          producer.on(producer.events.CONNECT, () => events.push('producer connected'));
          producer.on(producer.events.DISCONNECT, () => events.push('producer disconnected'));
          return producer;
        };
      }
      if (property === 'admin') {
        return (config: Parameters<Kafka['admin']>[0]) => {
          const admin = target.admin(config);
          admin.on(admin.events.CONNECT, () => events.push('admin connected'));
          admin.on(admin.events.DISCONNECT, () => events.push('admin disconnected'));
          return admin;
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  return { kafka: client, events };
}

const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((item) => item.close()));
});

describe('producer session lifetime', () => {
  let kafka: TestKafka;
  const connect = () => {
    const settings = readKafkaSettings({ KAFKA_BROKERS: kafka.brokers.join(',') });
    return createKafka(settings, 'producer-session-lifetime-test', { logger: quiet });
  };
  async function openSession(options: { prefetchTopics?: string[] } = {}): Promise<ProducerSession> {
    const session = await ProducerSession.open(await connect(), options);
    closing.push(session);
    return session;
  }
  beforeAll(async () => {
    kafka = await startLocalKafka();
  });
  afterAll(() => kafka.close());

  it('fails a publish the broker acknowledged after its session retired, saying it may have been sent', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    const session = await openSession();

    // The publish is under way (past the retirement check) when the session retires.
    const publishing = session.publish(topic, [record('evt-1')]);
    session.retire(new Error('retired while sending'));
    const error = await publishing.catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).sent).toBe(true);
    expect(((error as PublishError).cause as Error).message).toBe(
      `acknowledged after producer session ${session.id} retired`,
    );
    // It was in fact stored: the caller's retry with the same event id is what settles it.
    expect(await topicEndOffsets(kafka.brokers, topic)).toEqual(new Map([[0, 1n]]));
  });

  it('reports the failure that first retired a session, not a later one', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    const session = await openSession();
    const first = new TypeError('first failure');

    session.retire(first);
    session.retire(new RangeError('second failure'));
    const error = await session.publish(topic, [record('evt-1')]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).message).toBe(`producer session ${session.id} is retired (TypeError)`);
    expect((error as PublishError).cause).toBe(first);
    expect(await topicEndOffsets(kafka.brokers, topic)).toEqual(new Map([[0, 0n]]));
  });

  it('opens although a prefetched topic does not exist, and refuses a publish to it as a missing topic', async () => {
    const absent = freshTopicName('absent');
    const session = await openSession({ prefetchTopics: [absent] });

    expect(session.usable).toBe(true);
    await expect(session.publish(absent, [record('evt-1')])).rejects.toBeInstanceOf(TopicNotFoundError);
    expect(session.usable).toBe(true);
  });

  it('closes its session when the warm producer closes, and opens a new one for the next publish', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    const producer = new WarmProducer(connect);
    closing.push(producer);
    await producer.publish(topic, [record('evt-1')]);
    const first = await producer.sessionId();

    await producer.close();
    expect(await producer.sessionId()).toBeUndefined();
    await producer.publish(topic, [record('evt-2')]);

    expect(await producer.sessionId()).not.toBe(first);
    expect(await topicEndOffsets(kafka.brokers, topic)).toEqual(new Map([[0, 2n]]));
  });

  it('keeps the newer session when a connect started before it fails', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    // The first connect hangs until the test fails it; later ones connect to the broker.
    let failFirst: (error: Error) => void = () => undefined;
    let calls = 0;
    const producer = new WarmProducer(() => {
      calls += 1;
      if (calls > 1) return connect();
      return new Promise((_, reject) => {
        failFirst = reject;
      });
    });
    closing.push(producer);

    const stale = producer.publish(topic, [record('evt-stale')]).catch((e: unknown) => e);
    const closed = producer.close(); // gives up the connecting session
    await producer.publish(topic, [record('evt-1')]);
    const newer = await producer.sessionId();
    failFirst(new Error('connection refused'));

    expect(await stale).toBeInstanceOf(PublishError);
    await closed;
    expect(newer).toBeDefined();
    expect(await producer.sessionId()).toBe(newer);
  });

  it('closes the admin connection each partition lookup opens', async () => {
    const topic = await createFreshTopic(kafka.brokers);
    const { kafka: client, events } = watched(await connect());
    const session = await ProducerSession.open(client);
    closing.push(session);

    await session.publish(topic, [record('evt-1')]);

    expect(events.filter((event) => event.startsWith('admin'))).toEqual([
      'admin connected',
      'admin disconnected',
    ]);
  });

  it('disconnects a producer whose connect finished after opening the session gave up', async () => {
    // A broker whose answers the test holds back until opening the session has given up.
    let held = true;
    const waiting: (() => void)[] = [];
    const slow = await startBrokerBehind((target) =>
      startTcpRelay({
        target,
        flow: (connection) => ({
          fromBroker(chunk) {
            if (held) waiting.push(() => connection.toClient(chunk));
            else connection.toClient(chunk);
          },
        }),
      }),
    );
    closing.push(slow);
    const settings = readKafkaSettings({ KAFKA_BROKERS: slow.brokers.join(',') });
    const { kafka: client, events } = watched(
      await createKafka(settings, 'producer-session-lifetime-test', { logger: quiet }),
    );

    const error = await ProducerSession.open(client, { publishTimeoutMs: 200 }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('no connecting a producer within 200 ms');
    held = false;
    for (const answer of waiting.splice(0)) answer();

    await waitUntil('the late producer to be disconnected', () => events.includes('producer disconnected'));
    expect(events).toEqual(['producer connected', 'producer disconnected']);
  });

  describe('warm producer idle limit', () => {
    const MAX_IDLE_MS = 60_000;
    async function idleSetUp() {
      const topic = await createFreshTopic(kafka.brokers);
      const clock = { now: 1_000_000 };
      const retired: string[] = [];
      const producer = new WarmProducer(connect, {
        maxIdleMs: MAX_IDLE_MS,
        now: () => clock.now,
        onRetired: ({ reason }) => retired.push(reason),
      });
      closing.push(producer);
      await producer.publish(topic, [record('evt-first')]);
      return { topic, clock, retired, producer, firstSession: await producer.sessionId() };
    }

    it('keeps a session idle for exactly maxIdleMs and replaces one idle a millisecond longer', async () => {
      const { topic, clock, retired, producer, firstSession } = await idleSetUp();

      clock.now += MAX_IDLE_MS;
      await producer.publish(topic, [record('evt-at-limit')]);
      expect(retired).toEqual([]);
      expect(await producer.sessionId()).toBe(firstSession);

      clock.now += MAX_IDLE_MS + 1;
      await producer.publish(topic, [record('evt-past-limit')]);
      expect(retired).toEqual(['IDLE']);
      expect(await producer.sessionId()).not.toBe(firstSession);
    });

    it('counts idle time from the end of the last publish, not its start', async () => {
      const { topic, clock, retired, producer, firstSession } = await idleSetUp();

      // A publish that takes longer than the idle limit (the clock moves while it is under way).
      const publishing = producer.publish(topic, [record('evt-slow')]);
      clock.now += 2 * MAX_IDLE_MS;
      await publishing;
      await producer.publish(topic, [record('evt-next')]);

      expect(retired).toEqual([]);
      expect(await producer.sessionId()).toBe(firstSession);
    });
  });
});
