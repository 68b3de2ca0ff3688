import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { eventDefinition } from '../../../functions/event/definition';
import { RequestRejected } from '../../../functions/ingest/errors';
import { type IngestRequest, parseIngestRequest } from '../../../functions/ingest/request';
import type { RequestLimits } from '../../../functions/ingest/settings';
import { anEvent, defineEvent } from '../../../functions/shared/event-definition';
import { identifier } from '../../../functions/shared/schema-fields';
import { httpApiEvent, jsonPost } from '../../helpers/api-gateway';
import { uniqueEvent, withoutId as withoutIdField } from '../../helpers/sample-events';

/** What exactly a request is refused for, and what passes: method, media type, body and field names. */
const { idField } = eventDefinition;
const anEventObject = `must be ${anEvent(eventDefinition)} object`;
const limits: RequestLimits = { maxEventBytes: 4096, maxBatchBytes: 8192, maxBatchEvents: 10 };

function outcome(request: APIGatewayProxyEventV2): IngestRequest | RequestRejected {
  try {
    return parseIngestRequest(request, limits);
  } catch (error) {
    if (error instanceof RequestRejected) return error;
    throw error;
  }
}

function rejected(request: APIGatewayProxyEventV2): RequestRejected {
  const result = outcome(request);
  if (!(result instanceof RequestRejected))
    throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
  return result;
}

const withContentType = (contentType: string) =>
  httpApiEvent({ body: uniqueEvent(), headers: { 'content-type': contentType } });

describe('parseIngestRequest: method and media type', () => {
  it('accepts POST in any case, and a request that names no method', () => {
    expect(
      outcome(
        httpApiEvent({
          method: 'post',
          body: uniqueEvent(),
          headers: { 'content-type': 'application/json' },
        }),
      ),
    ).toMatchObject({ form: 'single' });
    const request = jsonPost(uniqueEvent());
    const { http: _http, ...context } = request.requestContext;
    expect(outcome({ ...request, requestContext: context as typeof request.requestContext })).toMatchObject({
      form: 'single',
    });
  });

  it('refuses another method, naming it', () => {
    const put = rejected(
      httpApiEvent({ method: 'PUT', body: uniqueEvent(), headers: { 'content-type': 'application/json' } }),
    );
    expect([put.statusCode, put.code, put.message]).toEqual([
      405,
      'METHOD_NOT_ALLOWED',
      'method PUT is not allowed; use POST',
    ]);
  });

  it.each([
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/json; charset="utf-8"',
    'application/json; version=1',
  ])('accepts the content type %s', (contentType) => {
    expect(outcome(withContentType(contentType))).toMatchObject({ form: 'single' });
  });

  it.each([
    'application/jsonx',
    'text/json',
    'application/json; charset=utf-16',
    'application/json; charset="latin1"',
  ])('refuses the content type %s with 415, quoting it', (contentType) => {
    const refused = rejected(withContentType(contentType));
    expect([refused.statusCode, refused.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(refused.message).toBe(
      `Content-Type "${contentType}" is not supported; send application/json (UTF-8)`,
    );
    expect(refused.issues).toEqual([
      { field: 'Content-Type', problem: `must be application/json, got "${contentType}"` },
    ]);
  });

  it('says a missing content type is missing', () => {
    const refused = rejected(httpApiEvent({ body: uniqueEvent() }));
    expect([refused.statusCode, refused.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(refused.message).toBe('Content-Type is missing; send application/json');
    expect(refused.issues).toEqual([
      { field: 'Content-Type', problem: 'is required and must be application/json' },
    ]);
  });

  it('takes a request without headers, or a header without a value, as one without a content type', () => {
    const request = jsonPost(uniqueEvent());
    for (const headers of [undefined, { 'content-type': undefined }]) {
      const refused = rejected({ ...request, headers } as unknown as APIGatewayProxyEventV2);
      expect(refused.message).toBe('Content-Type is missing; send application/json');
    }
  });
});

describe('parseIngestRequest: body', () => {
  it('refuses a body of only whitespace, or none, as empty', () => {
    for (const request of [jsonPost('  \n '), { ...jsonPost(''), body: undefined }]) {
      const empty = rejected(request);
      expect([empty.statusCode, empty.code, empty.issues]).toEqual([
        400,
        'INVALID_JSON',
        [{ field: '$', problem: 'is empty' }],
      ]);
      expect(empty.message).toBe(`the body is empty; send ${anEvent(eventDefinition)} or an array of them`);
    }
  });

  it.each([
    ['null', 'null'],
    ['42', 'a number'],
    ['"text"', 'a string'],
    ['true', 'a boolean'],
  ])('refuses the body %s as not an event, saying it got %s', (body, got) => {
    const refused = rejected(jsonPost(body));
    expect([refused.statusCode, refused.code]).toEqual([422, 'SCHEMA_VIOLATION']);
    expect(refused.message).toBe(`the body is not ${anEvent(eventDefinition)}`);
    expect(refused.issues).toEqual([{ field: '$', problem: `${anEventObject}, got ${got}` }]);
  });

  it('quotes where JSON.parse found the body broken, in the message and the issue', () => {
    const text = '{"eventId": "a",';
    const reason = (() => {
      try {
        JSON.parse(text);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected the text not to parse');
    })();
    const refused = rejected(jsonPost(text));
    expect(refused.message).toBe(`the body is not valid JSON: ${reason}`);
    expect(refused.issues).toEqual([{ field: '$', problem: `is not valid JSON: ${reason}` }]);
  });

  it('names a batch item that is not an object by its index, and what it is', () => {
    const refused = rejected(jsonPost([uniqueEvent(), [1], null]));
    expect(refused.issues).toEqual([
      { field: '$[1]', problem: `${anEventObject}, got an array` },
      { field: '$[2]', problem: `${anEventObject}, got null` },
    ]);
  });

  it('says a batch with events missing their ids and other problems is rejected whole, listing all', () => {
    const refused = rejected(
      jsonPost([withoutIdField(uniqueEvent()), { ...uniqueEvent(), [idField]: 'bad/id' }]),
    );
    expect([refused.statusCode, refused.code]).toEqual([400, 'MISSING_IDEMPOTENCY_KEY']);
    expect(refused.message).toBe(
      `1 event(s) have no ${idField} (the idempotency key); nothing was published: fix every listed event and send the batch again`,
    );
    expect(refused.issues.map((issue) => issue.field)).toEqual([`$[0].${idField}`, `$[1].${idField}`]);
  });
});

describe('parseIngestRequest: what each refusal says', () => {
  const withoutId = withoutIdField(uniqueEvent());
  const said = (request: APIGatewayProxyEventV2) => {
    const refused = rejected(request);
    return {
      status: refused.statusCode,
      code: refused.code,
      message: refused.message,
      issues: refused.issues,
    };
  };

  it('names the invalid id in the body when the header carries the same one', () => {
    expect(
      said(jsonPost({ ...withoutId, [idField]: 'bad/id' }, { 'Idempotency-Key': 'bad/id' })).issues.map(
        (i) => i.field,
      ),
    ).toEqual([`$.${idField}`]);
  });

  it('names the body field, not the header, for a problem of another field when the key came from the header', () => {
    // An empty body: every field but the id is missing, and the id came from the header.
    const fields = said(jsonPost({}, { 'Idempotency-Key': 'k1' })).issues.map((i) => i.field);
    expect(fields.length).toBeGreaterThan(0);
    for (const field of fields) {
      expect(field).toMatch(/^\$\.\S/);
      expect(field).not.toBe(`$.${idField}`);
    }
  });

  it('refuses a batch event with an invalid id instead of leaving it out', () => {
    const refused = said(jsonPost([uniqueEvent(), { ...withoutId, [idField]: 'bad/id' }]));
    expect([refused.status, refused.code]).toEqual([422, 'SCHEMA_VIOLATION']);
    expect(refused.issues.map((i) => i.field)).toEqual([`$[1].${idField}`]);
  });

  it('says what is wrong with the key, the event and the batch', () => {
    expect(said(jsonPost({ ...withoutId, [idField]: 'k2' }, { 'Idempotency-Key': 'k1' })).message).toBe(
      `the Idempotency-Key header and ${idField} differ; send one, or the same value in both`,
    );
    expect(said(jsonPost(withoutId)).message).toBe(
      `no idempotency key: send an Idempotency-Key header or an ${idField} field`,
    );
    expect(said(jsonPost({ [idField]: 'k3' })).message).toBe(
      `the ${eventDefinition.noun.singular} event is invalid`,
    );
    expect(said(jsonPost([uniqueEvent()], { 'Idempotency-Key': 'k1' }))).toMatchObject({
      message: `the Idempotency-Key header applies to a single event; in a batch every event carries its own ${idField}`,
      issues: [{ field: 'Idempotency-Key', problem: 'must not be sent with a batch' }],
    });
    expect(said(jsonPost([])).message).toBe('the batch is empty');
    expect(said(jsonPost(Array.from({ length: 11 }, () => uniqueEvent()))).issues).toEqual([
      { field: '$', problem: 'has 11 events, more than the 10 allowed' },
    ]);
    expect(said(jsonPost([withoutId])).issues).toEqual([
      { field: `$[0].${idField}`, problem: 'is required: every event of a batch has its own' },
    ]);
  });

  it('says a base64 body that is not UTF-8 must be UTF-8 encoded JSON', () => {
    const request = {
      ...jsonPost(''),
      body: Buffer.from([0xff, 0x7b, 0x7d]).toString('base64'),
      isBase64Encoded: true,
    };
    expect(said(request).issues).toEqual([{ field: '$', problem: 'must be UTF-8 encoded JSON' }]);
  });

  it('accepts a request with no request context', () => {
    const request = jsonPost(uniqueEvent());
    expect(
      outcome({ ...request, requestContext: undefined } as unknown as APIGatewayProxyEventV2),
    ).toMatchObject({
      form: 'single',
    });
  });
});

describe('parseIngestRequest: field paths of another event definition', () => {
  // An event with a list field: zod names a list item by its index.
  const basket = defineEvent({
    noun: { singular: 'order', plural: 'orders' },
    schema: z.strictObject({
      orderId: identifier('orderId'),
      lines: z.array(z.strictObject({ sku: identifier('sku') })),
    }),
    idField: 'orderId',
    orderingKey: (order) => order.orderId,
    effect: () => [],
    sample: (orderId) => ({ orderId, lines: [] }),
  });

  it('names an item of a list field by its index, and the event by its own noun', () => {
    const body = { orderId: 'o-1', lines: [{ sku: 'a' }, { sku: 'b c' }] };
    let refused: unknown;
    try {
      parseIngestRequest(jsonPost(body), limits, basket);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(RequestRejected);
    expect((refused as RequestRejected).message).toBe('the order event is invalid');
    expect((refused as RequestRejected).issues).toEqual([
      { field: '$.lines[1].sku', problem: 'sku may only contain letters, digits and . _ : -' },
    ]);
  });
});
