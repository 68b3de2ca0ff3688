import type { Admin } from 'kafkajs';

/** Each partition's log start (low) and high watermark, as kafkajs' fetchTopicOffsets answers. */
export type TopicOffsets = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

/**
 * Records in the topic that the group has not committed yet: per partition, the high watermark minus the
 * committed offset (or minus the log start when the group never committed), summed. A caller that also
 * needs the topic's offsets passes them (or their pending lookup) so they are fetched once.
 */
export async function consumerLag(
  admin: Admin,
  groupId: string,
  topic: string,
  topicOffsets: TopicOffsets | Promise<TopicOffsets> = admin.fetchTopicOffsets(topic),
): Promise<bigint> {
  const [ends, groups] = await Promise.all([topicOffsets, admin.fetchOffsets({ groupId, topics: [topic] })]);
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
