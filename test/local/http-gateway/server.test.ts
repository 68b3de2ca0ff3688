import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type HttpFunction,
  type HttpGateway,
  PortInUseError,
  type RequestOutcome,
  startHttpGateway,
} from '../../../local/http-gateway';

const seen: APIGatewayProxyEventV2[] = [];

/** Answers with the event it received, so a test can check what a Lambda handler would see. */
const echo: HttpFunction = {
  name: 'echo',
  handler: async (event) => {
    seen.push(event);
    return { statusCode: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
  },
};

const gateways: HttpGateway[] = [];
afterEach(async () => {
  seen.length = 0;
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

async function start(
  routes: { routeKey: string; target: HttpFunction }[],
  extra: { maxBodyBytes?: number; onRequest?: (outcome: RequestOutcome) => void } = {},
): Promise<HttpGateway> {
  const gateway = await startHttpGateway({ routes, port: 0, ...extra });
  gateways.push(gateway);
  return gateway;
}

describe('HTTP gateway', () => {
  it('turns a request into a payload format 2.0 event with lower-cased, comma-joined headers', async () => {
    // Prepare
    const gateway = await start([{ routeKey: 'POST /payments', target: echo }]);
    const body = JSON.stringify({ eventId: 'evt-1' });

    // Act: raw node:http so the test controls duplicate headers and cookies exactly.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${gateway.url}/payments?tag=a&tag=b&x=%20y`,
        {
          method: 'POST',
          headers: [
            ['Host', `127.0.0.1:${gateway.port}`],
            ['Content-Type', 'application/json'],
            ['Idempotency-Key', 'evt-1'],
            ['X-Trace', 'one'],
            ['X-Trace', 'two'],
            ['Cookie', 'session=s1; theme=dark'],
            ['User-Agent', 'gateway-test'],
          ].flat(),
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

    // Assess
    expect(status).toBe(201);
    const event = seen[0];
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /payments',
      rawPath: '/payments',
      rawQueryString: 'tag=a&tag=b&x=%20y',
      queryStringParameters: { tag: 'a,b', x: ' y' },
      cookies: ['session=s1', 'theme=dark'],
      body,
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'POST /payments',
        stage: '$default',
        http: { method: 'POST', path: '/payments', sourceIp: '127.0.0.1', userAgent: 'gateway-test' },
      },
    });
    expect(event?.headers).toMatchObject({
      'idempotency-key': 'evt-1',
      'x-trace': 'one,two',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-port': String(gateway.port),
      'x-forwarded-proto': 'http',
    });
    expect(event?.headers).not.toHaveProperty('cookie');
    expect(event?.pathParameters).toBeUndefined();
    expect(event?.requestContext.requestId).toMatch(/^\S+$/);
    expect(Math.abs((event?.requestContext.timeEpoch ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('base64-encodes bodies that are not text and decodes base64 answers', async () => {
    // Prepare
    const bytes = Buffer.from([0, 255, 1, 254, 10]);
    const binary: HttpFunction = {
      name: 'binary',
      handler: async (event) => {
        seen.push(event);
        return { statusCode: 200, isBase64Encoded: true, body: event.body ?? '' };
      },
    };
    const gateway = await start([{ routeKey: 'POST /blobs', target: binary }]);

    // Act
    const response = await fetch(`${gateway.url}/blobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });

    // Assess
    expect(seen[0]?.isBase64Encoded).toBe(true);
    expect(seen[0]?.body).toBe(bytes.toString('base64'));
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
  });

  it('fills pathParameters from a templated route and prefers the literal route', async () => {
    // Prepare
    const literal: HttpFunction = {
      name: 'literal',
      handler: async () => ({ statusCode: 200, body: 'literal' }),
    };
    const gateway = await start([
      { routeKey: 'GET /payments/{eventId}', target: echo },
      { routeKey: 'GET /payments/summary', target: literal },
    ]);

    // Act
    const templated = await fetch(`${gateway.url}/payments/evt%3A42`);
    const exact = await fetch(`${gateway.url}/payments/summary`);

    // Assess
    expect(templated.status).toBe(201);
    expect(seen[0]?.pathParameters).toEqual({ eventId: 'evt:42' });
    expect(seen[0]?.routeKey).toBe('GET /payments/{eventId}');
    expect(await exact.text()).toBe('literal');
  });

  it('answers 404 like API Gateway when no route matches, including a known path with another method', async () => {
    // Prepare
    const outcomes: RequestOutcome[] = [];
    const gateway = await start([{ routeKey: 'POST /payments', target: echo }], {
      onRequest: (outcome) => outcomes.push(outcome),
    });

    // Act
    const unknownPath = await fetch(`${gateway.url}/nowhere`);
    const wrongMethod = await fetch(`${gateway.url}/payments`);

    // Assess
    for (const response of [unknownPath, wrongMethod]) {
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ message: 'Not Found' });
    }
    expect(seen).toHaveLength(0);
    expect(outcomes.map((o) => [o.routeKey, o.statusCode])).toEqual([
      [undefined, 404],
      [undefined, 404],
    ]);
  });

  it('answers 500 Internal Server Error when the handler throws or answers malformed', async () => {
    // Prepare
    const outcomes: RequestOutcome[] = [];
    const throwing: HttpFunction = {
      name: 'throwing',
      handler: async () => {
        throw new Error('database unreachable');
      },
    };
    const malformed: HttpFunction = {
      name: 'malformed',
      handler: async () => ({ statusCode: 'two hundred' }),
    };
    const gateway = await start(
      [
        { routeKey: 'POST /throw', target: throwing },
        { routeKey: 'POST /malformed', target: malformed },
      ],
      { onRequest: (outcome) => outcomes.push(outcome) },
    );

    // Act
    const thrown = await fetch(`${gateway.url}/throw`, { method: 'POST' });
    const bad = await fetch(`${gateway.url}/malformed`, { method: 'POST' });

    // Assess
    for (const response of [thrown, bad]) {
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    }
    expect(String(outcomes[0]?.error)).toContain('database unreachable');
  });

  it('answers a plain string result as a 200 application/json body', async () => {
    // Prepare
    const text: HttpFunction = { name: 'text', handler: async () => 'hello' };
    const object: HttpFunction = { name: 'object', handler: async () => ({ ok: true }) };
    const gateway = await start([
      { routeKey: 'GET /text', target: text },
      { routeKey: 'GET /object', target: object },
    ]);

    // Act
    const textAnswer = await fetch(`${gateway.url}/text`);
    const objectAnswer = await fetch(`${gateway.url}/object`);

    // Assess
    expect(textAnswer.status).toBe(200);
    expect(textAnswer.headers.get('content-type')).toBe('application/json');
    expect(await textAnswer.text()).toBe('hello');
    expect(await objectAnswer.json()).toEqual({ ok: true });
  });

  it('rejects a body over the payload limit with 413 without invoking the handler', async () => {
    // Prepare
    const gateway = await start([{ routeKey: 'POST /payments', target: echo }], { maxBodyBytes: 1024 });

    // Act
    const response = await fetch(`${gateway.url}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(1025),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(seen).toHaveLength(0);
  });

  it('fails with PortInUseError naming the address when the port is taken', async () => {
    // Prepare
    const first = await start([{ routeKey: 'POST /payments', target: echo }]);

    // Act
    const second = startHttpGateway({ routes: [], port: first.port });

    // Assess
    await expect(second).rejects.toBeInstanceOf(PortInUseError);
    await expect(second).rejects.toThrow(`127.0.0.1:${first.port} is already in use`);
  });
});
