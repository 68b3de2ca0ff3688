import fc from 'fast-check';
import type { PaymentEvent } from '../../../functions/event/definition';
import { jsonPost } from '../../helpers/api-gateway';
import { batchWithOneBad, type MalformedRequest, malformedRequest } from '../ingest/malformed-requests';
import { validPaymentEvent } from './payment-events';

/** Requests the payment schema's field rules must refuse, besides every generic malformed request. */

type Field = keyof PaymentEvent;

/** Values each field must refuse: wrong types, out of range, wrong format. `undefined` means "absent". */
const badValues: Record<Exclude<Field, 'eventId' | 'metadata'>, fc.Arbitrary<unknown>> = {
  accountId: fc.oneof(
    fc.constant(undefined),
    fc.constant(''),
    fc.string({ minLength: 129, maxLength: 140, unit: fc.constant('a') }),
    fc.constantFrom('acct 1', 'acct/1', 'ü', 'a,b'),
    fc.integer(),
  ),
  type: fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('Authorization', 'payout', '', 'refund '),
    fc.integer(),
  ),
  amount: fc.oneof(
    fc.constant(undefined),
    fc.integer({ max: 0 }),
    fc.double({ min: 0.001, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)),
    fc.constant(2 ** 53),
    fc.constantFrom('100', null, true),
  ),
  currency: fc.oneof(fc.constant(undefined), fc.constantFrom('eur', 'EURO', 'XYZ1', '', 'US'), fc.integer()),
  occurredAt: fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('2026-01-31', '31/01/2026 12:00', 'yesterday', '2026-13-01T00:00:00Z', ''),
    fc.integer(),
  ),
};

const corruptField = fc
  .tuple(validPaymentEvent, fc.constantFrom(...(Object.keys(badValues) as (keyof typeof badValues)[])))
  .chain(([event, field]) =>
    badValues[field].map((value): MalformedRequest => {
      const body: Record<string, unknown> = { ...event };
      if (value === undefined) delete body[field];
      else body[field] = value;
      return { why: `${field} = ${JSON.stringify(value)}`, event: jsonPost(body) };
    }),
  );

const badMetadata = fc
  .tuple(
    validPaymentEvent,
    fc.oneof(
      fc.constant<unknown>('not an object'),
      fc.constant<unknown>(['a']),
      fc.constant<unknown>({ k: 1 }),
      fc.constant<unknown>({ ['k'.repeat(65)]: 'v' }),
      fc.constant<unknown>({ k: 'v'.repeat(257) }),
      fc.constant<unknown>(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']))),
    ),
  )
  .map(
    ([event, metadata]): MalformedRequest => ({
      why: `metadata = ${JSON.stringify(metadata)}`,
      event: jsonPost({ ...event, metadata }),
    }),
  );

const protoMetadata = validPaymentEvent.map(
  (event): MalformedRequest => ({
    why: 'metadata with a __proto__ key',
    event: jsonPost(`${JSON.stringify(event).slice(0, -1)},"metadata":{"__proto__":"x"}}`),
  }),
);

const unknownField = fc
  .tuple(
    validPaymentEvent,
    fc
      .string({ minLength: 1, maxLength: 12 })
      .filter(
        (key) =>
          ![
            'eventId',
            'accountId',
            'type',
            'amount',
            'currency',
            'occurredAt',
            'metadata',
            '__proto__',
          ].includes(key),
      ),
  )
  .map(
    ([event, key]): MalformedRequest => ({
      why: `extra field ${key}`,
      event: jsonPost({ ...event, [key]: 1 }),
    }),
  );

/** Every kind of request the ingest function must refuse for a payment, generic ones included. */
export const malformedPaymentRequest: fc.Arbitrary<MalformedRequest> = fc.oneof(
  corruptField,
  badMetadata,
  protoMetadata,
  unknownField,
  batchWithOneBad(validPaymentEvent, (event) => event.eventId, corruptField),
  malformedRequest,
);
