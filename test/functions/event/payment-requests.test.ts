import { describe, expect, it } from 'vitest';
import { parseIngestRequest } from '../../../functions/ingest/request';
import { eventFixture, jsonPost } from '../../helpers/api-gateway';
import {
  expectEachAccepted,
  expectEachRefused,
  expectReadFromBase64,
  limits,
  rejection,
} from '../ingest/support';
import { malformedPaymentRequest } from './malformed-payments';
import { paymentEvent, validPaymentEvent } from './payment-events';

/**
 * The payment example through the ingest request parser: its field rules, its recorded requests
 * (test/events/ingest-*.json) and the 422 answers that name its fields. A fork for another event type
 * replaces this folder along with functions/event/; the parser's generic behaviour is tested in
 * test/functions/ingest/ with whatever definition the pipeline carries.
 */
describe('parseIngestRequest with the payment definition: accepted requests', () => {
  it('reads a single event recorded from API Gateway', () => {
    const request = parseIngestRequest(eventFixture('ingest-single.json'), limits);

    expect(request).toEqual({
      form: 'single',
      event: {
        eventId: 'evt-0001',
        accountId: 'acct-42',
        type: 'authorization',
        amount: 1250,
        currency: 'EUR',
        occurredAt: '2026-01-31T12:00:00Z',
        metadata: { channel: 'web' },
      },
    });
  });

  it('takes the event id from the Idempotency-Key header when the body has none', () => {
    const request = parseIngestRequest(eventFixture('ingest-idempotency-key-header.json'), limits);

    expect(request.form === 'single' && request.event.eventId).toBe('refund-7-0001');
  });

  it('reads a batch in request order', () => {
    const request = parseIngestRequest(eventFixture('ingest-batch.json'), limits);

    expect(request.form === 'batch' && request.events.map((event) => event.eventId)).toEqual([
      'evt-0001',
      'evt-0002',
      'evt-0003',
    ]);
  });

  it('accepts a non-ASCII metadata value sent base64-encoded with a UTF-8 charset parameter', () => {
    expectReadFromBase64(paymentEvent({ metadata: { note: 'café ☕' } }));
  });

  it('accepts every valid payment, as a single request and inside a batch', () => {
    expectEachAccepted(validPaymentEvent);
  });
});

describe('parseIngestRequest with the payment definition: refused requests name its fields', () => {
  it('refuses schema violations with 422 and one { field, problem } per field', () => {
    const body = {
      ...paymentEvent(),
      amount: 12.5,
      currency: 'EURO',
      riskScore: 3,
      metadata: { ['k'.repeat(65)]: 'v' },
    };

    const rejected = rejection(() => parseIngestRequest(jsonPost(body), limits));

    expect(rejected.statusCode).toBe(422);
    expect(rejected.issues).toEqual([
      {
        field: '$.amount',
        problem: 'amount must be an integer number of minor units (e.g. cents), not a fraction',
      },
      { field: '$.currency', problem: 'currency must be an ISO 4217 code such as "EUR"' },
      { field: `$.metadata.${'k'.repeat(65)}`, problem: 'metadata keys must be at most 64 characters' },
      { field: '$.riskScore', problem: 'is not a field of a payment event' },
    ]);
  });

  it('says "is required" for an absent field and what it must be for a wrong one', () => {
    const { type: _type, ...withoutType } = paymentEvent();

    const absent = rejection(() => parseIngestRequest(jsonPost(withoutType), limits));
    const wrong = rejection(() => parseIngestRequest(jsonPost({ ...paymentEvent(), occurredAt: 1 }), limits));

    expect(absent.issues).toEqual([{ field: '$.type', problem: 'type is required' }]);
    expect(wrong.issues).toEqual([
      {
        field: '$.occurredAt',
        problem: 'occurredAt must be an ISO 8601 timestamp such as 2026-01-31T12:00:00Z',
      },
    ]);
  });

  it('refuses a metadata "__proto__" key instead of silently dropping it', () => {
    const text = `${JSON.stringify(paymentEvent()).slice(0, -1)},"metadata":{"__proto__":"x"}}`;

    const rejected = rejection(() => parseIngestRequest(jsonPost(text), limits));

    expect(rejected.issues).toEqual([
      { field: '$.metadata.__proto__', problem: 'metadata keys must not be "__proto__"' },
    ]);
  });

  it('refuses a payment without an eventId or an Idempotency-Key with 400, listing its other problems too', () => {
    const { eventId: _eventId, ...withoutKey } = paymentEvent();

    const rejected = rejection(() => parseIngestRequest(jsonPost({ ...withoutKey, amount: -5 }), limits));

    expect(rejected.statusCode).toBe(400);
    expect(rejected.code).toBe('MISSING_IDEMPOTENCY_KEY');
    expect(rejected.issues).toEqual([
      { field: '$.eventId', problem: 'is required (or send the Idempotency-Key header)' },
      { field: '$.amount', problem: 'amount must be greater than 0' },
    ]);
  });

  it('rejects a whole batch for one payment with a bad currency, naming it by index', () => {
    const batch = [paymentEvent(), { ...paymentEvent(), currency: 'XXXX' }, paymentEvent()];

    const rejected = rejection(() => parseIngestRequest(jsonPost(batch), limits));

    expect(rejected.statusCode).toBe(422);
    expect(rejected.issues).toEqual([
      { field: '$[1].currency', problem: 'currency must be an ISO 4217 code such as "EUR"' },
    ]);
  });

  it('names unknown fields as JSONPath, quoting names that are not identifiers', () => {
    const refused = rejection(() =>
      parseIngestRequest(jsonPost({ ...paymentEvent(), 'not-a-name': 1, extra_1: 2 }), limits),
    );
    expect(refused.issues.map((issue) => issue.field).sort()).toEqual(['$.extra_1', '$["not-a-name"]']);
    expect(refused.issues[0]?.problem).toBe('is not a field of a payment event');
  });

  it('refuses every request that breaks a payment field rule with a 4xx naming a field and a problem', () => {
    expectEachRefused(malformedPaymentRequest);
  });
});
