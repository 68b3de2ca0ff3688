import { describe, expect, it } from 'vitest';
import { RouteDefinitionError, RouteTable } from '../../../local/http-gateway';

describe('RouteTable', () => {
  const table = new RouteTable([
    { routeKey: 'ANY /files/{path+}', target: 'greedy' },
    { routeKey: 'GET /payments/{eventId}', target: 'status' },
    { routeKey: 'POST /payments', target: 'ingest' },
    { routeKey: 'GET /payments/{eventId}/history', target: 'history' },
    { routeKey: 'ANY /payments/{eventId}', target: 'any-method' },
  ]);

  it('selects the most specific route: literal over variable, named method over ANY', () => {
    expect(table.match('POST', '/payments')?.route.target).toBe('ingest');
    expect(table.match('GET', '/payments/e1')?.route.target).toBe('status');
    expect(table.match('DELETE', '/payments/e1')?.route.target).toBe('any-method');
    expect(table.match('GET', '/payments/e1/history')?.pathParameters).toEqual({ eventId: 'e1' });
  });

  it('decodes path parameters and joins greedy segments', () => {
    expect(table.match('GET', '/payments/a%2Fb')?.pathParameters).toEqual({ eventId: 'a/b' });
    expect(table.match('PUT', '/files/x/y/z.txt')?.pathParameters).toEqual({ path: 'x/y/z.txt' });
  });

  it('matches nothing for unknown paths, missing segments or empty variables', () => {
    expect(table.match('GET', '/payments')).toBeUndefined();
    expect(table.match('GET', '/payments/')).toBeUndefined();
    expect(table.match('GET', '/files')).toBeUndefined();
    expect(table.match('GET', '/elsewhere')).toBeUndefined();
  });

  it('refuses malformed route keys at construction', () => {
    expect(() => new RouteTable([{ routeKey: 'FETCH /x', target: 1 }])).toThrow(RouteDefinitionError);
    expect(() => new RouteTable([{ routeKey: 'GET x', target: 1 }])).toThrow('a path starting with "/"');
    expect(() => new RouteTable([{ routeKey: 'GET /{a+}/b', target: 1 }])).toThrow('last segment');
    expect(
      () =>
        new RouteTable([
          { routeKey: 'GET /x', target: 1 },
          { routeKey: 'GET /x', target: 2 },
        ]),
    ).toThrow('each route key once');
  });
});
