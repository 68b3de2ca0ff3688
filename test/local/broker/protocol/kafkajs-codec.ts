/**
 * kafkajs's own protocol encoders and decoders (an independent implementation of the Kafka grammar),
 * used to check this broker's codecs: kafkajs writes a request that the broker's decoder reads, and
 * reads a response that the broker's encoder wrote.
 */
import { createRequire } from 'node:module';

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
