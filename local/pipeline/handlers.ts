import type { APIGatewayProxyEventV2, MSKEvent } from 'aws-lambda';
import type { LambdaHandler } from '../lambda-runtime';

/** The settings the Lambda handlers read from their environment at cold start (as the stack sets them). */
export interface HandlerEnvironment {
  readonly KAFKA_BROKERS: string;
  readonly KAFKA_AUTH: 'none' | 'iam';
  /** With IAM: the CA of the broker's TLS listener, the region tokens are signed for, the profiles' file. */
  readonly KAFKA_CA_FILE?: string;
  readonly AWS_REGION?: string;
  readonly AWS_SHARED_CREDENTIALS_FILE?: string;
  readonly EVENTS_TOPIC: string;
  readonly DEAD_LETTER_TOPIC: string;
  readonly LEDGER_TABLE: string;
  readonly POWERTOOLS_METRICS_NAMESPACE: string;
  readonly DYNAMODB_ENDPOINT: string;
}

export interface PipelineHandlers {
  readonly ingest: LambdaHandler<APIGatewayProxyEventV2, unknown>;
  readonly status: LambdaHandler<APIGatewayProxyEventV2, unknown>;
  readonly consume: LambdaHandler<MSKEvent, unknown>;
}

/** The environment of one pipeline could not be applied because the handlers already run with another. */
export class HandlerEnvironmentError extends Error {
  readonly code = 'HANDLER_ENVIRONMENT_CONFLICT';
  constructor(name: string, loaded: string, wanted: string) {
    super(
      `the handlers of this process were loaded with ${name}=${loaded}; a pipeline with ${name}=${wanted} ` +
        'needs a new process (handlers read their settings once, at cold start, as in Lambda)',
    );
    this.name = 'HandlerEnvironmentError';
  }
}

/** Settings one function has and the others do not (on AWS, each function has its own environment). */
export interface FunctionEnvironments {
  readonly ingest?: Readonly<Record<string, string>>;
  readonly consume?: Readonly<Record<string, string>>;
}

let loaded: { environment: HandlerEnvironment; handlers: Promise<PipelineHandlers> } | undefined;

/**
 * Sets the environment the handlers read and only then imports them: their modules read settings and create
 * warm clients at load (cold start). They are loaded once per process, like one warm execution environment
 * per function; a later pipeline in the same process must use the same settings.
 */
export function loadHandlers(
  environment: HandlerEnvironment,
  functions: FunctionEnvironments = {},
): Promise<PipelineHandlers> {
  if (loaded) {
    for (const [name, value] of Object.entries(environment)) {
      const previous = loaded.environment[name as keyof HandlerEnvironment];
      if (previous !== value)
        throw new HandlerEnvironmentError(name, previous ?? '(unset)', value ?? '(unset)');
    }
    return loaded.handlers;
  }
  Object.assign(process.env, environment);
  // A cluster ARN next to a broker list is a configuration error for the handlers; locally the list wins.
  delete process.env.MSK_CLUSTER_ARN;
  process.env.AWS_REGION ??= 'us-east-1';
  // The local store accepts any credentials; placeholders keep the SDK from searching for real ones.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  // Embedded-metric lines on stdout are for CloudWatch; locally they would drown the console.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  // The producers always set a partitioner-independent key; kafkajs' v2 partitioner notice is noise here.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

  const handlers = (async (): Promise<PipelineHandlers> => {
    // One at a time, each with its own settings present while it reads them (at load, its cold start).
    const ingest = await withEnvironment(functions.ingest, () => import('../../functions/ingest/handler'));
    const status = await import('../../functions/status/handler');
    const consume = await withEnvironment(functions.consume, () => import('../../functions/consume/handler'));
    return {
      ingest: ingest.handler as LambdaHandler<APIGatewayProxyEventV2, unknown>,
      status: status.handler as LambdaHandler<APIGatewayProxyEventV2, unknown>,
      consume: consume.handler as LambdaHandler<MSKEvent, unknown>,
    };
  })();
  loaded = { environment, handlers };
  handlers.catch(() => {
    loaded = undefined; // a failed cold start can be tried again
  });
  return handlers;
}

async function withEnvironment<T>(
  variables: Readonly<Record<string, string>> | undefined,
  load: () => Promise<T>,
): Promise<T> {
  const previous = Object.fromEntries(Object.keys(variables ?? {}).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  try {
    return await load();
  } finally {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
