import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { eventDefinition } from '../../../functions/event/definition';
import { httpApiEvent, jsonPost } from '../../helpers/api-gateway';
import { type PipelineEvent, withoutId } from '../../helpers/sample-events';

/**
 * Requests the ingest function must refuse, built from the pipeline's own event definition so that they hold
 * for any event type. The payment example adds its field rules in test/functions/event/.
 */

/** A request the ingest function must refuse, with what makes it bad (shown when a property fails). */
export interface MalformedRequest {
  readonly why: string;
  readonly event: APIGatewayProxyEventV2;
}

const identifierChars = fc.constantFrom(
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-',
);
/** An event id as the definition's identifier rule allows it. */
export const validEventId = fc.string({ unit: identifierChars, minLength: 1, maxLength: 40 });

/** Valid events of the definition: its samples, with any id and ordering key number. */
export const validEvent: fc.Arbitrary<PipelineEvent> = fc
  .tuple(validEventId, fc.nat({ max: 10_000 }))
  .map(([id, group]) => eventDefinition.sample(id, group));

/** Values of every JSON type, to put in place of a field. */
const anyJsonValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 20 }),
  fc.constant([]),
  fc.constant({}),
);

/** A valid event with one field removed or replaced, where the definition's schema refuses the result. */
const corruptField = fc
  .tuple(validEvent, fc.nat(), fc.option(anyJsonValue, { nil: undefined }))
  .map(([event, index, value]) => {
    const fields = Object.keys(event);
    const field = fields[index % fields.length] ?? eventDefinition.idField;
    const body: Record<string, unknown> = { ...event };
    if (value === undefined) delete body[field];
    else body[field] = value;
    return { field, value, body };
  })
  .filter(
    ({ field, body }) => field !== eventDefinition.idField && !eventDefinition.schema.safeParse(body).success,
  )
  .map(
    ({ field, value, body }): MalformedRequest => ({
      why: `${field} = ${JSON.stringify(value)}`,
      event: jsonPost(body),
    }),
  );

/** The valid event with an id the identifier rule refuses. */
const badEventId = fc.tuple(validEvent, fc.constantFrom('', ' ', 'a b', 'a/b', 'ü', 'x'.repeat(129))).map(
  ([event, id]): MalformedRequest => ({
    why: `${eventDefinition.idField} = ${JSON.stringify(id)}`,
    event: jsonPost({ ...event, [eventDefinition.idField]: id }),
  }),
);

const notJson = fc
  .string({ minLength: 1, maxLength: 60 })
  .filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  })
  .map((text): MalformedRequest => ({ why: `body ${JSON.stringify(text)}`, event: jsonPost(text) }));

const notAnObject = fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.boolean()).map(
  (value): MalformedRequest => ({
    why: `body ${JSON.stringify(value)}`,
    event: jsonPost(JSON.stringify(value)),
  }),
);

const wrongContentType = fc
  .tuple(
    validEvent,
    fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      'application/jsonp',
      '',
    ),
  )
  .map(
    ([event, contentType]): MalformedRequest => ({
      why: `content-type "${contentType}"`,
      event: httpApiEvent({ body: event, headers: contentType ? { 'content-type': contentType } : {} }),
    }),
  );

const missingKey = validEvent.map(
  (event): MalformedRequest => ({
    why: `no ${eventDefinition.idField} and no Idempotency-Key`,
    event: jsonPost(withoutId(event)),
  }),
);

const mismatchedKey = fc
  .tuple(validEvent, fc.string({ minLength: 1, maxLength: 20 }))
  .filter(([event, key]) => key.trim() !== '' && key.trim() !== eventDefinition.eventId(event))
  .map(
    ([event, key]): MalformedRequest => ({
      why: `Idempotency-Key "${key}" vs ${eventDefinition.idField} "${eventDefinition.eventId(event)}"`,
      event: jsonPost(event, { 'idempotency-key': key }),
    }),
  );

/** A batch of valid events with one bad one somewhere in it: the whole batch must be refused. */
export function batchWithOneBad<E extends object>(
  valid: fc.Arbitrary<E>,
  idOf: (event: E) => string,
  bad: fc.Arbitrary<MalformedRequest>,
): fc.Arbitrary<MalformedRequest> {
  return fc
    .tuple(fc.uniqueArray(valid, { minLength: 1, maxLength: 5, selector: idOf }), bad, fc.nat())
    .map(([events, one, at]): MalformedRequest => {
      const badEvent: unknown = JSON.parse(one.event.body ?? 'null');
      const batch: unknown[] = [...events];
      batch.splice(at % (events.length + 1), 0, badEvent);
      return { why: `batch with ${one.why}`, event: jsonPost(batch) };
    });
}

const oversized = validEvent.map(
  (event): MalformedRequest => ({
    why: 'body over the size limit',
    event: jsonPost(`${JSON.stringify(event)}${' '.repeat(300 * 1024)}`),
  }),
);

/** Every kind of request the ingest function must refuse with a 4xx, publishing nothing. */
export const malformedRequest: fc.Arbitrary<MalformedRequest> = fc.oneof(
  corruptField,
  badEventId,
  notJson,
  notAnObject,
  wrongContentType,
  missingKey,
  mismatchedKey,
  batchWithOneBad(validEvent, (event) => eventDefinition.eventId(event), fc.oneof(corruptField, badEventId)),
  oversized,
);
