/**
 * The APIs this broker serves and the versions it advertises in ApiVersions.
 * The classic table follows the project design (section 3): the highest versions kafkajs,
 * librdkafka and kafka-python use, none of them flexible (no tagged fields, KIP-482).
 * The extended table adds the first flexible versions of the APIs @platformatic/kafka 1.x needs
 * (it implements nothing older than ApiVersions v3, Metadata v9, Fetch v12, FindCoordinator v4,
 * JoinGroup v6, SyncGroup/Heartbeat/LeaveGroup v4, OffsetCommit/OffsetFetch v8, InitProducerId v3,
 * CreatePartitions v3, DescribeConfigs v4, AlterConfigs v2, IncrementalAlterConfigs v1).
 * `flexibleFrom` is the first flexible version of each API in Apache Kafka's message definitions
 * (clients/src/main/resources/common/message/*.json, "flexibleVersions"); it picks the header and
 * field encodings should a range ever be raised into the flexible versions.
 */

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  IncrementalAlterConfigs: 44,
} as const;
export type ApiKeyValue = (typeof ApiKey)[keyof typeof ApiKey];

export interface ApiVersionRange {
  readonly apiKey: ApiKeyValue;
  readonly name: keyof typeof ApiKey;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly flexibleFrom: number;
}

function range(
  name: keyof typeof ApiKey,
  minVersion: number,
  maxVersion: number,
  flexibleFrom: number,
): ApiVersionRange {
  return { apiKey: ApiKey[name], name, minVersion, maxVersion, flexibleFrom };
}

export const SUPPORTED_APIS: readonly ApiVersionRange[] = [
  range('Produce', 3, 8, 9),
  range('Fetch', 4, 11, 12),
  range('ListOffsets', 0, 3, 6),
  range('Metadata', 0, 8, 9),
  range('OffsetCommit', 0, 7, 8),
  range('OffsetFetch', 0, 5, 6),
  range('FindCoordinator', 0, 2, 3),
  range('JoinGroup', 0, 5, 6),
  range('Heartbeat', 0, 3, 4),
  range('LeaveGroup', 0, 3, 4),
  range('SyncGroup', 0, 3, 4),
  range('DescribeGroups', 0, 4, 5),
  range('ListGroups', 0, 2, 3),
  range('ApiVersions', 0, 2, 3),
  range('CreateTopics', 0, 4, 5),
  range('DeleteTopics', 0, 3, 4),
  range('InitProducerId', 0, 1, 2),
  // Transactions (KIP-98). v2 of the first three only adds PRODUCER_FENCED, which v0-1 clients get as 47.
  range('AddPartitionsToTxn', 0, 1, 3),
  range('AddOffsetsToTxn', 0, 1, 3),
  range('EndTxn', 0, 1, 3),
  range('TxnOffsetCommit', 0, 2, 3),
  range('DescribeConfigs', 0, 2, 4),
  range('AlterConfigs', 0, 1, 2),
  range('CreatePartitions', 0, 1, 2),
  range('IncrementalAlterConfigs', 0, 0, 1),
];

const EXTENDED_MAX_VERSIONS: Partial<Record<keyof typeof ApiKey, number>> = {
  Fetch: 12,
  ListOffsets: 5,
  Metadata: 9,
  OffsetCommit: 8,
  OffsetFetch: 8,
  FindCoordinator: 4,
  JoinGroup: 6,
  Heartbeat: 4,
  LeaveGroup: 4,
  SyncGroup: 4,
  ApiVersions: 3,
  InitProducerId: 3,
  CreatePartitions: 3,
  AlterConfigs: 2,
  IncrementalAlterConfigs: 1,
  DescribeConfigs: 4,
};

export const EXTENDED_APIS: readonly ApiVersionRange[] = SUPPORTED_APIS.map((api) => ({
  ...api,
  maxVersion: EXTENDED_MAX_VERSIONS[api.name] ?? api.maxVersion,
}));

/** The version ranges one broker serves, looked up by API key. */
export class ApiTable {
  private readonly byKey: Map<number, ApiVersionRange>;

  constructor(readonly apis: readonly ApiVersionRange[]) {
    this.byKey = new Map(apis.map((api) => [api.apiKey, api]));
  }

  get(apiKey: number): ApiVersionRange | undefined {
    return this.byKey.get(apiKey);
  }

  isSupported(apiKey: number, apiVersion: number): boolean {
    const api = this.byKey.get(apiKey);
    return api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion;
  }
}

/**
 * Served only on a listener with SASL authentication, as Kafka advertises them only there. SaslHandshake v0
 * (the SASL tokens then travel unframed) is not served: kafkajs and the Java client use v1. SaslHandshake
 * has no flexible version.
 */
export const SASL_APIS: readonly ApiVersionRange[] = [
  range('SaslHandshake', 1, 1, Number.POSITIVE_INFINITY),
  range('SaslAuthenticate', 0, 1, 2),
];

/** A table that also serves the SASL APIs. */
export function withSasl(table: ApiTable): ApiTable {
  return new ApiTable([...table.apis, ...SASL_APIS]);
}

export const CLASSIC_API_TABLE = new ApiTable(SUPPORTED_APIS);
export const EXTENDED_API_TABLE = new ApiTable(EXTENDED_APIS);

export function supportedApi(apiKey: number): ApiVersionRange | undefined {
  return CLASSIC_API_TABLE.get(apiKey);
}

/** Whether a request of this API and version uses the flexible encodings (KIP-482). */
export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const api = CLASSIC_API_TABLE.get(apiKey);
  return api !== undefined && apiVersion >= api.flexibleFrom;
}
