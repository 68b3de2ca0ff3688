/**
 * Every API the broker serves is authorized on an IAM-authenticated connection: routed behind a permission
 * rule, except the SASL exchange that establishes the principal (and ApiVersions, answered before routing).
 */
import { describe, expect, it } from 'vitest';
import { ApiKey, EXTENDED_APIS, SASL_APIS, SUPPORTED_APIS } from '../../../../local/broker/protocol/api-keys';
import { routeAuthorizations } from '../../../../local/broker/server/routes';

describe('the routing table', () => {
  it('routes every served API behind a permission, but for the SASL exchange', () => {
    const served = [...SUPPORTED_APIS, ...EXTENDED_APIS, ...SASL_APIS].filter(
      (api) => api.apiKey !== ApiKey.ApiVersions,
    );
    const routes = routeAuthorizations();
    const authorization = Object.fromEntries(served.map((api) => [api.name, routes.get(api.apiKey)]));
    const expected = Object.fromEntries(
      served.map((api) => [
        api.name,
        api.apiKey === ApiKey.SaslHandshake || api.apiKey === ApiKey.SaslAuthenticate
          ? 'sasl-exchange'
          : 'permission',
      ]),
    );
    expect(authorization).toEqual(expected);
    expect([...routes.keys()].sort((a, b) => a - b)).toEqual(
      [...new Set(served.map((api) => api.apiKey))].sort((a, b) => a - b),
    );
  });
});
