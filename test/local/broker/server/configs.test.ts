import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, silentLogger, startBroker } from '../../../../local/broker';
import { ApiKey } from '../../../../local/broker/protocol/api-keys';
import type { Reader } from '../../../../local/broker/protocol/reader';
import type { Writer } from '../../../../local/broker/protocol/writer';
import { freshTopicName } from '../../../helpers/kafka';
import { RawClient } from './raw-client';

// The wire answers kafkajs does not show: IncrementalAlterConfigs (kafkajs 2.2.4 has none) and the error
// messages that say why a request was refused.

const TOPIC = 2;
const BROKER = 4;
const Operation = { SET: 0, DELETE: 1, APPEND: 2 } as const;

interface Entry {
  readonly name: string;
  readonly operation: number;
  readonly value: string | null;
}

function incrementalAlterBody(
  resources: { type: number; name: string; configs: Entry[] }[],
  validateOnly = false,
) {
  return (w: Writer) => {
    w.array(resources, (rw, resource) => {
      rw.int8(resource.type).string(resource.name);
      rw.array(resource.configs, (cw, entry) => {
        cw.string(entry.name).int8(entry.operation).nullableString(entry.value);
      });
    });
    w.boolean(validateOnly);
  };
}

const readAlterResponses = (body: Reader) => {
  body.int32();
  return body.array((r) => ({
    errorCode: r.int16(),
    errorMessage: r.nullableString(),
    resourceType: r.int8(),
    resourceName: r.string(),
  }));
};

const readTopicErrors = (body: Reader) => {
  body.int32();
  return body.array((r) => ({ name: r.string(), errorCode: r.int16(), errorMessage: r.nullableString() }));
};

describe('config and partition APIs on the wire', () => {
  let broker: RunningBroker;
  let client: RawClient;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker({ logger: silentLogger });
    client = await RawClient.connect(broker.port);
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    client?.close();
    await broker?.close();
  });

  async function createTopic(configs: Record<string, string> = {}): Promise<string> {
    const topic = freshTopicName('configs');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
    });
    await admin.disconnect();
    return topic;
  }

  async function topicConfigs(topic: string): Promise<Record<string, string>> {
    const admin = kafka.admin();
    await admin.connect();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: TOPIC, name: topic }],
    });
    await admin.disconnect();
    return Object.fromEntries(
      (resources[0]?.configEntries ?? [])
        .filter((e) => !e.isDefault)
        .map((e) => [e.configName, e.configValue]),
    );
  }

  async function incrementalAlter(resources: { type: number; name: string; configs: Entry[] }[]) {
    client.send(ApiKey.IncrementalAlterConfigs, 0, incrementalAlterBody(resources));
    return readAlterResponses((await client.next()).body);
  }

  it('IncrementalAlterConfigs sets and deletes single configs and keeps the others', async () => {
    const topic = await createTopic({ 'retention.ms': '1000', 'segment.bytes': '4096' });
    const [answer] = await incrementalAlter([
      {
        type: TOPIC,
        name: topic,
        configs: [
          { name: 'max.message.bytes', operation: Operation.SET, value: '2048' },
          { name: 'retention.ms', operation: Operation.DELETE, value: null },
        ],
      },
    ]);
    expect(answer).toEqual({ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: topic });
    expect(await topicConfigs(topic)).toEqual({ 'max.message.bytes': '2048', 'segment.bytes': '4096' });
  });

  it('refuses compaction, unknown configs, invalid values and broker changes, saying why', async () => {
    const topic = await createTopic();
    const answers = await incrementalAlter([
      {
        type: TOPIC,
        name: topic,
        configs: [{ name: 'cleanup.policy', operation: Operation.APPEND, value: 'compact' }],
      },
      {
        type: TOPIC,
        name: topic,
        configs: [{ name: 'retention.msec', operation: Operation.SET, value: '1' }],
      },
      {
        type: TOPIC,
        name: topic,
        configs: [{ name: 'segment.bytes', operation: Operation.SET, value: '10' }],
      },
      {
        type: TOPIC,
        name: topic,
        configs: [{ name: 'segment.bytes', operation: Operation.APPEND, value: '10' }],
      },
      {
        type: BROKER,
        name: '0',
        configs: [{ name: 'message.max.bytes', operation: Operation.SET, value: '1' }],
      },
      { type: TOPIC, name: 'no-such-topic', configs: [] },
    ]);
    expect(answers.map((a) => [a.errorCode, a.errorMessage])).toEqual([
      [
        40,
        'cleanup.policy=delete,compact is not supported: this broker does not compact logs; use cleanup.policy=delete',
      ],
      [40, 'Unknown topic config name: retention.msec'],
      [40, 'Invalid value 10 for configuration segment.bytes: Value must be at least 14'],
      [40, 'Config value append is not allowed for config key: segment.bytes'],
      [
        42,
        'broker configs are set when the broker starts (startBroker options, CLI flags) and cannot be altered',
      ],
      [3, "Topic 'no-such-topic' does not exist."],
    ]);
    expect(await topicConfigs(topic)).toEqual({});
  });

  it('CreateTopics refuses cleanup.policy=compact with INVALID_CONFIG and the reason', async () => {
    const topic = freshTopicName('compacted');
    client.send(ApiKey.CreateTopics, 4, (w) => {
      w.array([topic], (tw, name) => {
        tw.string(name).int32(1).int16(1);
        tw.array([], () => {});
        tw.array([{ name: 'cleanup.policy', value: 'compact' }], (cw, c) =>
          cw.string(c.name).nullableString(c.value),
        );
      });
      w.int32(5000).boolean(false);
    });
    const body = (await client.next()).body;
    expect(readTopicErrors(body)).toEqual([
      {
        name: topic,
        errorCode: 40,
        errorMessage:
          'cleanup.policy=compact is not supported: this broker does not compact logs; use cleanup.policy=delete',
      },
    ]);
  });

  it("CreatePartitions answers Kafka's messages for a count that is not growth, an unknown topic and a duplicate", async () => {
    const topic = await createTopic();
    client.send(ApiKey.CreatePartitions, 1, (w) => {
      w.array(
        [
          { name: topic, count: 1 },
          { name: 'no-such-topic', count: 2 },
          { name: 'twice', count: 2 },
          { name: 'twice', count: 3 },
        ],
        (tw, t) =>
          tw
            .string(t.name)
            .int32(t.count)
            .nullableArray(null, () => {}),
      );
      w.int32(5000).boolean(false);
    });
    expect(readTopicErrors((await client.next()).body)).toEqual([
      { name: topic, errorCode: 37, errorMessage: 'Topic already has 1 partition(s).' },
      { name: 'no-such-topic', errorCode: 3, errorMessage: "Topic 'no-such-topic' does not exist." },
      { name: 'twice', errorCode: 42, errorMessage: 'Duplicate topic name.' },
      { name: 'twice', errorCode: 42, errorMessage: 'Duplicate topic name.' },
    ]);
  });
});
