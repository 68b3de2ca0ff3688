import { type Env, integerSetting, topicSetting } from '../shared/config';
import { type KafkaSettings, readKafkaSettings } from '../shared/kafka-settings';

/** Bounds on what one request may carry; anything beyond is answered 413 before it is parsed or published. */
export interface RequestLimits {
  /** Largest body of a single-event request, in bytes. */
  readonly maxEventBytes: number;
  /** Largest body of a batch request, in bytes. */
  readonly maxBatchBytes: number;
  /** Most events in one batch. */
  readonly maxBatchEvents: number;
}

export interface IngestSettings {
  readonly kafka: KafkaSettings;
  readonly topic: string;
  readonly limits: RequestLimits;
  /** Upper bound for one publish, retries included; below API Gateway's 30 s integration timeout. */
  readonly publishTimeoutMs: number;
  /** Seconds a client is told to wait before retrying after a 503. */
  readonly retryAfterSeconds: number;
  /** A producer idle for longer is replaced before its next publish; undefined: never. */
  readonly producerMaxIdleMs: number | undefined;
}

/**
 * Just under Kafka's connections.max.idle.ms (10 minutes, also MSK's): after that long the broker has closed
 * the producer's connections anyway, so opening a new session costs little and never sends into a
 * connection that died silently while the environment was frozen. 0 turns the replacement off.
 */
const DEFAULT_PRODUCER_MAX_IDLE_MS = 9 * 60_000;

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Reads the ingest function's settings once, at cold start; a bad value stops start-up naming the setting.
 * The default batch limit leaves room under Kafka's default message.max.bytes (1,048,588 bytes per record
 * batch, Kafka broker configs) for keys and headers even when every event of a batch has the same account
 * and so lands in one record batch; the upper bounds are Lambda's 6 MB synchronous payload quota.
 */
export function readIngestSettings(env: Env): IngestSettings {
  const limits: RequestLimits = {
    maxEventBytes: integerSetting(env, 'MAX_EVENT_BYTES', 256 * KIB, { min: 1 * KIB, max: 6 * MIB }),
    maxBatchBytes: integerSetting(env, 'MAX_BATCH_BYTES', 512 * KIB, { min: 1 * KIB, max: 6 * MIB }),
    maxBatchEvents: integerSetting(env, 'MAX_BATCH_EVENTS', 100, { min: 1, max: 1000 }),
  };
  return {
    kafka: readKafkaSettings(env),
    topic: topicSetting(env, 'EVENTS_TOPIC'),
    limits,
    publishTimeoutMs: integerSetting(env, 'PUBLISH_TIMEOUT_MS', 10_000, { min: 100, max: 25_000 }),
    retryAfterSeconds: integerSetting(env, 'RETRY_AFTER_SECONDS', 1, { min: 1, max: 300 }),
    producerMaxIdleMs:
      integerSetting(env, 'PRODUCER_MAX_IDLE_MS', DEFAULT_PRODUCER_MAX_IDLE_MS, {
        min: 0,
        max: 3_600_000,
      }) || undefined,
  };
}
