import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { eventDefinition } from '../../../functions/event/definition';
import { RequestRejected } from '../../../functions/ingest/errors';
import { type IngestRequest, parseIngestRequest } from '../../../functions/ingest/request';
import type { RequestLimits } from '../../../functions/ingest/settings';
import { httpApiEvent, jsonPost } from '../../helpers/api-gateway';
import { type PipelineEvent, uniqueEvent, withoutId as withoutIdField } from '../../helpers/sample-events';

/**
 * The exact bounds of a request (at, one below and one above each) and the idempotency key's edges: a key
 * sent padded or blank yields one event id or a clear 400, never a second event for the same request.
 */
const limits: RequestLimits = { maxEventBytes: 1024, maxBatchBytes: 2048, maxBatchEvents: 3 };

const { idField } = eventDefinition;

function outcome(
  request: APIGatewayProxyEventV2,
  bounds: RequestLimits = limits,
): IngestRequest<PipelineEvent> | RequestRejected {
  try {
    return parseIngestRequest(request, bounds);
  } catch (error) {
    if (error instanceof RequestRejected) return error;
    throw error;
  }
}

function rejected(request: APIGatewayProxyEventV2, bounds: RequestLimits = limits): RequestRejected {
  const result = outcome(request, bounds);
  if (!(result instanceof RequestRejected))
    throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
  return result;
}

/** JSON text of exactly `bytes` bytes: `json` followed by spaces (JSON allows trailing whitespace). */
function padded(json: string, bytes: number): string {
  if (Buffer.byteLength(json) > bytes) throw new Error(`${json.length} bytes do not fit in ${bytes}`);
  return json + ' '.repeat(bytes - Buffer.byteLength(json));
}

const single = () => JSON.stringify(uniqueEvent());
const batch = (count = 1) => JSON.stringify(Array.from({ length: count }, () => uniqueEvent()));

describe('parseIngestRequest: byte and event limits, exactly', () => {
  it.each([
    ['a single event', single, limits],
    ['a batch', () => batch(), { ...limits, maxEventBytes: 4096 }],
  ])(
    'accepts %s of exactly its byte limit and one byte less, and refuses one byte more with 413',
    (what, body, bounds) => {
      const max = what === 'a batch' ? bounds.maxBatchBytes : bounds.maxEventBytes;
      expect(outcome(jsonPost(padded(body(), max - 1)), bounds)).not.toBeInstanceOf(RequestRejected);
      expect(outcome(jsonPost(padded(body(), max)), bounds)).not.toBeInstanceOf(RequestRejected);
      const over = rejected(jsonPost(padded(body(), max + 1)), bounds);
      expect([over.statusCode, over.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      expect(over.message).toBe(`the body has ${max + 1} bytes; ${what} may have at most ${max} bytes`);
      expect(over.issues).toEqual([
        { field: '$', problem: `has ${max + 1} bytes, more than the ${max} allowed for ${what}` },
      ]);
    },
  );

  it('tells a batch by its first character after leading whitespace, so it gets the batch limit', () => {
    const request = outcome(jsonPost(padded(`\n  ${batch()}`, limits.maxBatchBytes)));
    expect(request).toMatchObject({ form: 'batch' });
  });

  it('refuses a body over both limits before reading it, naming the request limit', () => {
    const request = rejected(jsonPost(padded(single(), limits.maxBatchBytes + 1)));
    expect(request.message).toBe(
      `the body has ${limits.maxBatchBytes + 1} bytes; a request may have at most ${limits.maxBatchBytes} bytes`,
    );
  });

  it('counts bytes, not characters', () => {
    // The size is checked before the body is parsed: a JSON string of two-byte characters is enough.
    const accented = JSON.stringify('é'.repeat(100));
    expect(Buffer.byteLength(accented)).toBeGreaterThan(accented.length);
    const body = padded(accented, limits.maxEventBytes + 1);
    expect(body.length).toBeLessThanOrEqual(limits.maxEventBytes);
    expect(rejected(jsonPost(body)).statusCode).toBe(413);
  });

  it('accepts a batch of exactly the most events and refuses one more with 413', () => {
    const bounds = { ...limits, maxBatchBytes: 4096 };
    const full = outcome(jsonPost(batch(limits.maxBatchEvents)), bounds);
    expect(full).toMatchObject({ form: 'batch', events: { length: limits.maxBatchEvents } });
    const over = rejected(jsonPost(batch(limits.maxBatchEvents + 1)), bounds);
    expect([over.statusCode, over.message]).toEqual([
      413,
      `the batch has ${limits.maxBatchEvents + 1} events; at most ${limits.maxBatchEvents} are allowed`,
    ]);
  });

  // Base64 turns every 3 bytes into 4 characters and pads the last group: a body of n bytes is 4 * ceil(n / 3)
  // characters, so bodies of each length modulo 3 meet the pre-check differently.
  it.each([2046, 2047, 2048])(
    'accepts a base64 body of exactly the %i-byte limit and refuses one byte more',
    (maxBatchBytes) => {
      const bounds = { ...limits, maxBatchBytes };
      const base64 = (bytes: number) =>
        httpApiEvent({
          body: padded(batch(), bytes),
          base64: true,
          headers: { 'content-type': 'application/json' },
        });
      expect(outcome(base64(maxBatchBytes), bounds)).toMatchObject({ form: 'batch' });
      const over = rejected(base64(maxBatchBytes + 1), bounds);
      expect(over.message).toBe(
        `the body has ${maxBatchBytes + 1} bytes; a request may have at most ${maxBatchBytes} bytes`,
      );
    },
  );

  it('refuses base64 text longer than the limit could decode to before decoding it', () => {
    // Padding characters decode to nothing: the text is long, the body it decodes to is tiny.
    const body = Buffer.from(single()).toString('base64') + '='.repeat(4 * limits.maxBatchBytes);
    const request = httpApiEvent({ headers: { 'content-type': 'application/json' } });
    const over = rejected({ ...request, body, isBase64Encoded: true });
    expect(over.statusCode).toBe(413);
    expect(over.message).toMatch(/^the body has \d+ bytes; a request may have at most 2048 bytes$/);
    expect(Number(over.message.match(/\d+/)?.[0])).toBeGreaterThan(limits.maxBatchBytes);
  });
});

describe('parseIngestRequest: Idempotency-Key edges', () => {
  const withoutId = withoutIdField(uniqueEvent());
  const eventIdOf = (request: IngestRequest<PipelineEvent> | RequestRejected) =>
    request instanceof RequestRejected
      ? request.code
      : request.form === 'single' && eventDefinition.eventId(request.event);

  it('reads a padded header as the key it carries, so " k1" and "k1" are one event id', () => {
    expect(eventIdOf(outcome(jsonPost(withoutId, { 'Idempotency-Key': 'k1' })))).toBe('k1');
    expect(eventIdOf(outcome(jsonPost(withoutId, { 'Idempotency-Key': ' k1' })))).toBe('k1');
    expect(eventIdOf(outcome(jsonPost(withoutId, { 'Idempotency-Key': 'k1 \t' })))).toBe('k1');
    expect(
      eventIdOf(outcome(jsonPost({ ...withoutId, [idField]: 'k1' }, { 'Idempotency-Key': ' k1 ' }))),
    ).toBe('k1');
  });

  it('refuses a padded id field with 400 instead of taking it as another key', () => {
    const padding = rejected(jsonPost({ ...withoutId, [idField]: ' k1' }, { 'Idempotency-Key': 'k1' }));
    expect([padding.statusCode, padding.code]).toEqual([400, 'IDEMPOTENCY_KEY_MISMATCH']);
    expect(padding.issues).toEqual([
      { field: 'Idempotency-Key', problem: `is "k1" but $.${idField} is " k1"; they must be equal` },
    ]);
    // Without the header, a padded id is no valid event id at all.
    expect(rejected(jsonPost({ ...withoutId, [idField]: ' k1' })).issues.map((issue) => issue.field)).toEqual(
      [`$.${idField}`],
    );
  });

  it('takes a blank header as absent: the id field is the key, and without one the request is a 400', () => {
    expect(
      eventIdOf(outcome(jsonPost({ ...withoutId, [idField]: 'k1' }, { 'Idempotency-Key': '   ' }))),
    ).toBe('k1');
    const missing = rejected(jsonPost(withoutId, { 'Idempotency-Key': ' ' }));
    expect([missing.statusCode, missing.code]).toEqual([400, 'MISSING_IDEMPOTENCY_KEY']);
    expect(outcome(jsonPost(JSON.parse(batch(2)), { 'Idempotency-Key': '' }))).toMatchObject({
      form: 'batch',
    });
  });

  it('finds the header whatever the case of its name', () => {
    const request = httpApiEvent({ body: withoutId, headers: { 'content-type': 'application/json' } });
    const headers = { ...request.headers, 'IDEMPOTENCY-KEY': 'k1' };
    expect(eventIdOf(outcome({ ...request, headers }))).toBe('k1');
  });
});
