/**
 * Every name the pipeline gives its parts, derived from one application name so that the stack (lib/), the
 * local pipeline (local/) and the functions' defaults cannot drift apart. Each derived name can be replaced
 * on its own (CDK context, `npm start` flags); the application name only supplies the defaults.
 */

/** The shipped example. A fork for another event type changes this one value (or passes `appName`). */
export const DEFAULT_APP_NAME = 'payments';

/**
 * Lower-case letters, digits and single hyphens, starting with a letter: valid inside a Kafka topic name, a
 * DynamoDB table name, a consumer group id and (turned into PascalCase) a CloudFormation stack name and a
 * CloudWatch namespace.
 */
const APP_NAME = /^[a-z](?:-?[a-z0-9])*$/;
const MAX_APP_NAME_LENGTH = 40;
export const APP_NAME_RULE = `1-${MAX_APP_NAME_LENGTH} of a-z 0-9 and single hyphens, starting with a letter`;

export interface AppNames {
  readonly appName: string;
  /** The application name in words for descriptions, e.g. "Payments" or, for "order-events", "Order events". */
  readonly displayName: string;
  /** CDK stack id, which is also the CloudFormation stack name, e.g. "ExactlyOncePayments". */
  readonly stackId: string;
  /** The topic events are published to and consumed from, e.g. "payments". */
  readonly topic: string;
  /** Where the consumer dead-letters records it cannot apply, e.g. "payments-dead-letter". */
  readonly deadLetterTopic: string;
  /** The DynamoDB ledger table, e.g. "payments-ledger". */
  readonly ledgerTable: string;
  /** The consumer group of the event source mapping, e.g. "payments-ledger". */
  readonly consumerGroupId: string;
  /** CloudWatch namespace of the functions' custom metrics, e.g. "ExactlyOncePayments". */
  readonly metricsNamespace: string;
}

/** Why `appName` cannot be used, or undefined when it can. */
export function appNameProblem(appName: string): string | undefined {
  if (appName.length > MAX_APP_NAME_LENGTH || !APP_NAME.test(appName)) {
    return `must be ${APP_NAME_RULE}, got ${JSON.stringify(appName)}`;
  }
  return undefined;
}

/** A rule a name must follow: undefined when `value` follows it, else what is wrong, showing the value. */
function nameRule(pattern: RegExp, expected: string): (value: string) => string | undefined {
  return (value) => (pattern.test(value) ? undefined : `must be ${expected}, got ${JSON.stringify(value)}`);
}

/** DynamoDB's table name rule (CreateTable API reference, TableName). */
export const ledgerTableProblem = nameRule(
  /^[a-zA-Z0-9_.-]{3,255}$/,
  'a DynamoDB table name of 3-255 of a-z A-Z 0-9 _ . -',
);

/** Lambda's consumer group id rule (CreateEventSourceMapping, AmazonManagedKafkaEventSourceConfig). */
export const consumerGroupIdProblem = nameRule(
  /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/,
  'a consumer group id of 1-200 of a-z A-Z 0-9 - / * : _ + = . @',
);

/** CloudWatch's namespace rule (PutMetricData API reference, Namespace). */
export const metricsNamespaceProblem = nameRule(
  /^[A-Za-z0-9.\-_/#:]{1,255}$/,
  'a CloudWatch namespace (1-255 of A-Z a-z 0-9 . - _ / # :)',
);

/** The names derived from `appName`, each replaced by the override given for it. */
export function appNames(
  appName: string = DEFAULT_APP_NAME,
  overrides: Partial<Omit<AppNames, 'appName'>> = {},
): AppNames {
  const problem = appNameProblem(appName);
  if (problem !== undefined) throw new TypeError(`appName ${problem}`);
  const capitalized = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
  const words = appName.split('-');
  const pascal = words.map(capitalized).join('');
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return {
    appName,
    displayName: capitalized(words.join(' ')),
    stackId: `ExactlyOnce${pascal}`,
    topic: appName,
    deadLetterTopic: `${appName}-dead-letter`,
    ledgerTable: `${appName}-ledger`,
    consumerGroupId: `${appName}-ledger`,
    metricsNamespace: `ExactlyOnce${pascal}`,
    ...defined,
  };
}
