import { isJsonObject } from '../../functions/shared/json-object';
import { type PendingRecord, partitionKey } from './msk-event';

/** What an invocation's result means for each partition of the batch. */
export type BatchOutcome =
  | { readonly kind: 'success' }
  /** The first failed offset per "<topic>-<partition>"; partitions not named succeeded entirely. */
  | { readonly kind: 'partial'; readonly firstFailed: ReadonlyMap<string, bigint> }
  /** The whole batch failed: the handler threw, timed out, or answered a response that is not valid. */
  | { readonly kind: 'failed'; readonly reason: string };

function toOffset(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  return undefined;
}

/**
 * Reads one itemIdentifier. The Kafka form is an object { partition: "<topic>-<partition>", offset };
 * a bare partition number is accepted when the batch holds one topic, and the string
 * "<topic>-<partition>-<offset>" (the form some batch libraries emit) is accepted too.
 */
function readIdentifier(identifier: unknown, topics: ReadonlySet<string>): [string, bigint] | undefined {
  if (typeof identifier === 'string') {
    const match = /^(.+-\d+)-(\d+)$/.exec(identifier);
    return match?.[1] && match[2] ? [match[1], BigInt(match[2])] : undefined;
  }
  if (!isJsonObject(identifier)) return undefined;
  const offset = toOffset(identifier.offset);
  if (offset === undefined) return undefined;
  const { partition } = identifier;
  if (typeof partition === 'string' && partition !== '') return [partition, offset];
  if (typeof partition === 'number' && Number.isInteger(partition) && topics.size === 1) {
    return [partitionKey([...topics][0] ?? '', partition), offset];
  }
  return undefined;
}

/**
 * Interprets a handler's answer as the event source mapping does with ReportBatchItemFailures on:
 * no answer or an empty/null batchItemFailures list is a complete success; an identifier that is empty,
 * malformed or names a record outside the batch makes the whole batch fail; otherwise each partition
 * resumes from its lowest failed offset.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 * (success and failure conditions, shared by the stream event sources) and DESIGN.md section 5.
 */
export function readBatchResponse(response: unknown, batch: readonly PendingRecord[]): BatchOutcome {
  if (response === undefined || response === null) return { kind: 'success' };
  if (!isJsonObject(response)) {
    return { kind: 'failed', reason: `the response is not an object: ${JSON.stringify(response)}` };
  }
  const failures = response.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) {
    return { kind: 'failed', reason: 'batchItemFailures is not a list' };
  }
  if (failures.length === 0) return { kind: 'success' };

  const offsetsInBatch = new Map<string, Set<bigint>>();
  for (const pending of batch) {
    const key = partitionKey(pending.topic, pending.partition);
    const offsets = offsetsInBatch.get(key) ?? new Set<bigint>();
    offsets.add(pending.offset);
    offsetsInBatch.set(key, offsets);
  }
  const topics = new Set(batch.map((pending) => pending.topic));

  const firstFailed = new Map<string, bigint>();
  for (const failure of failures) {
    const identifier = isJsonObject(failure) ? failure.itemIdentifier : undefined;
    const read = readIdentifier(identifier, topics);
    if (!read) {
      return { kind: 'failed', reason: `itemIdentifier ${JSON.stringify(identifier)} is not valid` };
    }
    const [key, offset] = read;
    if (!offsetsInBatch.get(key)?.has(offset)) {
      return { kind: 'failed', reason: `itemIdentifier ${key}@${offset} is not a record of this batch` };
    }
    const known = firstFailed.get(key);
    if (known === undefined || offset < known) firstFailed.set(key, offset);
  }
  return { kind: 'partial', firstFailed };
}
