/**
 * `npm run kafka -- --brokers 3 [--version 3.8.1]`: Apache Kafka on loopback until Ctrl-C.
 * Prints the bootstrap list, e.g. for `npm start -- --brokers <list>` or `KAFKA_BROKERS=<list> npx vitest`.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_KAFKA_VERSION, startReferenceCluster } from './cluster';

const { values } = parseArgs({
  options: { brokers: { type: 'string', default: '3' }, version: { type: 'string' } },
  strict: true,
});
const nodes = Number(values.brokers);
if (nodes !== 1 && nodes !== 3) {
  console.error(`--brokers must be 1 or 3, got ${JSON.stringify(values.brokers)}`);
  process.exit(2);
}
const version = values.version ?? DEFAULT_KAFKA_VERSION;
console.log(`Starting Apache Kafka ${version} with ${nodes} broker${nodes === 1 ? '' : 's'} (KRaft)…`);
const started = Date.now();
const cluster = await startReferenceCluster({ nodes, version });
console.log(`Kafka is up in ${((Date.now() - started) / 1000).toFixed(1)} s. Bootstrap servers:`);
console.log(cluster.brokers.join(','));
for (const node of cluster.nodes)
  console.log(`  node ${node.nodeId}: pid ${node.pid()}, log ${node.logFile}`);
console.log('Ctrl-C stops every node.');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Kafka…');
    cluster.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
