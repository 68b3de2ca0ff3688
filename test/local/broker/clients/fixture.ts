/**
 * Client integration tests run against a fresh in-process broker on an ephemeral port, or against any
 * Kafka named by KAFKA_BROKERS (a comma list), with a fresh topic per test.
 */
import { randomUUID } from 'node:crypto';
import { type RunningBroker, silentLogger, startBroker } from '../../../../local/broker';

export interface TestCluster {
  readonly brokers: string[];
  close(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const external = process.env.KAFKA_BROKERS;
  if (external) return { brokers: external.split(','), close: async () => {} };
  const broker: RunningBroker = await startBroker({ logger: silentLogger });
  return { brokers: [broker.bootstrap], close: () => broker.close() };
}

export function freshName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
