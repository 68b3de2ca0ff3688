/**
 * The payment event, defined once: the TypeScript type and the validation both come from this schema.
 * Written with zod's tree-shakable "mini" API: the classic API bundles all of zod (about 450 KB minified),
 * the mini API only what is used (about 20 KB), and the ingest bundle is held to a size budget.
 */
import * as z from 'zod/mini';

/** ISO 4217 codes as known to this runtime's ICU data; rejecting unknown codes keeps "USX" out of the ledger. */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export const PAYMENT_TYPES = ['authorization', 'capture', 'refund', 'void', 'chargeback'] as const;

export const METADATA_LIMITS = { entries: 20, keyLength: 64, valueLength: 256 } as const;

interface RawIssue {
  readonly code?: string;
  readonly input?: unknown;
  readonly format?: string;
  readonly keys?: readonly string[];
}

/**
 * For a value of the wrong type or format: "is required" when the field is absent, otherwise what it must
 * be, so the client learns which one it was.
 */
const requiredAs =
  (what: string, expected: string) =>
  (issue: RawIssue): string =>
    issue.input === undefined ? `${what} is required` : `${what} must be ${expected}`;

const identifier = (what: string) =>
  z
    .string({ error: requiredAs(what, 'a string') })
    .check(
      z.minLength(1, `${what} must not be empty`),
      z.maxLength(128, `${what} must be at most 128 characters`),
      z.regex(/^[A-Za-z0-9._:-]+$/, `${what} may only contain letters, digits and . _ : -`),
    );

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
  {
    error: (issue: RawIssue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${(issue.keys ?? []).join(', ')}`
        : requiredAs('payment event', 'a JSON object')(issue),
  },
);

export type PaymentEvent = z.infer<typeof PaymentEventSchema>;
