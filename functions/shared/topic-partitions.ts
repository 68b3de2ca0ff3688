import type { PartitionMetadata } from 'kafkajs';

/**
 * How long a producer session trusts a topic's partition list. After a topic grows, sessions that still
 * use the old count route a key to another partition than sessions that see the new one, so a refund can
 * overtake its capture; this bounds that window. Each refresh is one short metadata request on a new
 * connection, made by the first publish after the list aged (the Java client's metadata.max.age.ms is 5
 * minutes; MSK limits new connections per broker, so not much shorter than this).
 */
export const DEFAULT_PARTITION_REFRESH_MS = 60_000;

/** A refreshed partition list disagrees with the one a session has been routing by. */
export class PartitionCountChangedError extends Error {
  override readonly name = 'PartitionCountChangedError';
  readonly code = 'PARTITION_COUNT_CHANGED';
  constructor(
    readonly topic: string,
    readonly before: number,
    readonly after: number,
  ) {
    super(`topic ${topic} now has ${after} partition(s), this producer session routed by ${before}`);
  }
}

/**
 * A producer session's partition lists, each looked up again once older than `maxAgeMs`. The age counts
 * from when the lookup was sent, so a publish at time t routes by a list requested at t - maxAgeMs or later:
 * a partition count changed before then is seen. A changed count is an error, not a silent switch: the
 * session's per-partition header sequences and kafkajs's own metadata belong to the old count, so the
 * session retires and its successor starts from a fresh lookup.
 */
export class TopicPartitions {
  private readonly known = new Map<string, { partitions: PartitionMetadata[]; requestedAt: number }>();

  constructor(
    private readonly lookup: (topic: string) => Promise<PartitionMetadata[]>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async of(topic: string): Promise<PartitionMetadata[]> {
    const known = this.known.get(topic);
    const requestedAt = this.now();
    if (known && requestedAt - known.requestedAt < this.maxAgeMs) return known.partitions;
    const partitions = await this.lookup(topic);
    if (known && partitions.length !== known.partitions.length) {
      throw new PartitionCountChangedError(topic, known.partitions.length, partitions.length);
    }
    this.known.set(topic, { partitions, requestedAt });
    return partitions;
  }
}
