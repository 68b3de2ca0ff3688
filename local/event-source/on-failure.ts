import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { type EventSourceIdentity, type PendingRecord, partitionKey, toMskEvent } from './msk-event';

/** Records of one partition that kept failing after every retry, from the first failed offset on. */
export interface FailedRecords {
  readonly functionArn: string;
  readonly identity: EventSourceIdentity;
  /** Invocations that included these records (the first one and its retries). */
  readonly attempts: number;
  /** The last failure: the handler's error or the partial batch response. */
  readonly reason: string;
  readonly records: readonly PendingRecord[];
}

/** Where batches that exhausted their retries go, so that nothing is dropped silently. */
export interface OnFailureDestination {
  /** For logs: e.g. "file .local/on-failure.jsonl". */
  readonly description: string;
  send(failure: FailedRecords): Promise<void>;
  close(): Promise<void>;
}

/**
 * The document written for a failure, shaped like the invocation record an event source mapping sends to
 * its on-failure destination (condition, approximate invoke count, Kafka batch info), with the failed
 * records themselves as an MSK event so they can be replayed through the handler.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html
 */
export function toFailureDocument(failure: FailedRecords, at: Date = new Date()) {
  const first = failure.records[0];
  const last = failure.records.at(-1);
  return {
    version: '1.0',
    timestamp: at.toISOString(),
    requestContext: {
      functionArn: failure.functionArn,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: failure.attempts,
    },
    responseContext: { functionError: failure.reason },
    KafkaBatchInfo: {
      batchSize: failure.records.length,
      topic: first?.topic,
      partition: first?.partition,
      firstOffset: first?.offset.toString(),
      lastOffset: last?.offset.toString(),
      eventSourceArn: failure.identity.eventSourceArn,
      bootstrapServers: failure.identity.bootstrapServers.join(','),
    },
    payload: toMskEvent(failure.records, failure.identity),
  };
}

/** Appends one JSON line per failure to a local file (created with its folder if missing). */
export function fileDestination(path: string): OnFailureDestination {
  let ready: Promise<unknown> | undefined;
  return {
    description: `file ${path}`,
    async send(failure) {
      ready ??= mkdir(dirname(path), { recursive: true });
      await ready;
      await appendFile(path, `${JSON.stringify(toFailureDocument(failure))}\n`);
    },
    close: async () => undefined,
  };
}

/** Publishes one message per failure to a topic (keyed "<topic>-<partition>"), acks = all. */
export function topicDestination(kafka: Kafka, topic: string): OnFailureDestination {
  let producer: Promise<Producer> | undefined;
  const connected = () => {
    producer ??= (async () => {
      const created = kafka.producer({ allowAutoTopicCreation: false });
      await created.connect();
      return created;
    })();
    return producer;
  };
  return {
    description: `topic ${topic}`,
    async send(failure) {
      const first = failure.records[0];
      await (await connected()).send({
        topic,
        acks: -1,
        messages: [
          {
            key: first ? partitionKey(first.topic, first.partition) : null,
            value: JSON.stringify(toFailureDocument(failure)),
          },
        ],
      });
    },
    async close() {
      await (await producer?.catch(() => undefined))?.disconnect();
    },
  };
}
