/**
 * Kafka's Java producer (reference/kafka/java/ReferenceProducer.java) compiled with javac against the
 * kafka-clients jar of the Maven Central release, and run against any bootstrap address.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_KAFKA_VERSION } from './cluster';
import { kafkaClasspath } from './maven';

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL('./java/ReferenceProducer.java', import.meta.url));

export interface ReferenceProducerRun {
  readonly bootstrap: string;
  readonly topic: string;
  readonly count: number;
  readonly keys: number;
}

/** Compiles the producer once; returns a function that runs it and resolves with what it printed. */
export async function compileReferenceProducer(
  version = DEFAULT_KAFKA_VERSION,
): Promise<(request: ReferenceProducerRun) => Promise<string>> {
  const libraries = await kafkaClasspath(version);
  const classes = await mkdtemp(join(tmpdir(), 'reference-producer-'));
  await run('javac', ['-d', classes, '-cp', libraries, SOURCE]);
  return async ({ bootstrap, topic, count, keys }) => {
    const { stdout } = await run(
      'java',
      [
        '-Xmx256m',
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=error',
        '-cp',
        `${classes}${delimiter}${libraries}`,
        'ReferenceProducer',
        bootstrap,
        topic,
        String(count),
        String(keys),
      ],
      { timeout: 300_000 },
    );
    return stdout.trim();
  };
}
