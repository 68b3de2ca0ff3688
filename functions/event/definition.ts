/**
 * The event this pipeline carries, defined once: a payment. Everything else reads events through
 * `eventDefinition` (functions/shared/event-definition.ts says what each part is for); a fork for another
 * event type rewrites this module and `effect.ts`, and nothing else names an event field.
 *
 * The schema is written with zod's tree-shakable "mini" API: the classic API bundles all of zod (about
 * 450 KB minified), the mini API only what is used (about 20 KB), and the ingest bundle is held to a size
 * budget.
 *
 * Event id versus entity id: `eventId` is the idempotency key of one payment event, chosen by the client
 * and the same on every retry; it is not the payment's or the account's id. An authorization and the capture
 * of the same payment are two events with two ids (e.g. `${paymentId}:capture`); reusing an entity id as the
 * event id makes every later event of that entity a DUPLICATE. The account id is the ordering key.
 */
import * as z from 'zod/mini';
import { defineEvent } from '../shared/event-definition';
import { identifier, objectError, type RawIssue, requiredAs } from '../shared/schema-fields';
import { paymentEffect } from './effect';

/** ISO 4217 codes as known to this runtime's ICU data; rejecting unknown codes keeps "USX" out of the ledger. */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export const PAYMENT_TYPES = ['authorization', 'capture', 'refund', 'void', 'chargeback'] as const;

export const METADATA_LIMITS = { entries: 20, keyLength: 64, valueLength: 256 } as const;

/** Integer minor units: a fraction, a string or a number beyond 2^53 - 1 each get their own message. */
const amount = z
  .int({
    error: (issue: RawIssue) => {
      if (issue.input === undefined) return 'amount is required';
      if (issue.code === 'too_big' || issue.code === 'too_small') return 'amount is too large';
      if (issue.format === 'safeint') {
        return 'amount must be an integer number of minor units (e.g. cents), not a fraction';
      }
      return 'amount must be a number of minor units';
    },
  })
  .check(z.positive('amount must be greater than 0'));

/**
 * Free-form string pairs. JSON.parse keeps a "__proto__" key as an own property, but zod's record skips it
 * silently; reject it rather than publish an event that lost part of what the client sent.
 */
const metadata = z.pipe(
  z.unknown().check(
    z.refine((value) => !(typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')), {
      message: 'metadata keys must not be "__proto__"',
      path: ['__proto__'],
    }),
  ),
  z
    .record(
      z
        .string()
        .check(
          z.minLength(1, 'metadata keys must not be empty'),
          z.maxLength(
            METADATA_LIMITS.keyLength,
            `metadata keys must be at most ${METADATA_LIMITS.keyLength} characters`,
          ),
        ),
      z
        .string({ error: 'metadata values must be strings' })
        .check(
          z.maxLength(
            METADATA_LIMITS.valueLength,
            `metadata values must be at most ${METADATA_LIMITS.valueLength} characters`,
          ),
        ),
      { error: requiredAs('metadata', 'an object of string values') },
    )
    .check(
      z.refine(
        (entries) => Object.keys(entries).length <= METADATA_LIMITS.entries,
        `metadata may have at most ${METADATA_LIMITS.entries} entries`,
      ),
    ),
);

/** Amounts are integer minor units (cents) with their currency, never floating point. */
export const PaymentEventSchema = z.strictObject(
  {
    /** The client's idempotency key: retries of the same payment carry the same event id. */
    eventId: identifier('eventId'),
    /** The record key: one account's events stay in order on one partition. */
    accountId: identifier('accountId'),
    type: z.enum(PAYMENT_TYPES, { error: requiredAs('type', `one of ${PAYMENT_TYPES.join(', ')}`) }),
    amount,
    currency: z
      .string({ error: requiredAs('currency', 'a string') })
      .check(z.refine((code) => CURRENCIES.has(code), 'currency must be an ISO 4217 code such as "EUR"')),
    occurredAt: z.iso.datetime({
      offset: true,
      error: requiredAs('occurredAt', 'an ISO 8601 timestamp such as 2026-01-31T12:00:00Z'),
    }),
    metadata: z.optional(metadata),
  },
  { error: objectError('payment event') },
);

export type PaymentEvent = z.infer<typeof PaymentEventSchema>;

/** The payment definition: what the ingest, consume and status functions, the demo and benchmarks use. */
export const eventDefinition = defineEvent({
  noun: { singular: 'payment', plural: 'payments' },
  schema: PaymentEventSchema,
  idField: 'eventId',
  orderingKey: (payment: PaymentEvent) => payment.accountId,
  effect: paymentEffect,
  sample: (eventId: string, group: number): PaymentEvent => ({
    eventId,
    accountId: `acct-${group}`,
    type: 'capture',
    amount: 100 + ((group * 7919) % 900),
    currency: 'EUR',
    occurredAt: '2026-11-23T10:00:00Z',
  }),
});
