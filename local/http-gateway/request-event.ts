import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from '../lambda-runtime';

/** What the gateway needs from an HTTP request; kept apart from node:http so the mapping is a pure function. */
export interface GatewayRequest {
  readonly method: string;
  /** The request target as sent: path and query string, not decoded. */
  readonly url: string;
  /** Alternating names and values, duplicates kept (node:http `rawHeaders`). */
  readonly rawHeaders: readonly string[];
  readonly httpVersion: string;
  readonly sourceIp: string;
  /** The port the request came in on, reported in x-forwarded-port. */
  readonly localPort: number;
  readonly body: Buffer;
  readonly receivedAt: Date;
}

export interface RouteSelection {
  readonly routeKey: string;
  readonly pathParameters: Record<string, string> | undefined;
}

/** API id that the local gateway reports in requestContext.apiId. */
const LOCAL_API_ID = 'local';

/**
 * Bodies of these media types reach the handler as text; any other body is base64-encoded with
 * isBase64Encoded: true, as HTTP APIs do for payloads they do not treat as text (an HTML form post with
 * application/x-www-form-urlencoded arrives base64-encoded too).
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    mediaType.startsWith('text/') ||
    mediaType === 'application/json' ||
    mediaType === 'application/javascript' ||
    mediaType === 'application/xml' ||
    mediaType.endsWith('+json') ||
    mediaType.endsWith('+xml')
  );
}

/** Header names lower-cased, duplicate values joined with commas (payload format 2.0 has no multi-value map). */
function combineHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    // Cookie headers are split into the cookies field later, so keep their own separator.
    const separator = name === 'cookie' ? '; ' : ',';
    headers[name] = name in headers ? `${headers[name]}${separator}${value}` : value;
  }
  return headers;
}

function combineQuery(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  }
  return parameters;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** requestContext.time's format: 12/Mar/2020:19:03:58 +0000. */
function formatRequestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** An id shaped like API Gateway's (e.g. "JKJaXmPLvHcESHA="), also answered in the apigw-requestid header. */
export function newRequestId(): string {
  return randomBytes(10).toString('base64');
}

/**
 * Turns an HTTP request into the API Gateway HTTP API payload format 2.0 event.
 * Source: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function toApiGatewayEvent(
  request: GatewayRequest,
  route: RouteSelection,
  requestId: string,
): APIGatewayProxyEventV2 {
  const queryStart = request.url.indexOf('?');
  const rawPath = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : request.url.slice(queryStart + 1);
  const { cookie, ...headers } = combineHeaders(request.rawHeaders);
  // API Gateway adds the client address and the listener it came through, as a load balancer would.
  const forwardedFor = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${request.sourceIp}` : request.sourceIp;
  headers['x-forwarded-port'] = String(request.localPort);
  headers['x-forwarded-proto'] = 'http';
  const host = headers.host ?? '127.0.0.1';
  const domainName = host.replace(/:\d+$/, '');

  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: formatRequestTime(request.receivedAt),
      timeEpoch: request.receivedAt.getTime(),
    },
    isBase64Encoded: false,
  };
  // Cookie headers move to their own field: "All cookie headers … are added to the cookies field".
  if (cookie !== undefined) event.cookies = cookie.split(/;\s*/).filter((c) => c !== '');
  const queryStringParameters = combineQuery(rawQueryString);
  if (queryStringParameters) event.queryStringParameters = queryStringParameters;
  if (route.pathParameters) event.pathParameters = route.pathParameters;
  if (request.body.length > 0) {
    const asText = isTextContentType(headers['content-type']);
    event.body = asText ? request.body.toString('utf8') : request.body.toString('base64');
    event.isBase64Encoded = !asText;
  }
  return event;
}
