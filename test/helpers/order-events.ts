import * as z from 'zod/mini';
import { defineEvent, type EffectWrite } from '../../functions/shared/event-definition';
import { identifier, objectError, requiredAs } from '../../functions/shared/schema-fields';

/**
 * A second event type, for tests only: orders. The order id is the idempotency key (one order, one event
 * here), the customer id the ordering key, and applying an order counts it on its customer's item in the
 * same ledger transaction. Shared code that assumes a payment fails the tests that run this definition.
 */
export const OrderEventSchema = z.strictObject(
  {
    orderId: identifier('orderId'),
    customerId: identifier('customerId'),
    quantity: z
      .int({ error: requiredAs('quantity', 'an integer') })
      .check(z.positive('quantity must be greater than 0')),
    placedAt: z.iso.datetime({ offset: true, error: requiredAs('placedAt', 'an ISO 8601 timestamp') }),
  },
  { error: objectError('order event') },
);

export type OrderEvent = z.infer<typeof OrderEventSchema>;

/** The customer's order count: one item per customer, written by every order of that customer. */
export function customerOrdersKey(customerId: string) {
  return { pk: `CUSTOMER#${customerId}`, sk: 'ORDERS' };
}

export const orderEffect = (order: OrderEvent): EffectWrite[] => [
  {
    key: customerOrdersKey(order.customerId),
    add: { orderCount: 1, quantity: order.quantity },
    set: { lastOrderId: order.orderId },
  },
];

export const orderDefinition = defineEvent({
  noun: { singular: 'order', plural: 'orders' },
  schema: OrderEventSchema,
  idField: 'orderId',
  orderingKey: (order: OrderEvent) => order.customerId,
  effect: orderEffect,
  sample: (orderId: string, group: number): OrderEvent => ({
    orderId,
    customerId: `cust-${group}`,
    quantity: 1 + (group % 5),
    placedAt: '2026-11-23T10:00:00Z',
  }),
});
