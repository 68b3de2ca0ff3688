import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** The shape of every handler in functions/: what the Node.js Lambda runtime calls with (event, context). */
export type LambdaHandler<TEvent, TResult> = (event: TEvent, context: Context) => Promise<TResult>;

export interface LambdaFunction<TEvent, TResult> {
  readonly name: string;
  readonly handler: LambdaHandler<TEvent, TResult>;
  /** Lambda's function timeout; the invocation fails once it is exceeded. @default 30 s */
  readonly timeoutMs?: number;
}

/** Account id of every fake ARN the local emulators hand to handlers. */
export const LOCAL_ACCOUNT_ID = '000000000000';
const DEFAULT_TIMEOUT_MS = 30_000;

/** The region local handlers and clients report: AWS_REGION when set, as in Lambda, else us-east-1. */
export function localRegion(): string {
  return process.env.AWS_REGION ?? 'us-east-1';
}

/** The ARN a function would have in the local account, as context.invokedFunctionArn reports it. */
export function localFunctionArn(functionName: string): string {
  return `arn:aws:lambda:${localRegion()}:${LOCAL_ACCOUNT_ID}:function:${functionName}`;
}

/** An invocation ran past the function timeout, as Lambda reports it ("Task timed out after N seconds"). */
export class LambdaTimeoutError extends Error {
  readonly code = 'LAMBDA_TIMEOUT';
  constructor(
    readonly functionName: string,
    readonly timeoutMs: number,
  ) {
    super(`${functionName}: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    this.name = 'LambdaTimeoutError';
  }
}

function createContext(functionName: string, deadline: number): Context {
  const unsupported = (what: string) => () => {
    throw new Error(`context.${what}() is not supported locally: return a value or throw from the handler`);
  };
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(functionName),
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/**
 * Invokes a handler the way the Lambda runtime does: a fresh context per invocation and the function
 * timeout enforced. The handler's own module state (warm clients) is shared across invocations, as in a
 * warm execution environment.
 */
export async function invokeLambda<TEvent, TResult>(
  fn: LambdaFunction<TEvent, TResult>,
  event: TEvent,
): Promise<TResult> {
  const timeoutMs = fn.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const context = createContext(fn.name, Date.now() + timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaTimeoutError(fn.name, timeoutMs)), timeoutMs);
  });
  try {
    // Promise.resolve().then() turns a synchronous throw into a rejection, like the runtime does.
    return await Promise.race([Promise.resolve().then(() => fn.handler(event, context)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
