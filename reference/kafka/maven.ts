/**
 * Jars from Maven Central, resolved once per version into .cache/ (gitignored) and reused by later runs;
 * Maven's own ~/.m2 cache keeps the downloads. Java 17 and Maven must be installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const CACHE = resolve(HERE, '../../.cache/kafka');

export class MissingToolError extends Error {
  readonly code = 'REFERENCE_TOOL_MISSING';
  constructor(readonly tool: string) {
    super(`${tool} is not installed: Apache Kafka runs on Java 17 and its jars come through Maven`);
    this.name = 'MissingToolError';
  }
}

/** Throws MissingToolError naming the first of java, javac, mvn that is not on PATH. */
export function requireJavaAndMaven(): void {
  for (const [tool, flag] of [
    ['java', '-version'],
    ['javac', '-version'],
    ['mvn', '-v'],
  ] as const) {
    const probe = spawnSync(tool, [flag], { stdio: 'ignore' });
    if (probe.error || probe.status !== 0) throw new MissingToolError(tool);
  }
}

/** Copies the artifacts of reference/kafka/pom.xml at `version` into the cache once; returns a classpath. */
export async function kafkaClasspath(version: string): Promise<string> {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`Kafka version must look like 3.8.1, got ${JSON.stringify(version)}`);
  }
  const libs = join(CACHE, version, 'libs');
  const complete = join(CACHE, version, 'complete');
  if (!existsSync(complete)) {
    requireJavaAndMaven();
    await mvn([
      '-q',
      '-B',
      '-f',
      join(HERE, 'pom.xml'),
      'dependency:copy-dependencies',
      `-Dkafka.version=${version}`,
      `-DoutputDirectory=${libs}`,
    ]);
    await writeFile(complete, `${new Date().toISOString()}\n`);
  }
  return join(libs, '*');
}

function mvn(args: readonly string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('mvn', [...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`mvn ${args.join(' ')} exited with ${code}`)),
    );
  });
}
