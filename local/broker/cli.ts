/**
 * `npm run broker -- --port 9092 --data-dir ./data [--advertised-host H --advertised-port P]
 * [--auto-create-topics]`: runs the broker in the foreground until Ctrl-C or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { BrokerConfigError, consoleLogger, type RunningBroker, startBroker } from './index';

const USAGE = `usage: npm run broker -- [--port 9092] [--host 127.0.0.1] [--data-dir DIR]
       [--advertised-host HOST] [--advertised-port PORT] [--auto-create-topics]
       [--default-partitions N] [--fsync acks-all|always|never] [--flexible-versions] [--tls]
       [--initial-rebalance-delay-ms 3000] [--message-max-bytes N] [--verbose]
  --tls  serve TLS with a certificate from a local CA generated into DATA_DIR/tls (needs --data-dir)`;

class UsageError extends Error {}

function integerFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${name}: expected a non-negative integer, got "${value}"`);
  return Number(value);
}

function fsyncFlag(value: string | undefined): 'acks-all' | 'always' | 'never' | undefined {
  if (value === undefined || value === 'acks-all' || value === 'always' || value === 'never') return value;
  throw new UsageError(`--fsync: expected acks-all, always or never, got "${value}"`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '9092' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      'advertised-host': { type: 'string' },
      'advertised-port': { type: 'string' },
      'auto-create-topics': { type: 'boolean', default: false },
      'flexible-versions': { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
      'default-partitions': { type: 'string' },
      fsync: { type: 'string' },
      'initial-rebalance-delay-ms': { type: 'string' },
      'message-max-bytes': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const dataDir = values['data-dir'];
  if (values.tls && dataDir === undefined) {
    throw new UsageError('--tls: needs --data-dir, where the CA clients must trust is kept');
  }
  const broker: RunningBroker = await startBroker({
    port: integerFlag('port', values.port),
    host: values.host,
    advertisedHost: values['advertised-host'],
    advertisedPort: integerFlag('advertised-port', values['advertised-port']),
    dataDir,
    fsync: fsyncFlag(values.fsync),
    autoCreateTopics: values['auto-create-topics'],
    flexibleVersions: values['flexible-versions'],
    defaultPartitions: integerFlag('default-partitions', values['default-partitions']),
    initialRebalanceDelayMs: integerFlag('initial-rebalance-delay-ms', values['initial-rebalance-delay-ms']),
    messageMaxBytes: integerFlag('message-max-bytes', values['message-max-bytes']),
    tls: values.tls,
    logger: consoleLogger(values.verbose),
  });
  process.stdout.write(
    `broker accepting connections on ${broker.host}:${broker.port}, advertised as ${broker.bootstrap}, ` +
      `${dataDir ? `data in ${dataDir}` : 'in-memory storage'}` +
      `${broker.tls?.caFile ? `, TLS (clients trust ${broker.tls.caFile})` : ''}\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping broker\n`);
    broker.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  if (
    error instanceof UsageError ||
    error instanceof BrokerConfigError ||
    code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
  ) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (code === 'EADDRINUSE') {
    process.stderr.write(
      `cannot listen: ${(error as Error).message} (is another broker running on that port?)\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`broker failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
