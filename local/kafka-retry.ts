/**
 * Kafka calls of the local pipeline that ride out Kafka's passing states. A cluster that has just started, or
 * has just lost a broker, answers for a while that a group's coordinator is moving or loading, or drops a
 * connection while its clients learn the new brokers. kafkajs retries some of these itself, but not in every
 * admin call (createTopics and fetchOffsets give up at once), so the pipeline's own setup and status would
 * fail where waiting a moment is right.
 */

/**
 * True for what kafkajs marks retriable (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, a lost connection, …)
 * and for its own retries running out on such an error: the test kafkajs's consumer applies before it
 * restarts itself.
 */
export function isPassingKafkaError(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'KafkaJSNumberOfRetriesExceeded' || (error as { retriable?: unknown }).retriable === true)
  );
}

export interface KafkaRetryOptions {
  /** Give up after this long, with the last error as the cause. @default 30000 */
  readonly timeoutMs?: number;
  /** First wait between attempts; doubles up to 2 s. @default 100 */
  readonly initialBackoffMs?: number;
}

/** Runs `attempt` until it succeeds, fails with an error that is not passing, or `timeoutMs` runs out. */
export async function retryPassingKafkaErrors<T>(
  what: string,
  attempt: () => Promise<T>,
  { timeoutMs = 30_000, initialBackoffMs = 100 }: KafkaRetryOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let backoff = initialBackoffMs; ; backoff = Math.min(backoff * 2, 2_000)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isPassingKafkaError(error)) throw error;
      if (Date.now() + backoff > deadline) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`${what}: Kafka still answered "${reason}" after ${timeoutMs} ms`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}
