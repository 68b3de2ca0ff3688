/**
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs for topics, and DescribeConfigs for this
 * broker (kafka.server.ConfigHelper / ConfigAdminManager). Topic configs are validated by
 * storage/topic-configs.ts and refused with INVALID_CONFIG and Kafka's message; broker configs are set at
 * start-up and read-only here.
 */
import {
  type AlterableConfig,
  type AlterConfigsRequest,
  type AlterConfigsResource,
  type AlterConfigsResponse,
  type AlterConfigsResult,
  ConfigOperation,
} from '../../protocol/apis/alter-configs';
import type {
  DescribeConfigsRequest,
  DescribeConfigsResource,
  DescribeConfigsResponse,
  DescribeConfigsResult,
  DescribedConfig,
} from '../../protocol/apis/describe-configs';
import { ErrorCode } from '../../protocol/error-codes';
import {
  type ConfigEntry,
  ConfigSource,
  ConfigType,
  describeBrokerLogConfigs,
  describeTopicConfigs,
  isTopicConfig,
  topicConfigsProblem,
} from '../../storage/topic-configs';
import type { BrokerContext } from '../context';

/** Kafka's ConfigResource.Type. */
const ResourceType = { TOPIC: 2, BROKER: 4 } as const;

/** The only list-valued topic config here, the one APPEND and SUBTRACT apply to. */
const LIST_CONFIGS = new Set(['cleanup.policy']);

type Failure = { readonly errorCode: number; readonly errorMessage: string };

function isBroker(resource: { resourceType: number; resourceName: string }, broker: BrokerContext): boolean {
  return (
    resource.resourceType === ResourceType.BROKER &&
    (resource.resourceName === '' || resource.resourceName === String(broker.config.nodeId))
  );
}

/** Why the resource cannot be served, or undefined for an existing topic or this broker. */
function resourceProblem(
  resource: { resourceType: number; resourceName: string },
  broker: BrokerContext,
): Failure | undefined {
  if (resource.resourceType === ResourceType.TOPIC) {
    if (broker.storage.describeTopic(resource.resourceName)) return undefined;
    return {
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      errorMessage: `Topic '${resource.resourceName}' does not exist.`,
    };
  }
  if (isBroker(resource, broker)) return undefined;
  if (resource.resourceType === ResourceType.BROKER) {
    return {
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `Unexpected broker id, expected ${broker.config.nodeId} or empty string, but received ${resource.resourceName}`,
    };
  }
  return {
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage: `Unsupported resource type ${resource.resourceType}: this broker serves topic (2) and broker (4) configs`,
  };
}

function brokerConfigs(broker: BrokerContext): ConfigEntry[] {
  const fixed = (name: string, type: number, value: string, isKafkaDefault: boolean): ConfigEntry => {
    const source = isKafkaDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
    return { name, type, value, source, synonyms: [{ name, value, source }] };
  };
  const { autoCreateTopics, defaultPartitions } = broker.config;
  return [
    // Kafka's auto.create.topics.enable defaults to true; MSK's (and this broker's) to false.
    fixed('auto.create.topics.enable', ConfigType.BOOLEAN, String(autoCreateTopics), autoCreateTopics),
    fixed('num.partitions', ConfigType.INT, String(defaultPartitions), defaultPartitions === 1),
    ...describeBrokerLogConfigs(broker.storage.logDefaults),
  ];
}

function describeResource(
  resource: DescribeConfigsResource,
  includeSynonyms: boolean,
  broker: BrokerContext,
): DescribeConfigsResult {
  const { resourceType, resourceName } = resource;
  const problem = resourceProblem(resource, broker);
  if (problem) return { ...problem, resourceType, resourceName, configs: [] };
  const entries =
    resourceType === ResourceType.TOPIC
      ? describeTopicConfigs(
          broker.storage.describeTopic(resourceName)?.configs ?? {},
          broker.storage.logDefaults,
        )
      : brokerConfigs(broker);
  const wanted = resource.configurationKeys === null ? undefined : new Set(resource.configurationKeys);
  const configs = entries
    .filter((entry) => wanted === undefined || wanted.size === 0 || wanted.has(entry.name))
    .map(
      (entry): DescribedConfig => ({
        name: entry.name,
        value: entry.value,
        readOnly: resourceType !== ResourceType.TOPIC,
        source: entry.source,
        isSensitive: false,
        synonyms: includeSynonyms ? entry.synonyms : [],
        type: entry.type,
      }),
    );
  return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType, resourceName, configs };
}

export function handleDescribeConfigs(
  request: DescribeConfigsRequest,
  broker: BrokerContext,
): DescribeConfigsResponse {
  return {
    results: request.resources.map((resource) => describeResource(resource, request.includeSynonyms, broker)),
  };
}

/** The topic's overrides after applying one entry, or why the entry cannot apply. */
function applyEntry(configs: Record<string, string>, entry: AlterableConfig): Failure | undefined {
  const invalid = (errorMessage: string): Failure => ({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage });
  if (!isTopicConfig(entry.name)) return invalid(`Unknown topic config name: ${entry.name}`);
  switch (entry.operation) {
    case ConfigOperation.SET:
      if (entry.value === null) delete configs[entry.name];
      else configs[entry.name] = entry.value;
      return undefined;
    case ConfigOperation.DELETE:
      delete configs[entry.name];
      return undefined;
    case ConfigOperation.APPEND:
    case ConfigOperation.SUBTRACT: {
      if (!LIST_CONFIGS.has(entry.name)) {
        return invalid(`Config value append is not allowed for config key: ${entry.name}`);
      }
      const current = (configs[entry.name] ?? 'delete').split(',').filter((item) => item !== '');
      const items = (entry.value ?? '').split(',').filter((item) => item !== '');
      const next =
        entry.operation === ConfigOperation.APPEND
          ? [...current, ...items.filter((item) => !current.includes(item))]
          : current.filter((item) => !items.includes(item));
      configs[entry.name] = next.join(',');
      return undefined;
    }
    default:
      return {
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `Unknown config operation ${entry.operation} for ${entry.name}, expected 0 to 3`,
      };
  }
}

function alterResource(
  resource: AlterConfigsResource,
  request: AlterConfigsRequest,
  broker: BrokerContext,
): AlterConfigsResult {
  const { resourceType, resourceName } = resource;
  const answer = (failure?: Failure): AlterConfigsResult => ({
    errorCode: failure?.errorCode ?? ErrorCode.NONE,
    errorMessage: failure?.errorMessage ?? null,
    resourceType,
    resourceName,
  });
  const problem = resourceProblem(resource, broker);
  if (problem) return answer(problem);
  if (resourceType !== ResourceType.TOPIC) {
    return answer({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage:
        'broker configs are set when the broker starts (startBroker options, CLI flags) and cannot be altered',
    });
  }
  const names = resource.configs.map((entry) => entry.name);
  if (new Set(names).size !== names.length) {
    return answer({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Error due to duplicate config keys',
    });
  }
  // AlterConfigs replaces the whole set of overrides; IncrementalAlterConfigs changes the entries named.
  const configs: Record<string, string> = request.incremental
    ? { ...broker.storage.describeTopic(resourceName)?.configs }
    : {};
  for (const entry of resource.configs) {
    const failure = applyEntry(configs, entry);
    if (failure) return answer(failure);
  }
  const invalid = topicConfigsProblem(configs);
  if (invalid) return answer({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: invalid });
  if (request.validateOnly) return answer();
  const errorCode = broker.storage.alterTopicConfigs(resourceName, configs);
  if (errorCode === ErrorCode.NONE)
    broker.logger.info('topic configs altered', { topic: resourceName, configs });
  return answer(
    errorCode === ErrorCode.NONE ? undefined : { errorCode, errorMessage: `altering ${resourceName} failed` },
  );
}

export function handleAlterConfigs(
  request: AlterConfigsRequest,
  broker: BrokerContext,
): AlterConfigsResponse {
  return { responses: request.resources.map((resource) => alterResource(resource, request, broker)) };
}
