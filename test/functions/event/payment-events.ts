import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { PAYMENT_TYPES, type PaymentEvent } from '../../../functions/event/definition';

/** A valid payment event with a unique event id; fields can be overridden. */
export function paymentEvent(overrides: Partial<PaymentEvent> = {}): PaymentEvent {
  return {
    eventId: `evt-${randomUUID()}`,
    accountId: 'acct-1',
    type: 'authorization',
    amount: 1250,
    currency: 'EUR',
    occurredAt: '2026-01-31T12:00:00Z',
    ...overrides,
  };
}

const identifierChars = fc.constantFrom(
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-',
);
const identifier = fc.string({ unit: identifierChars, minLength: 1, maxLength: 40 });

/** Any valid payment event (fast-check arbitrary). */
export const validPaymentEvent: fc.Arbitrary<PaymentEvent> = fc.record(
  {
    eventId: identifier,
    accountId: identifier,
    type: fc.constantFrom(...PAYMENT_TYPES),
    amount: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    currency: fc.constantFrom('EUR', 'USD', 'JPY', 'GBP', 'CHF', 'SEK'),
    occurredAt: fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2099-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((date) => date.toISOString()),
    metadata: fc.option(
      fc.dictionary(
        fc.string({ minLength: 1, maxLength: 64 }).filter((key) => key !== '__proto__'),
        fc.string({ maxLength: 256 }),
        { maxKeys: 20 },
      ),
      { nil: undefined },
    ),
  },
  { requiredKeys: ['eventId', 'accountId', 'type', 'amount', 'currency', 'occurredAt'] },
);
