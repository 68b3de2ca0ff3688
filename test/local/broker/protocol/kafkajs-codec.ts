/**
 * kafkajs's own protocol encoders and decoders (an independent implementation of the Kafka grammar),
 * used to check this broker's codecs: kafkajs writes a request that the broker's decoder reads, and
 * reads a response that the broker's encoder wrote.
 */
import { createRequire } from 'node:module';
import { supportedApi } from '../../../../local/broker/protocol/api-keys';
import { Reader } from '../../../../local/broker/protocol/reader';
import { Writer } from '../../../../local/broker/protocol/writer';

const require = createRequire(import.meta.url);

interface KafkajsRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  encode(): Promise<{ readonly buffer: Buffer }>;
}

interface KafkajsResponse {
  decode(body: Buffer): Promise<Record<string, unknown>>;
}

interface KafkajsApi {
  readonly request: KafkajsRequest;
  readonly response: KafkajsResponse;
}

type KafkajsProtocol = { protocol(options: { version: number }): (args: object) => KafkajsApi };

export function kafkajsApi(api: string, version: number, args: object = {}): KafkajsApi {
  const module = require(`kafkajs/src/protocol/requests/${api}`) as KafkajsProtocol;
  return module.protocol({ version })(args);
}

export function kafkajsVersions(api: string): number[] {
  const module = require(`kafkajs/src/protocol/requests/${api}`) as { versions: string[] };
  return module.versions.map(Number);
}

/** kafkajs's 64-bit integers are `Long` objects; compare them as strings. */
export function longString(value: unknown): string {
  return String(value);
}

/** Versions of an API that both kafkajs and the broker speak. */
export function sharedVersions(api: string, apiKey: number): number[] {
  const range = supportedApi(apiKey);
  if (!range) throw new Error(`api key ${apiKey} is not served`);
  return kafkajsVersions(api).filter((v) => v >= range.minVersion && v <= range.maxVersion);
}

/** The body of the request kafkajs encodes for this API, version and arguments. */
export async function requestBody(api: string, version: number, args: object): Promise<Reader> {
  const { request } = kafkajsApi(api, version, args);
  if (request.apiVersion !== version) {
    throw new Error(`kafkajs encoded ${api} v${request.apiVersion}, expected v${version}`);
  }
  return new Reader((await request.encode()).buffer);
}

/** A response body as the broker encodes it. */
export function responseBody(encode: (writer: Writer) => void): Buffer {
  const writer = new Writer();
  encode(writer);
  return writer.finish();
}
