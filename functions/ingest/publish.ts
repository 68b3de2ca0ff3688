import type { PaymentEvent } from '../shared/payment-event';
import type { DeliveredRecord, OutgoingRecord } from '../shared/producer-session';

/** What publishes records: the warm producer in production, the same class in tests. */
export interface RecordPublisher {
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<DeliveredRecord[]>;
}

/** Where one payment event was stored, as the client is told. */
export interface StoredPayment {
  readonly eventId: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Publishes validated events as one send: the account id is the record key (one account's events stay in
 * order on one partition), the value is the event as JSON. Resolves only after acks = all for every event.
 */
export async function publishPayments(
  publisher: RecordPublisher,
  topic: string,
  events: readonly PaymentEvent[],
): Promise<StoredPayment[]> {
  const records = events.map(
    (event): OutgoingRecord => ({
      eventId: event.eventId,
      key: event.accountId,
      value: JSON.stringify(event),
    }),
  );
  const delivered = await publisher.publish(topic, records);
  return delivered.map(({ eventId, partition, offset }) => ({ eventId, partition, offset }));
}
