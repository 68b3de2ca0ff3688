/**
 * Produce: validates each partition's record batch (CRC-32C, magic 2, one batch) and appends it
 * through storage, which applies the idempotent-producer rules. Each partition succeeds or fails on
 * its own; error replies carry base offset -1 (Apache Kafka's ProduceResponse.PartitionResponse).
 */
import type {
  ProducePartitionResponse,
  ProduceRequest,
  ProduceResponse,
  ProduceTopicResponse,
} from '../../protocol/apis/produce';
import { ErrorCode } from '../../protocol/error-codes';
import { unreadableRecordsProblem, validateRecordBatch } from '../../protocol/record-batch';
import {
  type BrokerContext,
  CloseConnection,
  type HandlerResult,
  hasPartition,
  NO_RESPONSE,
  resolveTopic,
} from '../context';

const VALID_ACKS = new Set([-1, 0, 1]);
/** ListOffsets' timestamp for the log start offset. */
const EARLIEST = -2n;
/** Kafka's KAFKA_STORAGE_ERROR, for an append that failed in storage. */
const KAFKA_STORAGE_ERROR = 56;

function failed(
  index: number,
  errorCode: number,
  errorMessage: string | null = null,
): ProducePartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage };
}

export function handleProduce(
  request: ProduceRequest,
  broker: BrokerContext,
): HandlerResult<ProduceResponse> | Promise<HandlerResult<ProduceResponse>> {
  const { acks } = request;
  if (!VALID_ACKS.has(acks)) {
    return {
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((p) =>
          failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${acks}`),
        ),
      })),
    };
  }
  // Appends start now, in request order; only their completion is awaited.
  const topics = request.topics.map((topic) => {
    const description = resolveTopic(broker, topic.name, true);
    const partitions = topic.partitions.map(
      (partition): ProducePartitionResponse | Promise<ProducePartitionResponse> => {
        if (!hasPartition(description, partition.index)) {
          return failed(partition.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        if (partition.records === null) {
          return failed(
            partition.index,
            ErrorCode.CORRUPT_MESSAGE,
            'records are null, expected one record batch',
          );
        }
        const refuse = (errorCode: number, reason: string, logStartOffset = -1n) => {
          broker.logger.warn('produce batch rejected', {
            topic: topic.name,
            partition: partition.index,
            reason,
          });
          return { ...failed(partition.index, errorCode, reason), logStartOffset };
        };
        const validation = validateRecordBatch(partition.records);
        if (!validation.ok) return refuse(validation.errorCode, validation.reason);
        const unreadable = unreadableRecordsProblem(partition.records);
        if (unreadable) {
          // Kafka answers a batch it cannot decompress from its generic error path, which carries the
          // partition's log start offset (a CorruptRecordException's answer does not).
          const logStart = broker.storage.listOffset(topic.name, partition.index, EARLIEST).offset;
          return refuse(ErrorCode.UNKNOWN_SERVER_ERROR, unreadable, logStart);
        }
        // Transaction markers come from the coordinator only (Kafka's LogValidator refuses them from clients).
        if (validation.header.isControl) {
          return failed(partition.index, ErrorCode.INVALID_RECORD, 'clients may not write control batches');
        }
        return broker.storage
          .append(topic.name, partition.index, partition.records, validation.header, acks === -1)
          .then(
            (result): ProducePartitionResponse => ({
              index: partition.index,
              errorCode: result.errorCode,
              baseOffset: result.errorCode === 0 ? result.baseOffset : -1n,
              logAppendTimeMs: result.logAppendTime,
              logStartOffset: result.logStartOffset,
              errorMessage: null,
            }),
            (error: unknown) => {
              broker.logger.error('append failed in storage', {
                topic: topic.name,
                partition: partition.index,
                error: String(error),
              });
              return failed(partition.index, KAFKA_STORAGE_ERROR, 'the append failed in storage');
            },
          );
      },
    );
    return { name: topic.name, partitions };
  });
  return Promise.all(
    topics.map(
      async (topic): Promise<ProduceTopicResponse> => ({
        name: topic.name,
        partitions: await Promise.all(topic.partitions),
      }),
    ),
  ).then((responses) => {
    if (acks !== 0) return { topics: responses };
    // acks = 0 gets no answer; on an error Kafka closes the connection so the client notices.
    const failure = responses.flatMap((t) => t.partitions).find((p) => p.errorCode !== 0);
    return failure
      ? new CloseConnection(`produce with acks=0 failed with error ${failure.errorCode}`)
      : NO_RESPONSE;
  });
}
