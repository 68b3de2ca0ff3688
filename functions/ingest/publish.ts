import type { EventDefinition } from '../shared/event-definition';
import type { DeliveredRecord, OutgoingRecord } from '../shared/producer-session';

/** What publishes records: the warm producer in production, the same class in tests. */
export interface RecordPublisher {
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<DeliveredRecord[]>;
}

/** Where one event was stored, as the client is told. */
export interface StoredEvent {
  readonly eventId: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Publishes validated events as one send: the definition's ordering key is the record key (events with the
 * same key stay in order on one partition), the value is the event as JSON. Resolves only after acks = all
 * for every event.
 */
export async function publishEvents<E extends object>(
  publisher: RecordPublisher,
  topic: string,
  definition: EventDefinition<E>,
  events: readonly E[],
): Promise<StoredEvent[]> {
  const records = events.map(
    (event): OutgoingRecord => ({
      eventId: definition.eventId(event),
      key: definition.orderingKey(event),
      value: JSON.stringify(event),
    }),
  );
  const delivered = await publisher.publish(topic, records);
  return delivered.map(({ eventId, partition, offset }) => ({ eventId, partition, offset }));
}
