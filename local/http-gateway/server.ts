import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { invokeLambda, type LambdaFunction } from '../lambda-runtime';
import { PortInUseError } from './errors';
import { type GatewayRequest, newRequestId, toApiGatewayEvent } from './request-event';
import { gatewayAnswer, type HttpAnswer, toHttpAnswer } from './response';
import { type RouteDefinition, RouteTable } from './routes';

export type HttpFunction = LambdaFunction<APIGatewayProxyEventV2, unknown>;

/** HTTP API payload quota: 10 MB per request (API Gateway quotas for HTTP APIs). */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpGatewayOptions {
  readonly routes: readonly RouteDefinition<HttpFunction>[];
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 3000 */
  readonly port?: number;
  /** @default MAX_REQUEST_BODY_BYTES */
  readonly maxBodyBytes?: number;
  /** Called once per answered request, for counters and logs. */
  readonly onRequest?: (outcome: RequestOutcome) => void;
}

export interface RequestOutcome {
  readonly method: string;
  readonly path: string;
  /** The matched route, or undefined when no route matched (answered 404). */
  readonly routeKey: string | undefined;
  readonly statusCode: number;
  readonly durationMs: number;
  /** Why the gateway answered 500 instead of the handler's answer. */
  readonly error?: unknown;
}

export interface HttpGateway {
  readonly host: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  close(): Promise<void>;
}

class BodyTooLargeError extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, answer: HttpAnswer, requestId: string, closeAfter = false): void {
  response.statusCode = answer.statusCode;
  for (const [name, value] of answer.headers) response.appendHeader(name, value);
  response.setHeader('apigw-requestid', requestId);
  response.setHeader('content-length', answer.body.length);
  if (closeAfter) response.setHeader('connection', 'close');
  response.end(answer.body);
}

/**
 * A local stand-in for an API Gateway HTTP API with Lambda proxy integrations: each request becomes a
 * payload format 2.0 event for the route's handler, and the handler's result becomes the HTTP answer.
 * Like API Gateway: no route → 404 {"message":"Not Found"}; a failed invocation → 500
 * {"message":"Internal Server Error"}; a body over the payload quota → 413.
 */
export async function startHttpGateway(options: HttpGatewayOptions): Promise<HttpGateway> {
  const routes = new RouteTable(options.routes);
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = newRequestId();
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const match = routes.match(method, path);
    const report = (statusCode: number, error?: unknown) =>
      options.onRequest?.({
        method,
        path,
        routeKey: match?.route.routeKey,
        statusCode,
        durationMs: performance.now() - started,
        ...(error === undefined ? {} : { error }),
      });

    let body: Buffer;
    try {
      body = await readBody(request, maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      send(response, gatewayAnswer(413, 'Request Entity Too Large'), requestId, true);
      report(413);
      return;
    }
    if (!match) {
      send(response, gatewayAnswer(404, 'Not Found'), requestId);
      report(404);
      return;
    }

    const gatewayRequest: GatewayRequest = {
      method,
      url,
      rawHeaders: request.rawHeaders,
      httpVersion: request.httpVersion,
      sourceIp: (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      localPort: request.socket.localPort ?? 0,
      body,
      receivedAt: new Date(),
    };
    const event = toApiGatewayEvent(
      gatewayRequest,
      { routeKey: match.route.routeKey, pathParameters: match.pathParameters },
      requestId,
    );
    let httpAnswer: HttpAnswer;
    try {
      httpAnswer = toHttpAnswer(await invokeLambda(match.route.target, event));
    } catch (error) {
      send(response, gatewayAnswer(500, 'Internal Server Error'), requestId);
      report(500, error);
      return;
    }
    send(response, httpAnswer, requestId);
    report(httpAnswer.statusCode);
  }

  const server = createServer((request, response) => {
    answer(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, gatewayAnswer(500, 'Internal Server Error'), newRequestId());
      else response.destroy(error instanceof Error ? error : undefined);
    });
  });
  const port = await listen(server, host, options.port ?? 3000);
  return {
    host,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port, { cause: error }) : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
