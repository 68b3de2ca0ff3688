/**
 * SaslHandshake (key 17), versions 0-1 (v1: the SASL exchange then travels in SaslAuthenticate requests).
 *
 * SaslHandshake Request (Version: 0-1) => mechanism
 *   mechanism => STRING
 *
 * SaslHandshake Response (Version: 0-1) => error_code [mechanisms]
 *   error_code => INT16
 *   mechanisms => STRING
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface SaslHandshakeRequest {
  readonly mechanism: string;
}

export function decodeSaslHandshakeRequest(reader: Reader, _version: number): SaslHandshakeRequest {
  return { mechanism: reader.string() };
}

export interface SaslHandshakeResponse {
  readonly errorCode: number;
  readonly mechanisms: readonly string[];
}

export function encodeSaslHandshakeResponse(
  writer: Writer,
  _version: number,
  response: SaslHandshakeResponse,
): void {
  writer.int16(response.errorCode);
  writer.array(response.mechanisms, (w, mechanism) => {
    w.string(mechanism);
  });
}
