/** The broker's settings, validated once at start-up. */
import type { BrokerLogger } from './logger';

export class BrokerConfigError extends Error {
  override readonly name = 'BrokerConfigError';
  readonly code = 'INVALID_BROKER_CONFIG';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

export interface BrokerConfig {
  /** Kafka's node.id; one broker that is also the controller and the group coordinator. */
  readonly nodeId: number;
  readonly clusterId: string;
  readonly host: string;
  readonly port: number;
  /** What Metadata and FindCoordinator tell clients to connect to (Kafka's advertised.listeners). */
  readonly advertisedHost: string;
  /** undefined: the port the broker listens on once bound. */
  readonly advertisedPort: number | undefined;
  readonly autoCreateTopics: boolean;
  readonly defaultPartitions: number;
  readonly maxFrameBytes: number;
  readonly logger: BrokerLogger;
}

/** Kafka's socket.request.max.bytes is 100 MB by default. */
export const DEFAULT_MAX_FRAME_BYTES = 104_857_600;

export function requirePort(setting: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new BrokerConfigError(setting, `expected an integer port from 0 to 65535, got ${String(value)}`);
  }
  return value;
}

export function requirePositiveInteger(setting: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new BrokerConfigError(setting, `expected a positive integer, got ${String(value)}`);
  }
  return value;
}

export function requireNonNegativeInteger(setting: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new BrokerConfigError(setting, `expected a non-negative integer, got ${String(value)}`);
  }
  return value;
}

export function requireHost(setting: string, value: string): string {
  if (value.trim() === '' || /\s/.test(value)) {
    throw new BrokerConfigError(setting, `expected a host name or IP address, got "${value}"`);
  }
  return value;
}
