import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  eventDefinition,
  METADATA_LIMITS,
  type PaymentEvent,
  PaymentEventSchema,
} from '../../../functions/event/definition';
import { anEvent, eventRoutes } from '../../../functions/shared/event-definition';
import { orderDefinition } from '../../helpers/order-events';
import { paymentEvent, validPaymentEvent } from './payment-events';

function problems(input: unknown): string[] {
  const result = PaymentEventSchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('PaymentEventSchema', () => {
  it('accepts any valid event unchanged', () => {
    fc.assert(
      fc.property(validPaymentEvent, (event) => {
        expect(PaymentEventSchema.parse(event)).toEqual(event);
      }),
    );
  });

  it('keeps amounts integral minor units', () => {
    expect(problems({ ...paymentEvent(), amount: 10.5 })).toEqual([
      'amount: amount must be an integer number of minor units (e.g. cents), not a fraction',
    ]);
    expect(problems({ ...paymentEvent(), amount: 0 })).toEqual(['amount: amount must be greater than 0']);
    expect(problems({ ...paymentEvent(), amount: '100' })).toEqual([
      'amount: amount must be a number of minor units',
    ]);
  });

  it('accepts ISO 4217 currencies only', () => {
    expect(problems(paymentEvent({ currency: 'JPY' }))).toEqual([]);
    expect(problems(paymentEvent({ currency: 'usd' }))).toEqual([
      'currency: currency must be an ISO 4217 code such as "EUR"',
    ]);
  });

  it('accepts timestamps with an offset and refuses dates without a time', () => {
    expect(problems(paymentEvent({ occurredAt: '2026-01-31T12:00:00.123+05:30' }))).toEqual([]);
    expect(problems(paymentEvent({ occurredAt: '2026-01-31' }))).toEqual([
      'occurredAt: occurredAt must be an ISO 8601 timestamp such as 2026-01-31T12:00:00Z',
    ]);
  });

  it('bounds metadata', () => {
    const tooMany = Object.fromEntries(
      Array.from({ length: METADATA_LIMITS.entries + 1 }, (_, i) => [`k${i}`, 'v']),
    );

    expect(problems({ ...paymentEvent(), metadata: tooMany })).toEqual([
      `metadata: metadata may have at most ${METADATA_LIMITS.entries} entries`,
    ]);
    expect(problems({ ...paymentEvent(), metadata: { k: 1 } })).toEqual([
      'metadata.k: metadata values must be strings',
    ]);
  });

  it('refuses fields it does not know', () => {
    expect(problems({ ...paymentEvent(), amountInEuros: 12.5 })).toEqual([
      ': unknown field(s): amountInEuros',
    ]);
  });

  it('derives the TypeScript type from the schema', () => {
    const event: PaymentEvent = paymentEvent({ type: 'chargeback' });

    expect(PaymentEventSchema.parse(event).type).toBe('chargeback');
  });
});

describe('eventDefinition', () => {
  it('derives the routes and the event id from its parts', () => {
    expect(eventRoutes(eventDefinition)).toEqual({ collection: '/payments', item: '/payments/{eventId}' });
    const sample = eventDefinition.sample('pay-0001', 4);
    expect(PaymentEventSchema.parse(sample)).toEqual(sample);
    expect(eventDefinition.eventId(sample)).toBe('pay-0001');
    expect(eventDefinition.orderingKey(sample)).toBe(sample.accountId);
  });

  it('names another event type with its own noun and id field', () => {
    expect(eventRoutes(orderDefinition)).toEqual({ collection: '/orders', item: '/orders/{orderId}' });
    expect(anEvent(orderDefinition)).toBe('an order event');
    expect(anEvent(eventDefinition)).toBe('a payment event');
  });
});
