import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod/mini';
import { eventDefinition } from '../event/definition';
import { anEvent, type EventDefinition, type EventOf } from '../shared/event-definition';
import { isJsonObject } from '../shared/json-object';
import { type FieldIssue, RequestRejected } from './errors';
import type { RequestLimits } from './settings';

/**
 * Turns an API Gateway HTTP API (payload v2) request into events validated by the event definition's schema,
 * or rejects it with a 4xx that names the field and the problem. Nothing here publishes: a rejected request
 * leaves no trace.
 *
 * - Single form: the body is one event object. Its event id comes from the `Idempotency-Key` header or the
 *   definition's id field; when both are present they must be equal.
 * - Batch form: the body is an array of 1..maxBatchEvents event objects, each with its own id field
 *   (one header cannot be the key of many events, so the header is refused here). One invalid event rejects
 *   the whole batch; the issues of every invalid event are listed.
 *
 * Fields are named as JSONPath from the body: `$.field`, `$[2].field`; the header as `Idempotency-Key`.
 */
export type IngestRequest<E extends object = object> =
  | { readonly form: 'single'; readonly event: E }
  | { readonly form: 'batch'; readonly events: readonly E[] };

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
const ROOT = '$';
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseIngestRequest<E extends object = EventOf<typeof eventDefinition>>(
  event: APIGatewayProxyEventV2,
  limits: RequestLimits,
  definition: EventDefinition<E> = eventDefinition as unknown as EventDefinition<E>,
): IngestRequest<E> {
  requirePost(event);
  requireJsonContentType(header(event, 'content-type'));
  const { text, bytes } = bodyText(event, Math.max(limits.maxEventBytes, limits.maxBatchBytes));
  // The first character tells a batch from a single event: check its size limit before parsing it.
  const isBatch = text.trimStart().startsWith('[');
  requireWithin(
    bytes,
    isBatch ? limits.maxBatchBytes : limits.maxEventBytes,
    isBatch ? 'a batch' : 'a single event',
  );
  const body = parseJson(text, definition);
  const idempotencyKey = header(event, IDEMPOTENCY_KEY_HEADER);
  return Array.isArray(body)
    ? { form: 'batch', events: validateBatch(definition, body, idempotencyKey, limits.maxBatchEvents) }
    : { form: 'single', event: validateSingle(definition, body, idempotencyKey) };
}

/** API Gateway HTTP API lower-cases header names (payload v2); other callers may not, so match either way. */
function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value?.trim() || undefined; // blank counts as absent
  }
  return undefined;
}

function requirePost(event: APIGatewayProxyEventV2): void {
  const method = event.requestContext?.http?.method;
  if (method !== undefined && method.toUpperCase() !== 'POST') {
    throw new RequestRejected(
      'METHOD_NOT_ALLOWED',
      `method ${method} is not allowed; use POST`,
      [{ field: 'method', problem: `must be POST, got ${method}` }],
      { Allow: 'POST' },
    );
  }
}

/** Accepts `application/json` with an optional `charset=utf-8` (RFC 8259 §8.1: JSON text is UTF-8). */
function requireJsonContentType(contentType: string | undefined): void {
  if (contentType === undefined) {
    throw new RequestRejected('UNSUPPORTED_MEDIA_TYPE', 'Content-Type is missing; send application/json', [
      { field: 'Content-Type', problem: 'is required and must be application/json' },
    ]);
  }
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length);
  const unquoted = charset?.replace(/^"(.*)"$/, '$1');
  if (mediaType !== 'application/json' || (unquoted !== undefined && unquoted !== 'utf-8')) {
    throw new RequestRejected(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type "${contentType}" is not supported; send application/json (UTF-8)`,
      [{ field: 'Content-Type', problem: `must be application/json, got "${contentType}"` }],
    );
  }
}

function bodyText(event: APIGatewayProxyEventV2, maxBytes: number): { text: string; bytes: number } {
  const raw = event.body ?? '';
  if (!event.isBase64Encoded) {
    const bytes = Buffer.byteLength(raw, 'utf8');
    requireWithin(bytes, maxBytes, 'a request');
    return { text: raw, bytes };
  }
  // Base64 takes 4 characters per 3 bytes, the last group padded with up to 2: the text decodes to at least
  // 3/4 of its length less 2 bytes. Refuse an oversize body by that count, before decoding it.
  requireWithin(Math.floor((raw.length * 3) / 4) - 2, maxBytes, 'a request');
  const decoded = Buffer.from(raw, 'base64');
  requireWithin(decoded.length, maxBytes, 'a request');
  try {
    return { text: utf8.decode(decoded), bytes: decoded.length };
  } catch {
    throw new RequestRejected('INVALID_JSON', 'the body is not valid UTF-8 text', [
      { field: ROOT, problem: 'must be UTF-8 encoded JSON' },
    ]);
  }
}

function requireWithin(bytes: number, maxBytes: number, what: string): void {
  if (bytes > maxBytes) {
    throw new RequestRejected(
      'PAYLOAD_TOO_LARGE',
      `the body has ${bytes} bytes; ${what} may have at most ${maxBytes} bytes`,
      [{ field: ROOT, problem: `has ${bytes} bytes, more than the ${maxBytes} allowed for ${what}` }],
    );
  }
}

function parseJson(text: string, definition: EventDefinition): unknown {
  if (text.trim() === '') {
    const what = anEvent(definition);
    throw new RequestRejected('INVALID_JSON', `the body is empty; send ${what} or an array of them`, [
      { field: ROOT, problem: 'is empty' },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RequestRejected('INVALID_JSON', `the body is not valid JSON: ${reason}`, [
      { field: ROOT, problem: `is not valid JSON: ${reason}` },
    ]);
  }
}

function validateSingle<E extends object>(
  definition: EventDefinition<E>,
  body: unknown,
  idempotencyKey: string | undefined,
): E {
  if (!isJsonObject(body)) throw notAnEvent(definition, ROOT, body);
  const { idField } = definition;
  const idPath = fieldPath(ROOT, [idField]);
  const bodyKey = body[idField];
  if (idempotencyKey !== undefined && bodyKey !== undefined && bodyKey !== idempotencyKey) {
    throw new RequestRejected(
      'IDEMPOTENCY_KEY_MISMATCH',
      `the ${IDEMPOTENCY_KEY_HEADER} header and ${idField} differ; send one, or the same value in both`,
      [
        {
          field: IDEMPOTENCY_KEY_HEADER,
          problem: `is "${idempotencyKey}" but ${idPath} is ${JSON.stringify(bodyKey)}; they must be equal`,
        },
      ],
    );
  }
  const fromHeader = bodyKey === undefined && idempotencyKey !== undefined;
  const result = definition.schema.safeParse(fromHeader ? { ...body, [idField]: idempotencyKey } : body);
  const issues = result.success
    ? []
    : fieldIssues(result.error, ROOT, definition).map((issue) =>
        fromHeader && issue.field === idPath ? { ...issue, field: IDEMPOTENCY_KEY_HEADER } : issue,
      );
  if (idempotencyKey === undefined && bodyKey === undefined) {
    throw new RequestRejected(
      'MISSING_IDEMPOTENCY_KEY',
      `no idempotency key: send an ${IDEMPOTENCY_KEY_HEADER} header or an ${idField} field`,
      [
        { field: idPath, problem: `is required (or send the ${IDEMPOTENCY_KEY_HEADER} header)` },
        ...issues.filter((issue) => issue.field !== idPath),
      ],
    );
  }
  if (result.success) return result.data;
  throw schemaViolation(`the ${definition.noun.singular} event is invalid`, issues);
}

function validateBatch<E extends object>(
  definition: EventDefinition<E>,
  body: readonly unknown[],
  idempotencyKey: string | undefined,
  maxEvents: number,
): E[] {
  const { idField } = definition;
  if (idempotencyKey !== undefined) {
    throw new RequestRejected(
      'IDEMPOTENCY_KEY_WITH_BATCH',
      `the ${IDEMPOTENCY_KEY_HEADER} header applies to a single event; in a batch every event carries its own ${idField}`,
      [{ field: IDEMPOTENCY_KEY_HEADER, problem: 'must not be sent with a batch' }],
    );
  }
  if (body.length === 0) {
    throw schemaViolation('the batch is empty', [
      { field: ROOT, problem: 'must contain at least one event' },
    ]);
  }
  if (body.length > maxEvents) {
    throw new RequestRejected(
      'PAYLOAD_TOO_LARGE',
      `the batch has ${body.length} events; at most ${maxEvents} are allowed`,
      [{ field: ROOT, problem: `has ${body.length} events, more than the ${maxEvents} allowed` }],
    );
  }

  const events: E[] = [];
  const issues: FieldIssue[] = [];
  const missingKeys: FieldIssue[] = [];
  const firstIndexOf = new Map<string, number>();
  body.forEach((item, index) => {
    const path = `${ROOT}[${index}]`;
    if (!isJsonObject(item)) {
      issues.push(...notAnEvent(definition, path, item).issues);
      return;
    }
    const idPath = fieldPath(path, [idField]);
    if (item[idField] === undefined) {
      missingKeys.push({ field: idPath, problem: 'is required: every event of a batch has its own' });
    }
    const result = definition.schema.safeParse(item);
    if (!result.success) {
      // A missing id is reported once, as a missing idempotency key.
      const missing = item[idField] === undefined ? idPath : undefined;
      issues.push(...fieldIssues(result.error, path, definition).filter((issue) => issue.field !== missing));
      return;
    }
    const eventId = definition.eventId(result.data);
    const first = firstIndexOf.get(eventId);
    if (first !== undefined) {
      issues.push({
        field: idPath,
        problem: `duplicates ${fieldPath(`${ROOT}[${first}]`, [idField])} "${eventId}"`,
      });
      return;
    }
    firstIndexOf.set(eventId, index);
    events.push(result.data);
  });

  const rejectedWhole = 'nothing was published: fix every listed event and send the batch again';
  if (missingKeys.length > 0) {
    throw new RequestRejected(
      'MISSING_IDEMPOTENCY_KEY',
      `${missingKeys.length} event(s) have no ${idField} (the idempotency key); ${rejectedWhole}`,
      [...missingKeys, ...issues],
    );
  }
  if (issues.length > 0) {
    throw schemaViolation(`the batch has invalid events; ${rejectedWhole}`, issues);
  }
  return events;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function notAnEvent(definition: EventDefinition, path: string, value: unknown): RequestRejected {
  const what = anEvent(definition);
  return schemaViolation(`the body is not ${what}`, [
    { field: path, problem: `must be ${what} object, got ${describe(value)}` },
  ]);
}

function schemaViolation(message: string, issues: readonly FieldIssue[]): RequestRejected {
  return new RequestRejected('SCHEMA_VIOLATION', message, issues);
}

/** Flattens zod issues into `{ field, problem }`, one per offending field. */
export function fieldIssues(
  error: z.core.$ZodError,
  root: string,
  definition: EventDefinition,
): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    const field = fieldPath(root, issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: fieldPath(field, [key]),
        problem: `is not a field of ${anEvent(definition)}`,
      }));
    }
    if (issue.code === 'invalid_key') {
      return issue.issues.map((inner) => ({ field, problem: inner.message }));
    }
    return [{ field, problem: issue.message }];
  });
}

function fieldPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((joined, segment) => {
    if (typeof segment === 'number') return `${joined}[${segment}]`;
    const name = String(segment);
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${joined}.${name}` : `${joined}[${JSON.stringify(name)}]`;
  }, root);
}
