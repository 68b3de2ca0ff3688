/**
 * DescribeConfigs (key 32), versions 0-2 (v3 adds documentation fields, v4 is flexible).
 *
 * DescribeConfigs Request (Version: 0-2) => [resources] include_synonyms*
 *   resources => resource_type resource_name [configuration_keys]
 *     resource_type => INT8                   (2 topic, 4 broker)
 *     resource_name => STRING
 *     configuration_keys => STRING            (nullable array: null asks for every config)
 *   include_synonyms => BOOLEAN               (* v1+)
 *
 * DescribeConfigs Response (Version: 0-2) => throttle_time_ms [results]
 *   throttle_time_ms => INT32
 *   results => error_code error_message resource_type resource_name [configs]
 *     error_code => INT16
 *     error_message => NULLABLE_STRING
 *     resource_type => INT8
 *     resource_name => STRING
 *     configs => name value read_only is_default* config_source** is_sensitive [synonyms]**
 *       name => STRING
 *       value => NULLABLE_STRING
 *       read_only => BOOLEAN
 *       is_default => BOOLEAN                 (* v0 only)
 *       config_source => INT8                 (** v1+)
 *       is_sensitive => BOOLEAN
 *       synonyms => name value source         (** v1+)
 *         name => STRING
 *         value => NULLABLE_STRING
 *         source => INT8
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface DescribeConfigsResource {
  readonly resourceType: number;
  readonly resourceName: string;
  /** null: every config of the resource. */
  readonly configurationKeys: readonly string[] | null;
}

export interface DescribeConfigsRequest {
  readonly resources: readonly DescribeConfigsResource[];
  readonly includeSynonyms: boolean;
}

export function decodeDescribeConfigsRequest(reader: Reader, version: number): DescribeConfigsRequest {
  const resources = reader.array((r) => {
    const resourceType = r.int8();
    const resourceName = r.string();
    const configurationKeys = r.nullableArray((k) => k.string());
    r.taggedFields();
    return { resourceType, resourceName, configurationKeys };
  });
  const includeSynonyms = version >= 1 ? reader.boolean() : false;
  reader.taggedFields();
  return { resources, includeSynonyms };
}

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: number;
}

export interface DescribedConfig {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  /** Kafka's ConfigSource; v0's is_default is `source === DEFAULT_CONFIG`. */
  readonly source: number;
  readonly isSensitive: boolean;
  readonly synonyms: readonly ConfigSynonym[];
}

export interface DescribeConfigsResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly DescribedConfig[];
}

export interface DescribeConfigsResponse {
  readonly results: readonly DescribeConfigsResult[];
}

/** Kafka's DescribeConfigsResponse.ConfigSource.DEFAULT_CONFIG. */
const DEFAULT_CONFIG_SOURCE = 5;

export function encodeDescribeConfigsResponse(
  writer: Writer,
  version: number,
  response: DescribeConfigsResponse,
): void {
  writer.int32(0);
  writer.array(response.results, (w, result) => {
    w.int16(result.errorCode).nullableString(result.errorMessage);
    w.int8(result.resourceType).string(result.resourceName);
    w.array(result.configs, (cw, config) => {
      cw.string(config.name).nullableString(config.value).boolean(config.readOnly);
      if (version === 0) cw.boolean(config.source === DEFAULT_CONFIG_SOURCE);
      else cw.int8(config.source);
      cw.boolean(config.isSensitive);
      if (version >= 1) {
        cw.array(config.synonyms, (sw, synonym) => {
          sw.string(synonym.name).nullableString(synonym.value).int8(synonym.source).taggedFields();
        });
      }
      cw.taggedFields();
    });
    w.taggedFields();
  });
  writer.taggedFields();
}
