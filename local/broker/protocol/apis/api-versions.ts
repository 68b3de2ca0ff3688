/**
 * ApiVersions (key 18), versions 0-2.
 *
 * ApiVersions Request (Version: 0-2) => (empty)
 *
 * ApiVersions Response (Version: 0) => error_code [api_keys]
 *   error_code => INT16
 *   api_keys => api_key min_version max_version
 *     api_key => INT16
 *     min_version => INT16
 *     max_version => INT16
 * ApiVersions Response (Version: 1-2) => error_code [api_keys] throttle_time_ms
 *   throttle_time_ms => INT32
 * ApiVersions Response (Version: 3) => error_code [api_keys] throttle_time_ms TAG_BUFFER   (flexible)
 *   api_keys => api_key min_version max_version TAG_BUFFER
 *
 * ApiVersions Request (Version: 3) => client_software_name client_software_version TAG_BUFFER
 *   (not read: the broker answers the same whoever asks)
 */
import type { ApiVersionRange } from '../api-keys';
import type { Writer } from '../writer';

export interface ApiVersionsResponse {
  readonly errorCode: number;
  readonly apiKeys: readonly Pick<ApiVersionRange, 'apiKey' | 'minVersion' | 'maxVersion'>[];
}

export function encodeApiVersionsResponse(
  writer: Writer,
  version: number,
  response: ApiVersionsResponse,
): void {
  writer.int16(response.errorCode);
  writer.array(response.apiKeys, (w, api) => {
    w.int16(api.apiKey).int16(api.minVersion).int16(api.maxVersion).taggedFields();
  });
  if (version >= 1) writer.int32(0);
  writer.taggedFields();
}
