import { afterEach, describe, expect, it } from 'vitest';
import { type BrokerLogger, type RunningBroker, startBroker } from '../../../../local/broker';
import { ApiKey, EXTENDED_APIS, SUPPORTED_APIS } from '../../../../local/broker/protocol/api-keys';
import { Codec } from '../../../../local/broker/protocol/compression';
import { encodeTransactionMarker } from '../../../../local/broker/protocol/control-record';
import { ErrorCode } from '../../../../local/broker/protocol/error-codes';
import type { Reader } from '../../../../local/broker/protocol/reader';
import { Reader as BodyReader } from '../../../../local/broker/protocol/reader';
import {
  decodeRecordBatch,
  encodeRecordBatch,
  splitRecordBatches,
} from '../../../../local/broker/protocol/record-batch';
import type { Writer } from '../../../../local/broker/protocol/writer';
import { waitUntil as waitFor } from '../../../helpers/kafka';
import { compressBatch, markCompressed } from '../protocol/compressed-batch';
import { RawClient } from './raw-client';

interface LogLine {
  level: string;
  message: string;
  details?: Record<string, unknown>;
}

function capturingLogger(lines: LogLine[]): BrokerLogger {
  return {
    info: (message, details) => void lines.push({ level: 'info', message, details }),
    warn: (message, details) => void lines.push({ level: 'warn', message, details }),
    error: (message, details) => void lines.push({ level: 'error', message, details }),
  };
}

const brokers: RunningBroker[] = [];
const clients: RawClient[] = [];

async function start(options: Parameters<typeof startBroker>[0] = {}) {
  const logs: LogLine[] = [];
  const broker = await startBroker({ logger: capturingLogger(logs), ...options });
  brokers.push(broker);
  const client = async () => {
    const c = await RawClient.connect(broker.port);
    clients.push(c);
    return c;
  };
  return { broker, logs, client };
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const b of brokers.splice(0)) await b.close();
});

const readApiVersions = (body: Reader) => ({
  errorCode: body.int16(),
  apis: body.array((r) => ({ apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() })),
});

function createTopicsBody(topics: { name: string; partitions: number; replication?: number }[]) {
  return (w: Writer) => {
    w.array(topics, (tw, t) => {
      tw.string(t.name)
        .int32(t.partitions)
        .int16(t.replication ?? 1);
      tw.array([], () => {});
      tw.array([], () => {});
    });
    w.int32(5000).boolean(false);
  };
}

const readCreateTopics = (body: Reader) => {
  body.int32();
  return body.array((r) => ({ name: r.string(), errorCode: r.int16(), errorMessage: r.nullableString() }));
};

function listOffsetsBody(asked: { topic: string; partition: number; timestamp: bigint }[]) {
  return (w: Writer) => {
    w.int32(-1).array(asked, (tw, a) =>
      tw.string(a.topic).array([a], (pw, p) => pw.int32(p.partition).int64(p.timestamp)),
    );
  };
}

/** ListOffsets v1 answers, one per partition asked, in order. */
const readListOffsets = (body: Reader) =>
  body
    .array((r) => {
      r.string();
      return r.array((p) => ({
        partition: p.int32(),
        errorCode: p.int16(),
        timestamp: p.int64(),
        offset: p.int64(),
      }));
    })
    .flat();

function produceBody(topic: string, partition: number, records: Buffer | null, acks = -1) {
  return (w: Writer) => {
    w.nullableString(null).int16(acks).int32(5000);
    w.array([topic], (tw, name) => {
      tw.string(name);
      tw.array([partition], (pw, index) => pw.int32(index).nullableBytes(records));
    });
  };
}

/** Produce v7 response, one partition. */
const readProduce = (body: Reader) => {
  const [topic] = body.array((r) => ({
    name: r.string(),
    partitions: r.array((p) => ({
      index: p.int32(),
      errorCode: p.int16(),
      baseOffset: p.int64(),
      logAppendTime: p.int64(),
      logStartOffset: p.int64(),
    })),
  }));
  return topic?.partitions[0];
};

function fetchBody(
  topic: string,
  offset: bigint,
  maxWaitMs: number,
  minBytes = 1,
  limits = { maxBytes: 1_000_000, partitionMaxBytes: 1_000_000 },
) {
  return (w: Writer) => {
    w.int32(-1).int32(maxWaitMs).int32(minBytes).int32(limits.maxBytes).int8(0).int32(0).int32(-1);
    w.array([topic], (tw, name) => {
      tw.string(name);
      tw.array([0], (pw) => pw.int32(0).int32(-1).int64(offset).int64(-1n).int32(limits.partitionMaxBytes));
    });
    w.array([], () => {});
    w.string('');
  };
}

/** Fetch v11 response, one partition. */
const readFetch = (body: Reader) => {
  body.int32();
  const errorCode = body.int16();
  body.int32();
  const [topic] = body.array((r) => ({
    name: r.string(),
    partitions: r.array((p) => {
      const partition = {
        index: p.int32(),
        errorCode: p.int16(),
        highWatermark: p.int64(),
        lastStable: p.int64(),
        logStart: p.int64(),
      };
      p.nullableArray((a) => [a.int64(), a.int64()]);
      p.int32();
      return { ...partition, records: p.nullableBytes() };
    }),
  }));
  return { errorCode, partition: topic?.partitions[0] };
};

function batch(values: string[], producer?: { id: bigint; epoch: number; sequence: number }) {
  return encodeRecordBatch({
    records: values.map((value) => ({ key: Buffer.from('k'), value: Buffer.from(value) })),
    baseTimestamp: BigInt(Date.now()),
    producerId: producer?.id,
    producerEpoch: producer?.epoch,
    baseSequence: producer?.sequence,
  });
}

async function createTopic(c: RawClient, name: string, partitions = 1) {
  c.send(ApiKey.CreateTopics, 4, createTopicsBody([{ name, partitions }]));
  expect(readCreateTopics((await c.next()).body)[0]?.errorCode).toBe(0);
}

describe('broker server', () => {
  it('advertises the supported APIs and versions in ApiVersions v0-v2', async () => {
    const { client } = await start();
    const c = await client();
    for (const version of [0, 1, 2]) {
      const id = c.send(ApiKey.ApiVersions, version);
      const response = await c.next();
      expect(response.correlationId).toBe(id);
      const { errorCode, apis } = readApiVersions(response.body);
      expect(errorCode).toBe(0);
      expect(apis).toEqual(
        SUPPORTED_APIS.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })),
      );
      if (version >= 1) expect(response.body.int32()).toBe(0);
    }
  });

  it('answers ApiVersions v3 with a v0-shaped UNSUPPORTED_VERSION listing ApiVersions 0-2, and stays open', async () => {
    const { client } = await start();
    const c = await client();
    // A v3 request is flexible: header v2 (tagged fields after client id), then a flexible body.
    c.send(ApiKey.ApiVersions, 3, (w) => w.uvarint(1).uvarint(1).uvarint(0));
    const fallback = await c.next();
    const { errorCode, apis } = readApiVersions(fallback.body);
    expect(errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(apis).toEqual([{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 2 }]);
    expect(fallback.body.remaining).toBe(0);
    c.send(ApiKey.ApiVersions, 2);
    expect(readApiVersions((await c.next()).body).errorCode).toBe(0);
  });

  it('with flexible versions on, answers ApiVersions v3 in the flexible encoding, and v4 with the fallback', async () => {
    const { client } = await start({ flexibleVersions: true });
    const c = await client();
    c.send(ApiKey.ApiVersions, 3, (w) => w.uvarint(1).uvarint(1).uvarint(0));
    const response = await c.next();
    // Response header v0 (no tagged fields), then a flexible body: compact array of entries with TAG_BUFFERs.
    const body = new BodyReader(response.body.buffer, response.body.offset, true);
    expect(body.int16()).toBe(0);
    const apis = body.array((r) => {
      const entry = { apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() };
      r.taggedFields();
      return entry;
    });
    expect(apis).toEqual(
      EXTENDED_APIS.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })),
    );
    expect(body.int32()).toBe(0);
    body.taggedFields();
    expect(body.remaining).toBe(0);
    c.send(ApiKey.ApiVersions, 4, (w) => w.uvarint(1).uvarint(1).uvarint(0));
    const { errorCode, apis: fallback } = readApiVersions((await c.next()).body);
    expect(errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(fallback).toEqual([{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 }]);
  });

  it('closes the connection on an unknown API key or an unsupported version, logs why, and serves others', async () => {
    const { client, logs } = await start();
    const unknown = await client();
    unknown.send(99, 0);
    await unknown.closed;
    const oldProduce = await client();
    oldProduce.send(ApiKey.Produce, 2, produceBody('t', 0, null));
    await oldProduce.closed;
    expect(logs.map((l) => l.details?.reason)).toEqual(
      expect.arrayContaining(['unknown api key 99', 'Produce version 2 is not supported, expected 3 to 8']),
    );
    const healthy = await client();
    healthy.send(ApiKey.ApiVersions, 0);
    expect(readApiVersions((await healthy.next()).body).errorCode).toBe(0);
  });

  it('survives garbage, oversize, undersize and truncated frames, serving a healthy connection throughout', async () => {
    const { client, logs } = await start({ maxFrameBytes: 1024 });
    const healthy = await client();
    const cases: Buffer[] = [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), // negative size
      Buffer.from([0x00, 0x00, 0x10, 0x00]), // 4096 > max 1024
      Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x03]), // smaller than any request header
      // Metadata v1 announcing 5 topics but carrying none.
      Buffer.concat([Buffer.from([0, 0, 0, 14, 0, 3, 0, 1, 0, 0, 0, 7, 0, 0]), Buffer.from([0, 0, 0, 5])]),
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    ];
    for (const bytes of cases) {
      const bad = await client();
      bad.sendBytes(bytes);
      await bad.closed;
      healthy.send(ApiKey.ApiVersions, 1);
      expect(readApiVersions((await healthy.next()).body).errorCode).toBe(0);
    }
    const reasons = logs
      .filter((l) => l.message === 'closing connection')
      .map((l) => String(l.details?.reason));
    expect(reasons).toHaveLength(cases.length);
    expect(reasons.some((r) => r.includes('exceeds the maximum of 1024'))).toBe(true);
    expect(reasons.some((r) => r.includes('request truncated'))).toBe(true);
    // A client that disconnects halfway through a frame is logged too.
    const partial = await client();
    partial.sendBytes(Buffer.from([0, 0, 0, 100, 0, 3]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    partial.close();
    healthy.send(ApiKey.ApiVersions, 0);
    expect(readApiVersions((await healthy.next()).body).errorCode).toBe(0);
    await waitFor('the mid-request hang-up to be logged', () =>
      logs.some((l) => l.message === 'connection closed in the middle of a request'),
    );
  });

  it('produces with per-partition errors: bad acks 21, unknown topic 3, corrupt CRC 2, control batch 87, with nothing written', async () => {
    const { client } = await start();
    const c = await client();
    await createTopic(c, 'orders');
    c.send(ApiKey.Produce, 7, produceBody('orders', 0, batch(['a']), 2));
    expect(readProduce((await c.next()).body)).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUIRED_ACKS,
      baseOffset: -1n,
    });
    c.send(ApiKey.Produce, 7, produceBody('missing', 0, batch(['a'])));
    expect(readProduce((await c.next()).body)).toMatchObject({
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      baseOffset: -1n,
    });
    c.send(ApiKey.Produce, 7, produceBody('orders', 5, batch(['a'])));
    expect(readProduce((await c.next()).body)?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const corrupt = batch(['a', 'b']);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 1) ^ 0xff, corrupt.length - 1);
    c.send(ApiKey.Produce, 7, produceBody('orders', 0, corrupt));
    // Kafka's answer to a CorruptRecordException carries no log start offset.
    expect(readProduce((await c.next()).body)).toMatchObject({
      errorCode: ErrorCode.CORRUPT_MESSAGE,
      baseOffset: -1n,
      logStartOffset: -1n,
    });
    // Transaction markers are the broker's to write: a client's control batch is an invalid record (87).
    const marker = encodeTransactionMarker({
      producerId: 1n,
      producerEpoch: 0,
      result: 'commit',
      coordinatorEpoch: 0,
      timestamp: 0n,
    });
    c.send(ApiKey.Produce, 7, produceBody('orders', 0, marker));
    expect(readProduce((await c.next()).body)).toMatchObject({
      errorCode: ErrorCode.INVALID_RECORD,
      baseOffset: -1n,
    });
    c.send(ApiKey.Produce, 7, produceBody('orders', 0, batch(['first', 'second'])));
    expect(readProduce((await c.next()).body)).toMatchObject({ errorCode: 0, baseOffset: 0n });
    c.send(ApiKey.Fetch, 11, fetchBody('orders', 0n, 0));
    const fetched = readFetch((await c.next()).body).partition;
    expect(fetched?.highWatermark).toBe(2n);
    expect(decodeRecordBatch(fetched?.records ?? Buffer.alloc(0)).map((r) => r.value?.toString())).toEqual([
      'first',
      'second',
    ]);
  });

  it('refuses a compressed batch whose records cannot be read with UNKNOWN_SERVER_ERROR, like Kafka, writing nothing', async () => {
    const { client } = await start();
    const c = await client();
    await createTopic(c, 'forged');
    // A valid CRC over plain records marked zstd: Kafka's LogValidator fails to decompress it.
    c.send(ApiKey.Produce, 7, produceBody('forged', 0, markCompressed(batch(['a']), Codec.ZSTD)));
    expect(readProduce((await c.next()).body)).toMatchObject({
      errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
      baseOffset: -1n,
      logStartOffset: 0n,
    });
    c.send(ApiKey.Produce, 7, produceBody('forged', 0, compressBatch(batch(['b']), Codec.ZSTD)));
    expect(readProduce((await c.next()).body)).toMatchObject({ errorCode: 0, baseOffset: 0n });
  });

  it('answers duplicates of an idempotent batch with the original offset', async () => {
    const { client } = await start();
    const c = await client();
    await createTopic(c, 'payments');
    const producer = { id: 7n, epoch: 0, sequence: 0 };
    c.send(ApiKey.Produce, 8, produceBody('payments', 0, batch(['x', 'y'], producer)));
    c.send(ApiKey.Produce, 8, produceBody('payments', 0, batch(['z'], { ...producer, sequence: 2 })));
    c.send(ApiKey.Produce, 8, produceBody('payments', 0, batch(['x', 'y'], producer)));
    const read = (body: Reader) => {
      const [topic] = body.array((r) => ({
        name: r.string(),
        partitions: r.array((p) => {
          p.int32();
          const result = { errorCode: p.int16(), baseOffset: p.int64() };
          p.int64();
          p.int64();
          p.array(() => {});
          p.nullableString();
          return result;
        }),
      }));
      return topic?.partitions[0];
    };
    expect(read((await c.next()).body)).toEqual({ errorCode: 0, baseOffset: 0n });
    expect(read((await c.next()).body)).toEqual({ errorCode: 0, baseOffset: 2n });
    expect(read((await c.next()).body)).toEqual({ errorCode: 0, baseOffset: 0n });
  });

  it('sends no response for acks=0, and the next request is still answered in order', async () => {
    const { client } = await start();
    const c = await client();
    await createTopic(c, 'fire');
    c.send(ApiKey.Produce, 7, produceBody('fire', 0, batch(['a']), 0));
    const metadataId = c.send(ApiKey.Metadata, 1, (w) => w.array(['fire'], (tw, n) => tw.string(n)));
    expect((await c.next()).correlationId).toBe(metadataId);
    c.send(ApiKey.ListOffsets, 1, listOffsetsBody([{ topic: 'fire', partition: 0, timestamp: -1n }]));
    const [latest] = readListOffsets((await c.next()).body);
    // The acks=0 batch was stored: the latest offset moved past it.
    expect(latest).toMatchObject({ partition: 0, errorCode: 0, offset: 1n });
  });

  it('answers in request order: a long-poll Fetch before a Metadata, the Fetch woken by a produce', async () => {
    const { client } = await start();
    const consumer = await client();
    const producer = await client();
    await createTopic(producer, 'stream');
    const fetchId = consumer.send(ApiKey.Fetch, 11, fetchBody('stream', 0n, 20_000));
    const metadataId = consumer.send(ApiKey.Metadata, 1, (w) => w.array(['stream'], (tw, n) => tw.string(n)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    producer.send(ApiKey.Produce, 7, produceBody('stream', 0, batch(['wake up'])));
    expect(readProduce((await producer.next()).body)?.errorCode).toBe(0);
    const started = Date.now();
    const first = await consumer.next();
    const second = await consumer.next();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect([first.correlationId, second.correlationId]).toEqual([fetchId, metadataId]);
    const fetched = readFetch(first.body).partition;
    expect(decodeRecordBatch(fetched?.records ?? Buffer.alloc(0)).map((r) => r.value?.toString())).toEqual([
      'wake up',
    ]);
  });

  it('answers ListOffsets for a partition asked twice in one request with INVALID_REQUEST, like Kafka', async () => {
    const { client } = await start();
    const c = await client();
    await createTopic(c, 'twice');
    c.send(ApiKey.Produce, 7, produceBody('twice', 0, batch(['a'])));
    await c.next();
    const latest = { topic: 'twice', partition: 0, timestamp: -1n };
    c.send(ApiKey.ListOffsets, 1, listOffsetsBody([latest, { ...latest, timestamp: -2n }]));
    // Kafka's KafkaApis answers each occurrence of a duplicated partition with INVALID_REQUEST (42).
    expect(readListOffsets((await c.next()).body)).toEqual([
      { partition: 0, errorCode: ErrorCode.INVALID_REQUEST, timestamp: -1n, offset: -1n },
      { partition: 0, errorCode: ErrorCode.INVALID_REQUEST, timestamp: -1n, offset: -1n },
    ]);
    c.send(ApiKey.ListOffsets, 1, listOffsetsBody([latest]));
    expect(readListOffsets((await c.next()).body)).toEqual([
      { partition: 0, errorCode: 0, timestamp: -1n, offset: 1n },
    ]);
  });

  it('ends a long poll at max_wait_ms with no data, and answers OFFSET_OUT_OF_RANGE at once', async () => {
    const { client } = await start();
    const c = await client();
    await createTopic(c, 'quiet');
    c.send(ApiKey.Fetch, 11, fetchBody('quiet', 0n, 100));
    const empty = readFetch((await c.next()).body).partition;
    expect(empty).toMatchObject({ errorCode: 0, highWatermark: 0n });
    expect(empty?.records?.length).toBe(0);
    c.send(ApiKey.Fetch, 11, fetchBody('quiet', 5n, 20_000));
    expect(readFetch((await c.next(5000)).body).partition?.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('fetches whole batches within partition_max_bytes and max_bytes, but always at least one', async () => {
    const { client } = await start();
    const c = await client();
    await createTopic(c, 'limits');
    const values = ['a'.repeat(1000), 'b'.repeat(1000), 'c'.repeat(1000)];
    for (const value of values) {
      c.send(ApiKey.Produce, 7, produceBody('limits', 0, batch([value])));
      expect(readProduce((await c.next()).body)?.errorCode).toBe(0);
    }
    const batchSize = batch([values[0] ?? '']).length;
    const fetchValues = async (limits: { maxBytes: number; partitionMaxBytes: number }, offset = 0n) => {
      c.send(ApiKey.Fetch, 11, fetchBody('limits', offset, 0, 1, limits));
      const records = readFetch((await c.next()).body).partition?.records ?? Buffer.alloc(0);
      // Only whole batches: every one decodes, none is cut.
      expect(splitRecordBatches(records).reduce((sum, b) => sum + b.length, 0)).toBe(records.length);
      return splitRecordBatches(records).flatMap((b) =>
        decodeRecordBatch(b).map((r) => r.value?.toString()[0]),
      );
    };
    expect(await fetchValues({ maxBytes: 1_000_000, partitionMaxBytes: 10 })).toEqual(['a']);
    expect(await fetchValues({ maxBytes: 10, partitionMaxBytes: 1_000_000 })).toEqual(['a']);
    expect(await fetchValues({ maxBytes: 1_000_000, partitionMaxBytes: 2 * batchSize + 10 })).toEqual([
      'a',
      'b',
    ]);
    expect(await fetchValues({ maxBytes: 1_000_000, partitionMaxBytes: 1_000_000 })).toEqual(['a', 'b', 'c']);
    // An offset inside the log starts at the batch holding it.
    expect(await fetchValues({ maxBytes: 1_000_000, partitionMaxBytes: 1_000_000 }, 2n)).toEqual(['c']);
  });

  it('advertises the configured host and port in Metadata and FindCoordinator', async () => {
    const { client } = await start({ advertisedHost: 'proxy.local', advertisedPort: 19_999 });
    const c = await client();
    c.send(ApiKey.Metadata, 8, (w) =>
      w
        .nullableArray(null, () => {})
        .boolean(false)
        .boolean(false)
        .boolean(false),
    );
    const body = (await c.next()).body;
    body.int32();
    const brokersList = body.array((r) => ({
      nodeId: r.int32(),
      host: r.string(),
      port: r.int32(),
      rack: r.nullableString(),
    }));
    expect(brokersList).toEqual([{ nodeId: 0, host: 'proxy.local', port: 19_999, rack: null }]);
    body.nullableString();
    expect(body.int32()).toBe(0);
    c.send(ApiKey.FindCoordinator, 2, (w) => w.string('group').int8(0));
    const coordinator = (await c.next()).body;
    coordinator.int32();
    expect([
      coordinator.int16(),
      coordinator.nullableString(),
      coordinator.int32(),
      coordinator.string(),
      coordinator.int32(),
    ]).toEqual([0, null, 0, 'proxy.local', 19_999]);
  });

  it('validates CreateTopics and DeleteTopics like Kafka', async () => {
    const { client } = await start();
    const c = await client();
    c.send(
      ApiKey.CreateTopics,
      4,
      createTopicsBody([
        { name: 'ok', partitions: 2 },
        { name: 'bad name!', partitions: 1 },
        { name: 'zero', partitions: 0 },
        { name: 'billions', partitions: 2_000_000_000 },
        { name: 'replicated', partitions: 1, replication: 3 },
        { name: 'twice', partitions: 1 },
        { name: 'twice', partitions: 1 },
      ]),
    );
    const results = readCreateTopics((await c.next()).body);
    expect(results.map((r) => [r.name, r.errorCode])).toEqual([
      ['ok', 0],
      ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['zero', ErrorCode.INVALID_PARTITIONS],
      ['billions', ErrorCode.INVALID_PARTITIONS],
      ['replicated', ErrorCode.INVALID_REPLICATION_FACTOR],
      ['twice', ErrorCode.INVALID_REQUEST],
      ['twice', ErrorCode.INVALID_REQUEST],
    ]);
    expect(results[3]?.errorMessage).toContain('at most 10000');
    expect(results[4]?.errorMessage).toContain('3 larger than available brokers: 1');
    c.send(ApiKey.CreateTopics, 4, createTopicsBody([{ name: 'ok', partitions: 2 }]));
    expect(readCreateTopics((await c.next()).body)[0]?.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    c.send(ApiKey.DeleteTopics, 3, (w) => w.array(['ok', 'never'], (tw, n) => tw.string(n)).int32(1000));
    const deleted = (await c.next()).body;
    deleted.int32();
    expect(deleted.array((r) => [r.string(), r.int16()])).toEqual([
      ['ok', 0],
      ['never', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
  });

  it('creates unknown topics on Metadata only when auto-creation is on', async () => {
    const metadataTopicError = async (autoCreateTopics: boolean) => {
      const { client } = await start({ autoCreateTopics, defaultPartitions: 3 });
      const c = await client();
      c.send(ApiKey.Metadata, 4, (w) => w.array(['auto'], (tw, n) => tw.string(n)).boolean(true));
      const body = (await c.next()).body;
      body.int32();
      body.array((r) => [r.int32(), r.string(), r.int32(), r.nullableString()]);
      body.nullableString();
      body.int32();
      const [topic] = body.array((r) => ({
        errorCode: r.int16(),
        name: r.string(),
        internal: r.boolean(),
        partitions: r.array((p) => {
          const index = [p.int16(), p.int32(), p.int32()];
          p.array((n) => n.int32());
          p.array((n) => n.int32());
          return index;
        }),
      }));
      return topic;
    };
    expect(await metadataTopicError(false)).toMatchObject({
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      partitions: [],
    });
    expect((await metadataTopicError(true))?.partitions).toHaveLength(3);
  });
});
