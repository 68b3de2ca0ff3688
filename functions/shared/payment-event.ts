import { z } from 'zod';

/** ISO 4217 codes as known to this runtime's ICU data; rejecting unknown codes keeps "USX" out of the ledger. */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export const PAYMENT_TYPES = ['authorization', 'capture', 'refund', 'void', 'chargeback'] as const;

const identifier = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(128, `${what} must be at most 128 characters`)
    .regex(/^[A-Za-z0-9._:-]+$/, `${what} may only contain letters, digits and . _ : -`);

/**
 * A payment event, defined once: the TypeScript type and the validation both come from this schema.
 * Amounts are integer minor units (cents) with their currency, never floating point.
 */
export const PaymentEventSchema = z
  .object({
    /** The client's idempotency key: retries of the same payment carry the same event id. */
    eventId: identifier('eventId'),
    /** The record key: one account's events stay in order on one partition. */
    accountId: identifier('accountId'),
    type: z.enum(PAYMENT_TYPES, { error: `type must be one of ${PAYMENT_TYPES.join(', ')}` }),
    amount: z
      .number({ error: 'amount must be a number of minor units' })
      .int('amount must be an integer number of minor units (e.g. cents), not a fraction')
      .positive('amount must be greater than 0')
      .max(Number.MAX_SAFE_INTEGER, 'amount is too large'),
    currency: z
      .string({ error: 'currency must be a string' })
      .refine((code) => CURRENCIES.has(code), 'currency must be an ISO 4217 code such as "EUR"'),
    occurredAt: z.iso.datetime({
      offset: true,
      error: 'occurredAt must be an ISO 8601 timestamp such as 2026-01-31T12:00:00Z',
    }),
    metadata: z
      .record(
        z.string().max(64, 'metadata keys must be at most 64 characters'),
        z.string().max(256, 'metadata values must be at most 256 characters'),
      )
      .refine((entries) => Object.keys(entries).length <= 20, 'metadata may have at most 20 entries')
      .optional(),
  })
  .strict();

export type PaymentEvent = z.infer<typeof PaymentEventSchema>;
