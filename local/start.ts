/**
 * `npm start`: the whole pipeline on this machine (local broker, ledger store, HTTP API, event source
 * mapping, the Lambda handlers), with a live status line. Flags override environment variables:
 *
 *   --http-port / HTTP_PORT (3000)      --broker-port / BROKER_PORT (9092)   --ledger-port / LEDGER_PORT (8000)
 *   --data-dir / LOCAL_DATA_DIR (.local)   --brokers / LOCAL_KAFKA_BROKERS (use this Kafka, no local broker)
 *   --partitions / EVENTS_PARTITIONS (3)   --batch-size / BATCH_SIZE (100)
 *   --app-name / APP_NAME (payments): the default of the names below, as the stack's `-c appName`
 *   --topic / EVENTS_TOPIC (<app-name>)   --dead-letter-topic / DEAD_LETTER_TOPIC (<app-name>-dead-letter)
 *   --ledger-table / LEDGER_TABLE (<app-name>-ledger)   --consumer-group / CONSUMER_GROUP_ID (<app-name>-ledger)
 *   --metrics-namespace / POWERTOOLS_METRICS_NAMESPACE (ExactlyOnce<AppName>)
 *   --batching-window-ms / BATCHING_WINDOW_MS (500)   --max-retries / MAX_RETRIES (3)
 *   --on-failure / ON_FAILURE (file | topic)   --verbose (log every consume invocation)
 *   --auth / LOCAL_KAFKA_AUTH (none | iam: TLS + MSK IAM with the stack's own function policies)
 */
import { parseArgs } from 'node:util';
import {
  appNameProblem,
  consumerGroupIdProblem,
  ledgerTableProblem,
  metricsNamespaceProblem,
} from '../functions/shared/app-names';
import { type Env, integerSetting, optionalSetting } from '../functions/shared/config';
import { ConfigError } from '../functions/shared/errors';
import { topicNameProblem } from '../functions/shared/topic-name';
import { PortInUseError } from './http-gateway';
import {
  DataFolderInUseError,
  type LocalPipeline,
  type LocalPipelineOptions,
  startLocalPipeline,
} from './pipeline';
import { StatusConsole, welcome } from './pipeline/console';

const FLAGS = {
  'http-port': 'HTTP_PORT',
  'broker-port': 'BROKER_PORT',
  'ledger-port': 'LEDGER_PORT',
  'data-dir': 'LOCAL_DATA_DIR',
  brokers: 'LOCAL_KAFKA_BROKERS',
  partitions: 'EVENTS_PARTITIONS',
  'app-name': 'APP_NAME',
  topic: 'EVENTS_TOPIC',
  'dead-letter-topic': 'DEAD_LETTER_TOPIC',
  'ledger-table': 'LEDGER_TABLE',
  'consumer-group': 'CONSUMER_GROUP_ID',
  'metrics-namespace': 'POWERTOOLS_METRICS_NAMESPACE',
  'batch-size': 'BATCH_SIZE',
  'batching-window-ms': 'BATCHING_WINDOW_MS',
  'max-retries': 'MAX_RETRIES',
  'on-failure': 'ON_FAILURE',
  auth: 'LOCAL_KAFKA_AUTH',
} as const;

type Flag = keyof typeof FLAGS;
const PORT_FLAG: Record<string, Flag> = {
  'the HTTP gateway': 'http-port',
  'the local broker': 'broker-port',
  'the ledger store': 'ledger-port',
};

/** Settings named "--flag / ENV" so that an error message names both ways of setting them. */
function readSettings(argv: readonly string[], env: Env) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const merged: Record<string, string | undefined> = {};
  for (const [flag, variable] of Object.entries(FLAGS)) {
    merged[`--${flag} / ${variable}`] =
      ((values as Record<string, unknown>)[flag] as string | undefined) ?? env[variable];
  }
  const name = (flag: Flag) => `--${flag} / ${FLAGS[flag]}`;
  const port = (flag: Flag, fallback: number) =>
    integerSetting(merged, name(flag), fallback, { min: 0, max: 65535 });
  const onFailure = optionalSetting(merged, name('on-failure')) ?? 'file';
  if (onFailure !== 'file' && onFailure !== 'topic') {
    throw new ConfigError(name('on-failure'), `must be "file" or "topic", got "${onFailure}"`);
  }
  const auth = optionalSetting(merged, name('auth')) ?? 'none';
  if (auth !== 'none' && auth !== 'iam') {
    throw new ConfigError(name('auth'), `must be "none" or "iam", got "${auth}"`);
  }
  const checked = (flag: Flag, problem: (value: string) => string | undefined) => {
    const value = optionalSetting(merged, name(flag));
    const found = value === undefined ? undefined : problem(value);
    if (found !== undefined) throw new ConfigError(name(flag), found);
    return value;
  };
  const topicProblem = (value: string) => {
    const problem = topicNameProblem(value);
    return problem && `"${value}" is not a valid Kafka topic name: ${problem}`;
  };
  const brokers = optionalSetting(merged, name('brokers'))
    ?.split(',')
    .map((broker) => broker.trim());
  const options: LocalPipelineOptions = {
    httpPort: port('http-port', 3000),
    brokerPort: port('broker-port', 9092),
    ledgerPort: port('ledger-port', 8000),
    dataDir: optionalSetting(merged, name('data-dir')) ?? '.local',
    ...(brokers ? { kafkaBrokers: brokers } : {}),
    appName: checked('app-name', appNameProblem),
    topic: checked('topic', topicProblem),
    deadLetterTopic: checked('dead-letter-topic', topicProblem),
    // DynamoDB's table name rule (CreateTable, TableName).
    ledgerTable: checked('ledger-table', ledgerTableProblem),
    consumerGroupId: checked('consumer-group', consumerGroupIdProblem),
    metricsNamespace: checked('metrics-namespace', metricsNamespaceProblem),
    partitions: integerSetting(merged, name('partitions'), 3, { min: 1, max: 1000 }),
    batchSize: integerSetting(merged, name('batch-size'), 100, { min: 1, max: 10_000 }),
    batchingWindowMs: integerSetting(merged, name('batching-window-ms'), 500, { min: 0, max: 300_000 }),
    maxRetries: integerSetting(merged, name('max-retries'), -1, { min: -1, max: 10_000 }),
    onFailure,
    auth,
  };
  return { options, verbose: values.verbose === true, help: values.help === true };
}

async function main(): Promise<number> {
  const terminal = new StatusConsole();
  let settings: ReturnType<typeof readSettings>;
  try {
    settings = readSettings(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  if (settings.help) {
    console.log(
      'Usage: npm start -- [--http-port N] [--broker-port N] [--ledger-port N] [--data-dir DIR] [--brokers host:port,…]\n' +
        '                    [--partitions N] [--batch-size N] [--batching-window-ms N] [--max-retries N]\n' +
        '                    [--app-name NAME] [--topic T] [--dead-letter-topic T] [--ledger-table T]\n' +
        '                    [--consumer-group G] [--metrics-namespace NS]\n' +
        '                    [--on-failure file|topic] [--auth none|iam] [--verbose]\n' +
        'Each flag can also be set with the environment variable named in local/start.ts.',
    );
    return 0;
  }

  if (settings.options.auth === 'iam') {
    console.log("Reading the IAM policies of the stack's functions from a synthesis of lib/ (some seconds)…");
  }
  let pipeline: LocalPipeline;
  try {
    pipeline = await startLocalPipeline({
      ...settings.options,
      log: (line, level) => {
        if (level === 'warn' || settings.verbose) terminal.line(line);
      },
    });
  } catch (error) {
    if (error instanceof PortInUseError) {
      const flag = PORT_FLAG[error.service];
      const hint = flag ? ` (--${flag} <port> or ${FLAGS[flag]}=<port>)` : '';
      console.error(`npm start: ${error.message}${hint}`);
      return 1;
    }
    if (error instanceof DataFolderInUseError) {
      console.error(`npm start: ${error.message}`);
      return 1;
    }
    console.error('npm start: the local pipeline could not start:', error);
    return 1;
  }

  console.log(welcome(pipeline, settings.options.partitions ?? 3));
  let refreshing = false;
  let lastPrinted = '';
  const refresh = async () => {
    if (refreshing) return;
    refreshing = true;
    try {
      const line = await pipeline.statusLine();
      // Without a terminal, print only when something changed so a log file stays readable.
      if (terminal.interactive || line !== lastPrinted) terminal.status(line);
      lastPrinted = line;
    } catch (error) {
      terminal.line(`status unavailable: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      refreshing = false;
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), terminal.interactive ? 1_000 : 5_000);

  return new Promise<number>((resolve) => {
    let stoppingSince: number | undefined;
    const stop = (signal: NodeJS.Signals) => {
      if (stoppingSince !== undefined) {
        // Ctrl-C reaches every process of the group and npm/tsx relay it too: the same keypress can arrive
        // twice within milliseconds. Only a later, second Ctrl-C skips the clean shutdown.
        if (Date.now() - stoppingSince > 1_000) resolve(130);
        return;
      }
      stoppingSince = Date.now();
      clearInterval(timer);
      terminal.finish();
      console.log(`${signal}: stopping (finishing the batch in flight)…`);
      pipeline
        .close()
        .then(() => {
          console.log('Stopped. The data is kept; npm start resumes from it.');
          resolve(0);
        })
        .catch((error: unknown) => {
          console.error('npm start: stopping failed:', error);
          resolve(1);
        });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

// The handlers' warm clients (producers, HTTP keep-alive) would keep the process alive after a clean stop.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
