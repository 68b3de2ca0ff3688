/**
 * Topic configuration: the configs this broker knows, their defaults, validation, the settings a
 * partition's log applies, and how each is described (Kafka's LogConfig / TopicConfig and
 * DescribeConfigs' config sources). Defaults are Apache Kafka's, which MSK keeps for these configs.
 */

/** Kafka's DescribeConfigsResponse.ConfigSource values. */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** Kafka's ConfigEntry.ConfigType values (DescribeConfigs v3+). */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, LIST: 7 } as const;

/** Kafka's message.max.bytes default (1 MiB + 12 bytes of log overhead); MSK provisioned keeps it. */
export const DEFAULT_MESSAGE_MAX_BYTES = 1_048_588;
const SEVEN_DAYS_MS = 604_800_000;
const ONE_GIB = 1_073_741_824;

/** The broker-wide defaults topic configs fall back to (server.properties). */
export interface LogDefaults {
  /** message.max.bytes */
  readonly messageMaxBytes: number;
  /** log.retention.ms (Kafka: log.retention.hours = 168) */
  readonly retentionMs: number;
  /** log.retention.bytes */
  readonly retentionBytes: number;
  /** log.segment.bytes */
  readonly segmentBytes: number;
  /** log.roll.ms (Kafka: log.roll.hours = 168) */
  readonly segmentMs: number;
}

export const KAFKA_LOG_DEFAULTS: LogDefaults = {
  messageMaxBytes: DEFAULT_MESSAGE_MAX_BYTES,
  retentionMs: SEVEN_DAYS_MS,
  retentionBytes: -1,
  segmentBytes: ONE_GIB,
  segmentMs: SEVEN_DAYS_MS,
};

/** What one partition's log applies, resolved from the topic's overrides and the broker's defaults. */
export interface LogSettings {
  readonly maxMessageBytes: number;
  /** message.timestamp.type = LogAppendTime: the broker stamps each batch with its append time. */
  readonly logAppendTime: boolean;
  /** -1: no time limit. */
  readonly retentionMs: number;
  /** -1: no size limit. */
  readonly retentionBytes: number;
  readonly segmentBytes: number;
  readonly segmentMs: number;
}

interface ConfigDefinition {
  readonly name: string;
  readonly type: number;
  /** The broker config it defaults to, if any (listed as a synonym by DescribeConfigs v1+). */
  readonly brokerName?: string;
  readonly brokerDefault?: keyof LogDefaults;
  /** Kafka's own default when no broker config stands behind it. */
  readonly fixedDefault?: string;
  readonly problem: (value: string) => string | undefined;
}

function integerProblem(
  name: string,
  min: number,
  type: 'INT' | 'LONG',
): (value: string) => string | undefined {
  // Kafka's INT is 32 bits; a LONG fits here only up to 2^53 - 1, far beyond any sensible size or duration.
  const max = type === 'INT' ? 2_147_483_647 : Number.MAX_SAFE_INTEGER;
  return (value) => {
    const number = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number > max) {
      return `Invalid value ${value} for configuration ${name}: Not a number of type ${type}`;
    }
    return number < min
      ? `Invalid value ${value} for configuration ${name}: Value must be at least ${min}`
      : undefined;
  };
}

function oneOf(name: string, allowed: readonly string[]): (value: string) => string | undefined {
  return (value) =>
    allowed.includes(value)
      ? undefined
      : `Invalid value ${value} for configuration ${name}: String must be one of: ${allowed.join(', ')}`;
}

const DEFINITIONS: readonly ConfigDefinition[] = [
  {
    name: 'cleanup.policy',
    type: ConfigType.LIST,
    fixedDefault: 'delete',
    problem: (value) => {
      const policies = value.split(',').map((policy) => policy.trim());
      if (policies.includes('compact')) {
        return `cleanup.policy=${value} is not supported: this broker does not compact logs; use cleanup.policy=delete`;
      }
      return oneOf('cleanup.policy', ['compact', 'delete'])(value);
    },
  },
  {
    name: 'compression.type',
    type: ConfigType.STRING,
    fixedDefault: 'producer',
    problem: (value) =>
      value === 'producer'
        ? undefined
        : `compression.type=${value} is not supported: this broker keeps batches as producers compressed them (producer)`,
  },
  {
    name: 'max.message.bytes',
    type: ConfigType.INT,
    brokerName: 'message.max.bytes',
    brokerDefault: 'messageMaxBytes',
    problem: integerProblem('max.message.bytes', 0, 'INT'),
  },
  {
    name: 'message.timestamp.type',
    type: ConfigType.STRING,
    fixedDefault: 'CreateTime',
    problem: oneOf('message.timestamp.type', ['CreateTime', 'LogAppendTime']),
  },
  // Stored and described; one broker holds one replica, so nothing waits for other replicas.
  {
    name: 'min.insync.replicas',
    type: ConfigType.INT,
    fixedDefault: '1',
    problem: integerProblem('min.insync.replicas', 1, 'INT'),
  },
  {
    name: 'retention.bytes',
    type: ConfigType.LONG,
    brokerName: 'log.retention.bytes',
    brokerDefault: 'retentionBytes',
    problem: integerProblem('retention.bytes', -1, 'LONG'),
  },
  {
    name: 'retention.ms',
    type: ConfigType.LONG,
    brokerName: 'log.retention.ms',
    brokerDefault: 'retentionMs',
    problem: integerProblem('retention.ms', -1, 'LONG'),
  },
  {
    name: 'segment.bytes',
    type: ConfigType.INT,
    brokerName: 'log.segment.bytes',
    brokerDefault: 'segmentBytes',
    // Kafka 3.x's minimum (LegacyRecord.RECORD_OVERHEAD_V0).
    problem: integerProblem('segment.bytes', 14, 'INT'),
  },
  {
    name: 'segment.ms',
    type: ConfigType.LONG,
    brokerName: 'log.roll.ms',
    brokerDefault: 'segmentMs',
    problem: integerProblem('segment.ms', 1, 'LONG'),
  },
];

const BY_NAME = new Map(DEFINITIONS.map((definition) => [definition.name, definition]));

/** Why a set of topic config overrides cannot be used (Kafka answers INVALID_CONFIG), or undefined. */
export function topicConfigsProblem(configs: Readonly<Record<string, string>>): string | undefined {
  for (const [name, value] of Object.entries(configs)) {
    const definition = BY_NAME.get(name);
    if (!definition) return `Unknown topic config name: ${name}`;
    const problem = definition.problem(value);
    if (problem) return problem;
  }
  return undefined;
}

export function isTopicConfig(name: string): boolean {
  return BY_NAME.has(name);
}

function defaultValue(definition: ConfigDefinition, defaults: LogDefaults): string {
  return definition.brokerDefault !== undefined
    ? String(defaults[definition.brokerDefault])
    : (definition.fixedDefault ?? '');
}

/** The settings a log applies; `configs` must have passed `topicConfigsProblem`. */
export function resolveLogSettings(
  configs: Readonly<Record<string, string>>,
  defaults: LogDefaults,
): LogSettings {
  const value = (name: string): string => {
    const definition = BY_NAME.get(name) as ConfigDefinition;
    return configs[name] ?? defaultValue(definition, defaults);
  };
  return {
    maxMessageBytes: Number(value('max.message.bytes')),
    logAppendTime: value('message.timestamp.type') === 'LogAppendTime',
    retentionMs: Number(value('retention.ms')),
    retentionBytes: Number(value('retention.bytes')),
    segmentBytes: Number(value('segment.bytes')),
    segmentMs: Number(value('segment.ms')),
  };
}

export interface ConfigEntry {
  readonly name: string;
  readonly type: number;
  readonly value: string;
  readonly source: number;
  /** Where the value comes from, most specific first (DescribeConfigs v1+ synonyms). */
  readonly synonyms: readonly { readonly name: string; readonly value: string; readonly source: number }[];
}

/** A broker default's source: DEFAULT_CONFIG when it is Kafka's own default, else STATIC_BROKER_CONFIG. */
function brokerSource(key: keyof LogDefaults, defaults: LogDefaults): number {
  return defaults[key] === KAFKA_LOG_DEFAULTS[key]
    ? ConfigSource.DEFAULT_CONFIG
    : ConfigSource.STATIC_BROKER_CONFIG;
}

/** Every known config of a topic with its effective value and where it comes from. */
export function describeTopicConfigs(
  configs: Readonly<Record<string, string>>,
  defaults: LogDefaults,
): ConfigEntry[] {
  return DEFINITIONS.map((definition) => {
    const synonyms: { name: string; value: string; source: number }[] = [];
    const override = configs[definition.name];
    if (override !== undefined) {
      synonyms.push({ name: definition.name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    }
    if (definition.brokerName !== undefined && definition.brokerDefault !== undefined) {
      synonyms.push({
        name: definition.brokerName,
        value: String(defaults[definition.brokerDefault]),
        source: brokerSource(definition.brokerDefault, defaults),
      });
    }
    const chosen = synonyms[0];
    const { name, type } = definition;
    return chosen
      ? { name, type, value: chosen.value, source: chosen.source, synonyms }
      : {
          name,
          type,
          value: defaultValue(definition, defaults),
          source: ConfigSource.DEFAULT_CONFIG,
          synonyms,
        };
  });
}

/** The broker-level log configs (DescribeConfigs of the broker resource). */
export function describeBrokerLogConfigs(defaults: LogDefaults): ConfigEntry[] {
  return DEFINITIONS.flatMap((definition) => {
    const key = definition.brokerDefault;
    if (definition.brokerName === undefined || key === undefined) return [];
    const value = String(defaults[key]);
    const source = brokerSource(key, defaults);
    return [
      {
        name: definition.brokerName,
        type: definition.type,
        value,
        source,
        synonyms: [{ name: definition.brokerName, value, source }],
      },
    ];
  });
}
