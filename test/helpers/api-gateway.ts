import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export interface HttpRequest {
  /** @default 'POST' */
  readonly method?: string;
  /** @default '/payments' */
  readonly path?: string;
  /** Header names as sent; API Gateway lower-cases them, and so does this helper. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else is sent as JSON. */
  readonly body?: unknown;
  /** Sends the body base64-encoded, as API Gateway does for binary media types. */
  readonly base64?: boolean;
}

/**
 * An API Gateway HTTP API (payload format 2.0) event, shaped like the ones AWS delivers
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 */
export function httpApiEvent(request: HttpRequest = {}): APIGatewayProxyEventV2 {
  const method = request.method ?? 'POST';
  const path = request.path ?? '/payments';
  const text =
    request.body === undefined
      ? undefined
      : typeof request.body === 'string'
        ? request.body
        : JSON.stringify(request.body);
  const headers: Record<string, string> = { host: 'localhost', 'user-agent': 'vitest' };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  if (text !== undefined) headers['content-length'] = String(Buffer.byteLength(text));
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: `req-${now}-${Math.random().toString(36).slice(2, 10)}`,
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: text === undefined ? undefined : request.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: request.base64 ?? false,
  };
}

/** A JSON POST, the common case. */
export function jsonPost(
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyEventV2 {
  return httpApiEvent({ body, headers: { 'content-type': 'application/json', ...headers } });
}

/** Reads a recorded event from test/events. */
export function eventFixture<T = APIGatewayProxyEventV2>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../events/${name}`, import.meta.url), 'utf8')) as T;
}

/** A Lambda context good enough for middlewares that read it (Powertools logger, middy timeouts). */
export function lambdaContext(functionName = 'test-function', timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `00000000-0000-4000-8000-${String(Date.now() % 1e12).padStart(12, '0')}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/31/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
