/**
 * FindCoordinator (key 10), versions 0-4 (v3+ flexible; v4 looks up several keys at once, KIP-699).
 *
 * FindCoordinator Request (Version: 0) => key
 * FindCoordinator Request (Version: 1-3) => key key_type
 * FindCoordinator Request (Version: 4) => key_type [coordinator_keys]
 *   key => STRING
 *   key_type => INT8                          (0 group, 1 transaction)
 *   coordinator_keys => STRING
 *
 * FindCoordinator Response (Version: 0) => error_code node_id host port
 * FindCoordinator Response (Version: 1-3) => throttle_time_ms error_code error_message node_id host port
 * FindCoordinator Response (Version: 4) => throttle_time_ms [coordinators]
 *   throttle_time_ms => INT32
 *   coordinators => key node_id host port error_code error_message
 *   error_code => INT16
 *   error_message => NULLABLE_STRING
 *   node_id => INT32
 *   host => STRING
 *   port => INT32
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface FindCoordinatorRequest {
  readonly keyType: number;
  /** One key before v4. */
  readonly keys: readonly string[];
}

export function decodeFindCoordinatorRequest(reader: Reader, version: number): FindCoordinatorRequest {
  if (version >= 4) {
    const keyType = reader.int8();
    const keys = reader.array((r) => r.string());
    reader.taggedFields();
    return { keyType, keys };
  }
  const key = reader.string();
  const keyType = version >= 1 ? reader.int8() : 0;
  reader.taggedFields();
  return { keyType, keys: [key] };
}

export interface Coordinator {
  readonly key: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface FindCoordinatorResponse {
  /** One per requested key; before v4 only the first is sent. */
  readonly coordinators: readonly Coordinator[];
}

export function encodeFindCoordinatorResponse(
  writer: Writer,
  version: number,
  response: FindCoordinatorResponse,
): void {
  if (version >= 1) writer.int32(0);
  if (version >= 4) {
    writer.array(response.coordinators, (w, c) => {
      w.string(c.key).int32(c.nodeId).string(c.host).int32(c.port).int16(c.errorCode);
      w.nullableString(c.errorMessage).taggedFields();
    });
  } else {
    const c = response.coordinators[0];
    if (!c) throw new RangeError('FindCoordinator before v4 answers exactly one key');
    writer.int16(c.errorCode);
    if (version >= 1) writer.nullableString(c.errorMessage);
    writer.int32(c.nodeId).string(c.host).int32(c.port);
  }
  writer.taggedFields();
}
