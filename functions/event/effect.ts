import type { EventEffect } from '../shared/event-definition';
import type { PaymentEvent } from './definition';

/**
 * What applying a payment writes besides the ledger's own record of it. The ledger already keeps every
 * applied event, nested under its `event` attribute, in the item that proves it was applied once: for a
 * payment that entry is the whole effect, so nothing more is written. An effect that keeps state (a balance
 * per account, a count per customer) returns its writes here; they join the same transaction, so they are
 * exactly-once too. Keyed by the ordering key, they are never written by two partitions at once.
 */
export const paymentEffect: EventEffect<PaymentEvent> = () => [];
