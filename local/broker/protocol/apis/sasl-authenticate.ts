/**
 * SaslAuthenticate (key 36), versions 0-1 (v1 adds session_lifetime_ms, KIP-368 re-authentication).
 *
 * SaslAuthenticate Request (Version: 0-1) => auth_bytes
 *   auth_bytes => BYTES
 *
 * SaslAuthenticate Response (Version: 0) => error_code error_message auth_bytes
 *   error_code => INT16
 *   error_message => NULLABLE_STRING
 *   auth_bytes => BYTES
 * SaslAuthenticate Response (Version: 1) => error_code error_message auth_bytes session_lifetime_ms
 *   session_lifetime_ms => INT64   (0: the session does not expire)
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface SaslAuthenticateRequest {
  readonly authBytes: Buffer;
}

export function decodeSaslAuthenticateRequest(reader: Reader, _version: number): SaslAuthenticateRequest {
  return { authBytes: reader.bytes() };
}

export interface SaslAuthenticateResponse {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly authBytes: Buffer;
  readonly sessionLifetimeMs: bigint;
}

export function encodeSaslAuthenticateResponse(
  writer: Writer,
  version: number,
  response: SaslAuthenticateResponse,
): void {
  writer.int16(response.errorCode).nullableString(response.errorMessage).bytes(response.authBytes);
  if (version >= 1) writer.int64(response.sessionLifetimeMs);
}
