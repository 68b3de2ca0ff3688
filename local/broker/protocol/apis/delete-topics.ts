/**
 * DeleteTopics (key 20), versions 0-3.
 *
 * DeleteTopics Request (Version: 0-3) => [topic_names] timeout_ms
 *   topic_names => STRING
 *   timeout_ms => INT32
 *
 * DeleteTopics Response (Version: 0-3) => throttle_time_ms* [responses]
 *   throttle_time_ms => INT32                 (* v1+)
 *   responses => name error_code
 *     name => STRING
 *     error_code => INT16
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface DeleteTopicsRequest {
  readonly topicNames: readonly string[];
  readonly timeoutMs: number;
}

export function decodeDeleteTopicsRequest(reader: Reader, _version: number): DeleteTopicsRequest {
  const topicNames = reader.array((r) => r.string());
  const timeoutMs = reader.int32();
  reader.taggedFields();
  return { topicNames, timeoutMs };
}

export interface DeleteTopicsResponse {
  readonly responses: readonly { readonly name: string; readonly errorCode: number }[];
}

export function encodeDeleteTopicsResponse(
  writer: Writer,
  version: number,
  response: DeleteTopicsResponse,
): void {
  if (version >= 1) writer.int32(0);
  writer.array(response.responses, (w, topic) => {
    w.string(topic.name).int16(topic.errorCode).taggedFields();
  });
  writer.taggedFields();
}
