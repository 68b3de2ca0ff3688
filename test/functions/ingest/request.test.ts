import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestRejected } from '../../../functions/ingest/errors';
import { parseIngestRequest } from '../../../functions/ingest/request';
import { readIngestSettings } from '../../../functions/ingest/settings';
import { eventFixture, httpApiEvent, jsonPost } from '../../helpers/api-gateway';
import { paymentEvent, validPaymentEvent } from '../../helpers/payment-events';
import { malformedRequest } from './malformed-requests';

const { limits } = readIngestSettings({ KAFKA_BROKERS: '127.0.0.1:9092', EVENTS_TOPIC: 'payments' });

function rejection(run: () => unknown): RequestRejected {
  try {
    run();
  } catch (error) {
    if (error instanceof RequestRejected) return error;
    throw error;
  }
  throw new Error('expected the request to be rejected, but it was accepted');
}

describe('parseIngestRequest: accepted requests', () => {
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

  it('accepts the header and the field when they carry the same key', () => {
    const event = paymentEvent();

    const request = parseIngestRequest(jsonPost(event, { 'Idempotency-Key': event.eventId }), limits);

    expect(request).toEqual({ form: 'single', event });
  });

  it('reads a batch in request order', () => {
    const request = parseIngestRequest(eventFixture('ingest-batch.json'), limits);

    expect(request.form === 'batch' && request.events.map((event) => event.eventId)).toEqual([
      'evt-0001',
      'evt-0002',
      'evt-0003',
    ]);
  });

  it('accepts a UTF-8 charset parameter and a base64-encoded body', () => {
    const event = paymentEvent({ metadata: { note: 'café ☕' } });

    const request = parseIngestRequest(
      httpApiEvent({
        body: event,
        base64: true,
        headers: { 'Content-Type': 'application/json; charset="UTF-8"' },
      }),
      limits,
    );

    expect(request).toEqual({ form: 'single', event });
  });

  it('accepts every valid event, as a single request and inside a batch', () => {
    fc.assert(
      fc.property(validPaymentEvent, (event) => {
        expect(parseIngestRequest(jsonPost(event), limits)).toEqual({ form: 'single', event });
        expect(parseIngestRequest(jsonPost([event]), limits)).toEqual({ form: 'batch', events: [event] });
      }),
    );
  });
});

describe('parseIngestRequest: rejected requests name the field and the problem', () => {
  it('refuses a method other than POST with 405 and Allow', () => {
    const rejected = rejection(() => parseIngestRequest(httpApiEvent({ method: 'GET' }), limits));

    expect(rejected.statusCode).toBe(405);
    expect(rejected.headers).toEqual({ Allow: 'POST' });
    expect(rejected.issues).toEqual([{ field: 'method', problem: 'must be POST, got GET' }]);
  });

  it.each([
    ['missing', {}],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['a non-UTF-8 charset', { 'content-type': 'application/json; charset=iso-8859-1' }],
  ])('refuses a %s content type with 415', (_, headers) => {
    const rejected = rejection(() =>
      parseIngestRequest(httpApiEvent({ body: paymentEvent(), headers }), limits),
    );

    expect(rejected.statusCode).toBe(415);
    expect(rejected.issues[0]?.field).toBe('Content-Type');
  });

  it('refuses invalid JSON with 400 and where it broke', () => {
    const rejected = rejection(() => parseIngestRequest(jsonPost('{"eventId": "a",'), limits));

    expect(rejected.statusCode).toBe(400);
    expect(rejected.code).toBe('INVALID_JSON');
    expect(rejected.message).toMatch(/not valid JSON: .+/);
  });

  it('refuses an empty body and a base64 body that is not UTF-8 with 400', () => {
    const empty = rejection(() => parseIngestRequest(jsonPost(''), limits));
    const binary = jsonPost('');
    binary.body = Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('base64');
    binary.isBase64Encoded = true;
    const notUtf8 = rejection(() => parseIngestRequest(binary, limits));

    expect([empty.statusCode, empty.code]).toEqual([400, 'INVALID_JSON']);
    expect(notUtf8.message).toMatch(/not valid UTF-8/);
  });

  it('refuses a single event over its byte limit with 413, but allows that size for a batch', () => {
    const padding = ' '.repeat(limits.maxEventBytes);
    const single = rejection(() =>
      parseIngestRequest(jsonPost(`${JSON.stringify(paymentEvent())}${padding}`), limits),
    );
    const batch = parseIngestRequest(jsonPost(`[${JSON.stringify(paymentEvent())}]${padding}`), limits);

    expect(single.statusCode).toBe(413);
    expect(single.message).toContain(`at most ${limits.maxEventBytes} bytes`);
    expect(batch.form).toBe('batch');
  });

  it('refuses a batch over its byte limit or its event count with 413', () => {
    const tooLong = jsonPost(`[${JSON.stringify(paymentEvent())}${' '.repeat(limits.maxBatchBytes)}]`);
    const tooMany = jsonPost(Array.from({ length: limits.maxBatchEvents + 1 }, () => paymentEvent()));

    expect(rejection(() => parseIngestRequest(tooLong, limits)).statusCode).toBe(413);
    const rejected = rejection(() => parseIngestRequest(tooMany, limits));
    expect(rejected.statusCode).toBe(413);
    expect(rejected.message).toBe(
      `the batch has ${limits.maxBatchEvents + 1} events; at most 100 are allowed`,
    );
  });

  it('refuses an event with neither an eventId nor an Idempotency-Key with 400, listing other problems too', () => {
    const { eventId: _eventId, ...withoutKey } = paymentEvent();

    const rejected = rejection(() => parseIngestRequest(jsonPost({ ...withoutKey, amount: -5 }), limits));

    expect(rejected.statusCode).toBe(400);
    expect(rejected.code).toBe('MISSING_IDEMPOTENCY_KEY');
    expect(rejected.issues).toEqual([
      { field: '$.eventId', problem: 'is required (or send the Idempotency-Key header)' },
      { field: '$.amount', problem: 'amount must be greater than 0' },
    ]);
  });

  it('refuses an Idempotency-Key that differs from eventId with 400 saying so', () => {
    const rejected = rejection(() =>
      parseIngestRequest(
        jsonPost(paymentEvent({ eventId: 'evt-a' }), { 'Idempotency-Key': 'evt-b' }),
        limits,
      ),
    );

    expect(rejected.statusCode).toBe(400);
    expect(rejected.issues).toEqual([
      { field: 'Idempotency-Key', problem: 'is "evt-b" but $.eventId is "evt-a"; they must be equal' },
    ]);
  });

  it('names the header when the key it carries is not a valid event id', () => {
    const { eventId: _eventId, ...withoutKey } = paymentEvent();

    const rejected = rejection(() =>
      parseIngestRequest(jsonPost(withoutKey, { 'Idempotency-Key': 'a b' }), limits),
    );

    expect(rejected.statusCode).toBe(422);
    expect(rejected.issues).toEqual([
      { field: 'Idempotency-Key', problem: 'eventId may only contain letters, digits and . _ : -' },
    ]);
  });

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

  it('rejects a whole batch for one bad event, naming it by index', () => {
    const batch = [paymentEvent(), { ...paymentEvent(), currency: 'XXXX' }, paymentEvent()];

    const rejected = rejection(() => parseIngestRequest(jsonPost(batch), limits));

    expect(rejected.statusCode).toBe(422);
    expect(rejected.message).toMatch(/nothing was published/);
    expect(rejected.issues).toEqual([
      { field: '$[1].currency', problem: 'currency must be an ISO 4217 code such as "EUR"' },
    ]);
  });

  it('refuses a batch with a repeated event id, an event without one, or an Idempotency-Key header', () => {
    const repeated = paymentEvent();
    const { eventId: _eventId, ...withoutKey } = paymentEvent();

    const duplicate = rejection(() =>
      parseIngestRequest(jsonPost([repeated, paymentEvent(), repeated]), limits),
    );
    const missing = rejection(() => parseIngestRequest(jsonPost([paymentEvent(), withoutKey]), limits));
    const withHeader = rejection(() =>
      parseIngestRequest(jsonPost([paymentEvent()], { 'Idempotency-Key': 'k' }), limits),
    );

    expect(duplicate.issues).toEqual([
      { field: '$[2].eventId', problem: `duplicates $[0].eventId "${repeated.eventId}"` },
    ]);
    expect([missing.statusCode, missing.code, missing.issues[0]?.field]).toEqual([
      400,
      'MISSING_IDEMPOTENCY_KEY',
      '$[1].eventId',
    ]);
    expect([withHeader.statusCode, withHeader.code, withHeader.issues[0]?.field]).toEqual([
      400,
      'IDEMPOTENCY_KEY_WITH_BATCH',
      'Idempotency-Key',
    ]);
  });

  it('refuses an empty batch and a body that is not an event', () => {
    expect(rejection(() => parseIngestRequest(jsonPost([]), limits)).issues).toEqual([
      { field: '$', problem: 'must contain at least one event' },
    ]);
    expect(rejection(() => parseIngestRequest(jsonPost('42'), limits)).issues).toEqual([
      { field: '$', problem: 'must be a payment event object, got a number' },
    ]);
  });

  it('refuses every malformed request with a 4xx that names at least one field and problem', () => {
    fc.assert(
      fc.property(malformedRequest, ({ event }) => {
        const rejected = rejection(() => parseIngestRequest(event, limits));
        expect(rejected.statusCode).toBeGreaterThanOrEqual(400);
        expect(rejected.statusCode).toBeLessThan(500);
        expect(rejected.issues.length).toBeGreaterThan(0);
        for (const issue of rejected.issues) {
          expect(issue.field).not.toBe('');
          expect(issue.problem).not.toBe('');
        }
      }),
      { numRuns: 500 },
    );
  });
});
