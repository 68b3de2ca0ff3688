/**
 * Request and response headers (https://kafka.apache.org/protocol.html#protocol_messages).
 *
 * Request Header v1 => request_api_key request_api_version correlation_id client_id
 *   request_api_key => INT16
 *   request_api_version => INT16
 *   correlation_id => INT32
 *   client_id => NULLABLE_STRING
 * Request Header v2 => request_api_key request_api_version correlation_id client_id TAG_BUFFER
 *
 * Response Header v0 => correlation_id
 *   correlation_id => INT32
 * Response Header v1 => correlation_id TAG_BUFFER
 *
 * The client_id stays a classic NULLABLE_STRING even in header v2. ApiVersions responses always use
 * header v0, so that a client can read the answer whatever version it asked for (KIP-511).
 */
import { ApiKey, isFlexible } from './api-keys';
import { Reader } from './reader';
import { Writer } from './writer';

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** Whether the request body uses the flexible encodings. */
  readonly flexible: boolean;
}

/** Decodes the header of one request frame (size prefix removed); the body starts at `reader.offset`. */
export function decodeRequestHeader(frame: Buffer): { header: RequestHeader; body: Reader } {
  const reader = new Reader(frame);
  const apiKey = reader.int16();
  const apiVersion = reader.int16();
  const correlationId = reader.int32();
  const clientId = reader.nullableString();
  // ApiVersions requests newer than those served are flexible too (v3+): parse their header as v2 so
  // the body offset is right, whether or not the body is then read.
  const flexible = isFlexible(apiKey, apiVersion);
  const body = new Reader(frame, reader.offset, flexible);
  body.taggedFields();
  return { header: { apiKey, apiVersion, correlationId, clientId, flexible }, body };
}

/**
 * Starts a response frame: size prefix (filled in by `finish()`) and response header. The body is
 * flexible when the request was, except for an answer shaped as an older version (ApiVersions fallback).
 */
export function startResponse(header: RequestHeader, flexibleBody = header.flexible): Writer {
  const flexibleHeader = header.flexible && header.apiKey !== ApiKey.ApiVersions;
  const writer = new Writer(flexibleBody, true);
  writer.int32(header.correlationId);
  if (flexibleHeader) writer.taggedFields();
  return writer;
}

/** Encodes a request header, for clients and tests. */
export function encodeRequestHeader(writer: Writer, header: Omit<RequestHeader, 'flexible'>): Writer {
  writer.int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId);
  // client_id is a classic nullable string in every header version.
  const value = header.clientId;
  if (value === null) writer.int16(-1);
  else writer.int16(Buffer.byteLength(value)).raw(Buffer.from(value));
  if (isFlexible(header.apiKey, header.apiVersion)) writer.uvarint(0);
  return writer;
}
