/**
 * Headers the ingest function writes on every event record so the consumer can verify exactly-once
 * per partition. The broker's producer id and sequence numbers never reach a Lambda consumer (the MSK
 * event carries only topic, partition, offset, key, value and headers), so the application carries its own.
 */
export const RecordHeader = {
  /** The client's idempotency key: the same event always has the same event id. */
  eventId: 'event-id',
  /** A new random id for every producer instance (one per execution environment until it is replaced). */
  producerSession: 'producer-session',
  /** 0, 1, 2, … per partition within one producer session, as a decimal string. */
  partitionSequence: 'partition-sequence',
} as const;
