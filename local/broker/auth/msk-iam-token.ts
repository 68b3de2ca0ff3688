/**
 * Verification of an MSK IAM authentication token, as MSK checks it: the token is a SigV4 presigned URL,
 * base64url-encoded, for `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster:Connect&X-Amz-…`
 * signed for the service `kafka-cluster` with only the host header, plus a `User-Agent` parameter the signer
 * adds after signing (aws-msk-iam-sasl-signer-js; AWS Signature Version 4, "Authenticating requests: using
 * query parameters"). The signature is recomputed with the secret of the access key the token names.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export class TokenError extends Error {
  override readonly name = 'TokenError';
  readonly code = 'SASL_AUTHENTICATION_FAILED';
}

export interface SigningSecret {
  readonly secretAccessKey: string;
  /** The session token temporary credentials were issued with; the token must carry the same. */
  readonly sessionToken?: string;
}

export interface VerifiedToken {
  readonly accessKeyId: string;
  /** When the presigned URL expires (X-Amz-Date + X-Amz-Expires), in ms since the epoch. */
  readonly expiresAt: number;
}

export const SIGNING_SERVICE = 'kafka-cluster';
export const CONNECT_ACTION = 'kafka-cluster:Connect';
/** The signer never asks for more than 15 minutes (EXPIRY_IN_SECONDS). */
const MAX_EXPIRES_SECONDS = 900;
/** SigV4's tolerance for a clock ahead of the server's. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Parameters outside the signature: the signature itself and what the signer appends afterwards. */
const UNSIGNED_PARAMETERS = new Set(['X-Amz-Signature', 'User-Agent']);

/** RFC 3986 encoding, as SigV4 canonical query strings need (encodeURIComponent leaves !'()* alone). */
function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) throw new TokenError(`X-Amz-Date "${value}" is not a date like 20240101T000000Z`);
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
}

function decodeTokenUrl(token: string): URL {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) {
    throw new TokenError(
      'the token is not base64url text (expected an MSK IAM token from aws-msk-iam-sasl-signer)',
    );
  }
  try {
    return new URL(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError(
      'the token does not decode to a URL (expected an MSK IAM token from aws-msk-iam-sasl-signer)',
    );
  }
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') throw new TokenError(`the token has no ${name} parameter`);
  return value;
}

/**
 * Checks the token's shape, host, action, scope, date and expiry and its signature against the secret
 * `secretOf` returns for the access key (undefined: unknown key). Throws TokenError naming what is wrong.
 */
export function verifyMskIamToken(
  token: string,
  options: { region: string; now: number; secretOf: (accessKeyId: string) => SigningSecret | undefined },
): VerifiedToken {
  const url = decodeTokenUrl(token);
  const host = `kafka.${options.region}.amazonaws.com`;
  if (url.host !== host)
    throw new TokenError(`the token was signed for host "${url.host}", expected "${host}"`);
  const params = url.searchParams;
  const action = required(params, 'Action');
  if (action !== CONNECT_ACTION) {
    throw new TokenError(`the token is for action "${action}", expected "${CONNECT_ACTION}"`);
  }
  const algorithm = required(params, 'X-Amz-Algorithm');
  if (algorithm !== 'AWS4-HMAC-SHA256') {
    throw new TokenError(`X-Amz-Algorithm is "${algorithm}", expected "AWS4-HMAC-SHA256"`);
  }
  const credential = required(params, 'X-Amz-Credential');
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator, ...extra] = credential.split('/');
  if (!accessKeyId || extra.length > 0 || terminator !== 'aws4_request') {
    throw new TokenError(
      `X-Amz-Credential "${credential}" is not <key>/<date>/<region>/<service>/aws4_request`,
    );
  }
  if (scopeRegion !== options.region || scopeService !== SIGNING_SERVICE) {
    throw new TokenError(
      `the token is scoped to ${scopeRegion}/${scopeService}, expected ${options.region}/${SIGNING_SERVICE}`,
    );
  }
  const amzDate = required(params, 'X-Amz-Date');
  const signedAt = parseAmzDate(amzDate);
  if (amzDate.slice(0, 8) !== scopeDate) {
    throw new TokenError(`X-Amz-Date ${amzDate} is not on the credential scope's date ${scopeDate}`);
  }
  const expiresRaw = required(params, 'X-Amz-Expires');
  const expiresSeconds = Number(expiresRaw);
  if (!Number.isFinite(expiresSeconds) || expiresSeconds <= 0 || expiresSeconds > MAX_EXPIRES_SECONDS) {
    throw new TokenError(
      `X-Amz-Expires is "${expiresRaw}", expected seconds from 1 to ${MAX_EXPIRES_SECONDS}`,
    );
  }
  if (signedAt > options.now + CLOCK_SKEW_MS) {
    throw new TokenError(`the token is dated ${new Date(signedAt).toISOString()}, in the future`);
  }
  const expiresAt = signedAt + expiresSeconds * 1000;
  if (options.now >= expiresAt) {
    throw new TokenError(`the token expired at ${new Date(expiresAt).toISOString()}`);
  }
  const signedHeaders = required(params, 'X-Amz-SignedHeaders');
  if (signedHeaders !== 'host')
    throw new TokenError(`X-Amz-SignedHeaders is "${signedHeaders}", expected "host"`);
  const signature = required(params, 'X-Amz-Signature');

  const secret = options.secretOf(accessKeyId);
  if (!secret) throw new TokenError(`the access key ${accessKeyId} is not known to this broker`);
  if (secret.sessionToken !== undefined && params.get('X-Amz-Security-Token') !== secret.sessionToken) {
    throw new TokenError(`the token's session token does not belong to the access key ${accessKeyId}`);
  }

  const canonicalQuery = [...params.entries()]
    .filter(([name]) => !UNSIGNED_PARAMETERS.has(name))
    .map(([name, value]) => `${uriEscape(name)}=${uriEscape(value)}`)
    .sort() // by name: no signed parameter name is a prefix of another, so the "=" never decides
    .join('&');
  const emptyPayloadHash = createHash('sha256').update('').digest('hex');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}`, '', 'host', emptyPayloadHash].join(
    '\n',
  );
  const scope = `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  let key = hmac(`AWS4${secret.secretAccessKey}`, scopeDate);
  for (const part of [scopeRegion, scopeService, 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new TokenError(
      `the signature does not match: the token was altered or signed with another secret than the one of ${accessKeyId}`,
    );
  }
  return { accessKeyId, expiresAt };
}
