/**
 * Cold start of a Lambda handler bundle: a fresh Node.js process (nothing in the module cache) imports the
 * bundle and invokes its handler once, as the Lambda runtime does for the first request of a new execution
 * environment. The child is plain Node.js, without the TypeScript loader the benchmarks run under.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export interface ColdStart {
  /** import() of the bundle: module evaluation, settings read, clients created (Lambda's init phase). */
  readonly loadMs: number;
  /** The first invocation, from the handler call to its answer (connects the producer and publishes). */
  readonly firstInvocationMs: number;
  readonly statusCode: number;
}

const RESULT_MARK = 'cold-start-result ';

/** Runs in the child: times the import and the first invocation, then prints one marked JSON line. */
const CHILD_SCRIPT = `
const started = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE_URL);
const loaded = performance.now();
const deadline = Date.now() + 30000;
const context = {
  callbackWaitsForEmptyEventLoop: false, functionName: 'cold-start', functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:cold-start', memoryLimitInMB: '512',
  awsRequestId: crypto.randomUUID(), logGroupName: '/aws/lambda/cold-start', logStreamName: 'cold-start',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done() {}, fail() {}, succeed() {},
};
const answer = await handler(JSON.parse(process.env.BENCH_EVENT), context);
const answered = performance.now();
process.stdout.write('${RESULT_MARK}' + JSON.stringify({
  loadMs: loaded - started, firstInvocationMs: answered - loaded, statusCode: answer.statusCode,
}) + '\\n');
process.exit(0);
`;

export async function measureColdStart(
  bundleFile: string,
  event: unknown,
  environment: Readonly<Record<string, string>>,
): Promise<ColdStart> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...environment };
  delete env.NODE_OPTIONS; // no loader hooks inherited from the benchmark's own runner
  env.BENCH_BUNDLE_URL = pathToFileURL(bundleFile).href;
  env.BENCH_EVENT = JSON.stringify(event);
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = output.split('\n').find((text) => text.startsWith(RESULT_MARK));
  if (code !== 0 || line === undefined) {
    throw new Error(`cold-start child exited with ${code} and no result; stderr: ${errors.slice(-2000)}`);
  }
  return JSON.parse(line.slice(RESULT_MARK.length)) as ColdStart;
}
