import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerLogger, type RunningBroker, startBroker } from '../../../../local/broker';
import { ApiKey, EXTENDED_APIS } from '../../../../local/broker/protocol/api-keys';
import { encodeRequestHeader } from '../../../../local/broker/protocol/header';
import { Writer } from '../../../../local/broker/protocol/writer';
import { kafkajsApi } from '../protocol/kafkajs-codec';
import { RawClient } from './raw-client';

/**
 * Random request bodies for every API and version served: whatever arrives, the broker answers,
 * waits (a long poll or a join may legitimately wait), or closes that connection; it never fails a
 * request handler or stops serving a healthy connection.
 */
describe('broker under random requests', () => {
  let broker: RunningBroker;
  const failures: string[] = [];
  const logger: BrokerLogger = {
    info: () => {},
    warn: () => {},
    error: (message, details) => void failures.push(`${message} ${JSON.stringify(details)}`),
  };

  beforeAll(async () => {
    broker = await startBroker({ logger, flexibleVersions: true, autoCreateTopics: true });
  });

  afterAll(async () => {
    await broker?.close();
  });

  it('never fails a handler and keeps serving', async () => {
    const healthy = await RawClient.connect(broker.port);
    const targets = EXTENDED_APIS.flatMap((api) =>
      Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => ({
        apiKey: api.apiKey,
        version: api.minVersion + i,
      })),
    );
    const fuzzed: RawClient[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        fc.uint8Array({ maxLength: 300 }),
        async ({ apiKey, version }, body) => {
          const client = await RawClient.connect(broker.port);
          fuzzed.push(client);
          const writer = new Writer(false, true);
          encodeRequestHeader(writer, { apiKey, apiVersion: version, correlationId: 1, clientId: 'fuzz' });
          writer.raw(body);
          client.sendBytes(writer.finish());
          healthy.send(ApiKey.ApiVersions, 0);
          const answer = await healthy.next();
          expect(answer.body.int16()).toBe(0);
          expect(failures).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
    for (const client of fuzzed) client.close();
    healthy.send(ApiKey.ApiVersions, 0);
    expect((await healthy.next()).body.int16()).toBe(0);
    expect(failures).toEqual([]);
    healthy.close();
  });

  it('never fails a handler on valid requests with corrupted bytes', async () => {
    const valid = await Promise.all([
      kafkajsBody('produce', 7, ApiKey.Produce, {
        acks: -1,
        timeout: 1000,
        topicData: [{ topic: 'fuzz', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] }],
      }),
      kafkajsBody('fetch', 11, ApiKey.Fetch, {
        maxWaitTime: 0,
        minBytes: 0,
        maxBytes: 1000,
        topics: [{ topic: 'fuzz', partitions: [{ partition: 0, fetchOffset: '0', maxBytes: 1000 }] }],
      }),
      kafkajsBody('metadata', 6, ApiKey.Metadata, { topics: ['fuzz'], allowAutoTopicCreation: true }),
      kafkajsBody('createTopics', 3, ApiKey.CreateTopics, {
        topics: [{ topic: 'fuzz-new', numPartitions: 2 }],
      }),
      kafkajsBody('offsetCommit', 5, ApiKey.OffsetCommit, {
        groupId: 'g',
        groupGenerationId: -1,
        memberId: '',
        topics: [{ topic: 'fuzz', partitions: [{ partition: 0, offset: '1' }] }],
      }),
      kafkajsBody('listOffsets', 3, ApiKey.ListOffsets, {
        topics: [{ topic: 'fuzz', partitions: [{ partition: 0, timestamp: -1 }] }],
      }),
    ]);
    const healthy = await RawClient.connect(broker.port);
    const fuzzed: RawClient[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        async (request, flips) => {
          const body = Buffer.from(request.body);
          for (const [at, mask] of flips)
            body.writeUInt8((body.readUInt8(at % body.length) ^ mask) & 0xff, at % body.length);
          const client = await RawClient.connect(broker.port);
          fuzzed.push(client);
          client.send(request.apiKey, request.version, (w) => w.raw(body));
          healthy.send(ApiKey.ApiVersions, 0);
          expect((await healthy.next()).body.int16()).toBe(0);
          expect(failures).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
    for (const client of fuzzed) client.close();
    healthy.send(ApiKey.ApiVersions, 0);
    expect((await healthy.next()).body.int16()).toBe(0);
    expect(failures).toEqual([]);
    healthy.close();
  });
});

async function kafkajsBody(api: string, version: number, apiKey: number, args: object) {
  const { request } = kafkajsApi(api, version, args);
  return { apiKey, version, body: (await request.encode()).buffer };
}
