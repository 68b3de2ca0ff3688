import type { Admin } from 'kafkajs';

/**
 * Records in the topic that the group has not committed yet: per partition, the high watermark minus the
 * committed offset (or minus the log start when the group never committed), summed.
 */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<bigint> {
  const [ends, groups] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const committed = new Map(
    (groups.find((entry) => entry.topic === topic)?.partitions ?? []).map((p) => [
      p.partition,
      BigInt(p.offset),
    ]),
  );
  let lag = 0n;
  for (const end of ends) {
    const done = committed.get(end.partition) ?? -1n;
    const from = done >= 0n ? done : BigInt(end.low);
    if (BigInt(end.high) > from) lag += BigInt(end.high) - from;
  }
  return lag;
}
