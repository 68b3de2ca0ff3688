import type { MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { PublishError } from '../shared/errors';
import { RequestRejected } from './errors';
import type { StoredEvent } from './publish';

/**
 * Response bodies of the ingest function (all JSON):
 * - 201 `{ eventId, partition, offset }` for a single event,
 * - 200 `{ results: [{ eventId, partition, offset }, …] }` for a batch, in request order: a batch is
 *   validated whole and published as one send that is acknowledged whole or not at all, so every event of
 *   it shares one outcome and one status code (no 207 mixed results can arise),
 * - 4xx `{ code, message, issues: [{ field, problem }] }`: nothing was published,
 * - 503 `{ code, message }` with Retry-After: Kafka was unreachable or the producer had to be replaced;
 *   some events may be stored, so retry with the same event ids (the consumer drops duplicates by event id),
 * - 500 `{ code, message }`: anything else, without internals.
 */
export interface JsonResponse extends APIGatewayProxyStructuredResultV2 {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): JsonResponse {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function storedSingle(stored: StoredEvent): JsonResponse {
  return json(201, stored);
}

export function storedBatch(stored: readonly StoredEvent[]): JsonResponse {
  return json(200, { results: stored });
}

export const INTERNAL_ERROR_BODY = JSON.stringify({ code: 'INTERNAL_ERROR', message: 'internal error' });

export interface ErrorResponseOptions {
  readonly retryAfterSeconds: number;
  /** Told about every failure that became a response, with the status it got (for logs and metrics). */
  readonly onFailure?: (failure: { statusCode: number; error: unknown }) => void;
}

/**
 * Turns the failures the ingest function knows into responses: rejected requests into 4xx with their
 * issues, publish failures into 503 with Retry-After. Anything else is left to @middy/http-error-handler,
 * which answers a generic 500.
 */
export function ingestErrorResponses(
  options: ErrorResponseOptions,
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  const ingestErrorResponsesOnError: MiddlewareObj<
    APIGatewayProxyEventV2,
    APIGatewayProxyResultV2
  >['onError'] = async (request) => {
    if (request.response !== undefined) return;
    const { error } = request;
    let response: JsonResponse;
    if (error instanceof RequestRejected) {
      response = json(
        error.statusCode,
        { code: error.code, message: error.message, issues: error.issues },
        { ...error.headers },
      );
    } else if (error instanceof PublishError) {
      response = json(
        503,
        {
          code: 'KAFKA_UNAVAILABLE',
          message:
            'the event(s) could not be confirmed as stored; retry with the same event id(s) after Retry-After seconds',
        },
        { 'Retry-After': String(options.retryAfterSeconds) },
      );
    } else {
      options.onFailure?.({ statusCode: 500, error });
      return;
    }
    request.response = response;
    options.onFailure?.({ statusCode: response.statusCode, error });
  };
  return { onError: ingestErrorResponsesOnError };
}
