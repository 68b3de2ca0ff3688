/**
 * Kafka error codes the broker answers with (org.apache.kafka.common.protocol.Errors,
 * https://kafka.apache.org/protocol.html#protocol_error_codes). Storage codes come from the storage
 * contract so that both layers speak the same numbers.
 */
import { StorageError } from '../storage/types';

export const ErrorCode = {
  ...StorageError,
  UNKNOWN_SERVER_ERROR: -1,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  UNSUPPORTED_VERSION: 35,
  INVALID_REQUEST: 42,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
  INVALID_RECORD: 87,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];
