/**
 * AlterConfigs (key 33), versions 0-1, and IncrementalAlterConfigs (key 44), version 0: the same
 * request shape except for the operation of each entry, and the same response.
 *
 * AlterConfigs Request (Version: 0-1) => [resources] validate_only
 *   resources => resource_type resource_name [configs]
 *     resource_type => INT8
 *     resource_name => STRING
 *     configs => name value
 *       name => STRING
 *       value => NULLABLE_STRING
 *   validate_only => BOOLEAN
 *
 * IncrementalAlterConfigs Request (Version: 0) => [resources] validate_only
 *   resources => resource_type resource_name [configs]
 *     configs => name config_operation value
 *       name => STRING
 *       config_operation => INT8              (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT)
 *       value => NULLABLE_STRING
 *
 * AlterConfigs / IncrementalAlterConfigs Response => throttle_time_ms [responses]
 *   throttle_time_ms => INT32
 *   responses => error_code error_message resource_type resource_name
 *     error_code => INT16
 *     error_message => NULLABLE_STRING
 *     resource_type => INT8
 *     resource_name => STRING
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

/** IncrementalAlterConfigs operations (KIP-339). */
export const ConfigOperation = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface AlterableConfig {
  readonly name: string;
  /** SET for every entry of an AlterConfigs request, which replaces a resource's whole set. */
  readonly operation: number;
  readonly value: string | null;
}

export interface AlterConfigsResource {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly AlterableConfig[];
}

export interface AlterConfigsRequest {
  /** true for IncrementalAlterConfigs: entries change one config each, the others stay. */
  readonly incremental: boolean;
  readonly resources: readonly AlterConfigsResource[];
  readonly validateOnly: boolean;
}

function decodeResources(reader: Reader, incremental: boolean): AlterConfigsRequest {
  const resources = reader.array((r) => {
    const resourceType = r.int8();
    const resourceName = r.string();
    const configs = r.array((c) => {
      const name = c.string();
      const operation = incremental ? c.int8() : ConfigOperation.SET;
      const value = c.nullableString();
      c.taggedFields();
      return { name, operation, value };
    });
    r.taggedFields();
    return { resourceType, resourceName, configs };
  });
  const validateOnly = reader.boolean();
  reader.taggedFields();
  return { incremental, resources, validateOnly };
}

export function decodeAlterConfigsRequest(reader: Reader, _version: number): AlterConfigsRequest {
  return decodeResources(reader, false);
}

export function decodeIncrementalAlterConfigsRequest(reader: Reader, _version: number): AlterConfigsRequest {
  return decodeResources(reader, true);
}

export interface AlterConfigsResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly resourceType: number;
  readonly resourceName: string;
}

export interface AlterConfigsResponse {
  readonly responses: readonly AlterConfigsResult[];
}

export function encodeAlterConfigsResponse(
  writer: Writer,
  _version: number,
  response: AlterConfigsResponse,
): void {
  writer.int32(0);
  writer.array(response.responses, (w, result) => {
    w.int16(result.errorCode).nullableString(result.errorMessage);
    w.int8(result.resourceType).string(result.resourceName).taggedFields();
  });
  writer.taggedFields();
}
