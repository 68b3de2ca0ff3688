export { BatchAssembler, type BatchPolicy, type NextBatch } from './batch-assembler';
export { type BatchOutcome, readBatchResponse } from './batch-response';
export {
  type EventSource,
  type EventSourceOptions,
  type EventSourceStats,
  type InvocationOutcome,
  type LogLevel,
  type RetryPolicy,
  startEventSource,
} from './emulator';
export { EventSourceConfigError } from './errors';
export { consumerLag, type TopicOffsets } from './lag';
export {
  LOCAL_CLUSTER_ARN,
  type PendingRecord,
  partitionKey,
  toMskEvent,
  toPendingRecord,
  toSignedBytes,
} from './msk-event';
export {
  type FailedRecords,
  fileDestination,
  type OnFailureDestination,
  toFailureDocument,
  topicDestination,
} from './on-failure';
