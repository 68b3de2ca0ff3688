import { describe, expect, it } from 'vitest';
import { eventDefinition } from '../../../functions/event/definition';
import { parseIngestRequest } from '../../../functions/ingest/request';
import { anEvent } from '../../../functions/shared/event-definition';
import { httpApiEvent, jsonPost } from '../../helpers/api-gateway';
import { idOf, uniqueEvent, withoutId } from '../../helpers/sample-events';
import { malformedRequest, validEvent } from './malformed-requests';
import { expectEachAccepted, expectEachRefused, expectReadFromBase64, limits, rejection } from './support';

/**
 * The ingest request parser with the pipeline's own event definition: what holds for any event type. The
 * payment example's field rules are tested in test/functions/event/payment-requests.test.ts.
 */
const { idField } = eventDefinition;

describe('parseIngestRequest: accepted requests', () => {
  it('accepts the header and the field when they carry the same key', () => {
    const event = uniqueEvent();

    const request = parseIngestRequest(jsonPost(event, { 'Idempotency-Key': idOf(event) }), limits);

    expect(request).toEqual({ form: 'single', event });
  });

  it('accepts a UTF-8 charset parameter and a base64-encoded body', () => {
    expectReadFromBase64(uniqueEvent());
  });

  it('accepts every valid event, as a single request and inside a batch', () => {
    expectEachAccepted(validEvent);
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
      parseIngestRequest(httpApiEvent({ body: uniqueEvent(), headers }), limits),
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
      parseIngestRequest(jsonPost(`${JSON.stringify(uniqueEvent())}${padding}`), limits),
    );
    const batch = parseIngestRequest(jsonPost(`[${JSON.stringify(uniqueEvent())}]${padding}`), limits);

    expect(single.statusCode).toBe(413);
    expect(single.message).toContain(`at most ${limits.maxEventBytes} bytes`);
    expect(batch.form).toBe('batch');
  });

  it('refuses a batch over its byte limit or its event count with 413', () => {
    const tooLong = jsonPost(`[${JSON.stringify(uniqueEvent())}${' '.repeat(limits.maxBatchBytes)}]`);
    const tooMany = jsonPost(Array.from({ length: limits.maxBatchEvents + 1 }, () => uniqueEvent()));

    expect(rejection(() => parseIngestRequest(tooLong, limits)).statusCode).toBe(413);
    const rejected = rejection(() => parseIngestRequest(tooMany, limits));
    expect(rejected.statusCode).toBe(413);
    expect(rejected.message).toBe(
      `the batch has ${limits.maxBatchEvents + 1} events; at most 100 are allowed`,
    );
  });

  it('refuses an event with neither an id field nor an Idempotency-Key with 400, listing other problems too', () => {
    // An empty object: no id, and every other required field of the schema missing as well.
    const rejected = rejection(() => parseIngestRequest(jsonPost({}), limits));

    expect(rejected.statusCode).toBe(400);
    expect(rejected.code).toBe('MISSING_IDEMPOTENCY_KEY');
    expect(rejected.issues[0]).toEqual({
      field: `$.${idField}`,
      problem: 'is required (or send the Idempotency-Key header)',
    });
    const others = rejected.issues.slice(1);
    expect(others.length).toBeGreaterThan(0);
    for (const issue of others) {
      expect(issue.field).toMatch(/^\$\.\S/);
      expect(issue.field).not.toBe(`$.${idField}`);
    }
  });

  it('refuses an Idempotency-Key that differs from the id field with 400 saying so', () => {
    const rejected = rejection(() =>
      parseIngestRequest(
        jsonPost({ ...uniqueEvent(), [idField]: 'evt-a' }, { 'Idempotency-Key': 'evt-b' }),
        limits,
      ),
    );

    expect(rejected.statusCode).toBe(400);
    expect(rejected.issues).toEqual([
      { field: 'Idempotency-Key', problem: `is "evt-b" but $.${idField} is "evt-a"; they must be equal` },
    ]);
  });

  it('names the header when the key it carries is not a valid event id', () => {
    const rejected = rejection(() =>
      parseIngestRequest(jsonPost(withoutId(uniqueEvent()), { 'Idempotency-Key': 'a b' }), limits),
    );

    expect(rejected.statusCode).toBe(422);
    expect(rejected.issues).toEqual([
      { field: 'Idempotency-Key', problem: `${idField} may only contain letters, digits and . _ : -` },
    ]);
  });

  it('rejects a whole batch for one bad event, naming it by index', () => {
    const batch = [uniqueEvent(), { ...uniqueEvent(), [idField]: 'a/b' }, uniqueEvent()];

    const rejected = rejection(() => parseIngestRequest(jsonPost(batch), limits));

    expect(rejected.statusCode).toBe(422);
    expect(rejected.message).toMatch(/nothing was published/);
    expect(rejected.issues).toEqual([
      { field: `$[1].${idField}`, problem: `${idField} may only contain letters, digits and . _ : -` },
    ]);
  });

  it('refuses a batch with a repeated event id, an event without one, or an Idempotency-Key header', () => {
    const repeated = uniqueEvent();
    const withoutKey = withoutId(uniqueEvent());

    const duplicate = rejection(() =>
      parseIngestRequest(jsonPost([repeated, uniqueEvent(), repeated]), limits),
    );
    const missing = rejection(() => parseIngestRequest(jsonPost([uniqueEvent(), withoutKey]), limits));
    const withHeader = rejection(() =>
      parseIngestRequest(jsonPost([uniqueEvent()], { 'Idempotency-Key': 'k' }), limits),
    );

    expect(duplicate.issues).toEqual([
      { field: `$[2].${idField}`, problem: `duplicates $[0].${idField} "${idOf(repeated)}"` },
    ]);
    expect([missing.statusCode, missing.code, missing.issues[0]?.field]).toEqual([
      400,
      'MISSING_IDEMPOTENCY_KEY',
      `$[1].${idField}`,
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
      { field: '$', problem: `must be ${anEvent(eventDefinition)} object, got a number` },
    ]);
  });

  it('refuses every malformed request with a 4xx that names at least one field and problem', () => {
    expectEachRefused(malformedRequest);
  });
});
