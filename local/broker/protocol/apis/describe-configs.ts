/**
 * DescribeConfigs (key 32), versions 0-4 (v4 is flexible).
 *
 * DescribeConfigs Request (Version: 0-4) => [resources] include_synonyms* include_documentation***
 *   resources => resource_type resource_name [configuration_keys]
 *     resource_type => INT8                   (2 topic, 4 broker)
 *     resource_name => STRING
 *     configuration_keys => STRING            (nullable array: null asks for every config)
 *   include_synonyms => BOOLEAN               (* v1+)
 *   include_documentation => BOOLEAN          (*** v3+)
 *
 * DescribeConfigs Response (Version: 0-4) => throttle_time_ms [results]
 *   throttle_time_ms => INT32
 *   results => error_code error_message resource_type resource_name [configs]
 *     error_code => INT16
 *     error_message => NULLABLE_STRING
 *     resource_type => INT8
 *     resource_name => STRING
 *     configs => name value read_only is_default* config_source** is_sensitive [synonyms]** config_type***
 *                documentation***
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
 *       config_type => INT8                   (*** v3+: Kafka's ConfigEntry.ConfigType)
 *       documentation => NULLABLE_STRING      (*** v3+)
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
  if (version >= 3) reader.boolean(); // include_documentation: no documentation is served
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
  /** Kafka's ConfigEntry.ConfigType (v3+). */
  readonly type: number;
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
      if (version >= 3) cw.int8(config.type).nullableString(null);
      cw.taggedFields();
    });
    w.taggedFields();
  });
  writer.taggedFields();
}
