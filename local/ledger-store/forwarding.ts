import type { Request } from './dynalite';
import { type LedgerStore, startFront } from './front';
import { errorReply, type Reply } from './transact-write-items';

export interface ForwardingOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /**
   * Pass requests on one at a time, for implementations that do not isolate concurrent transactions (moto
   * 5 serves each request on its own thread, writes a transaction item by item into the shared table and
   * undoes a cancelled one by restoring a copy of the whole table). DynamoDB isolates them.
   */
  readonly oneAtATime?: boolean;
}

/**
 * A ledger store that passes every request on to another DynamoDB-compatible endpoint (a reference
 * implementation, DynamoDB itself) behind the same front as the embedded store, so that the tests that inject
 * transaction faults run unchanged against it.
 */
export function startForwardingLedgerStore(
  target: string,
  options: ForwardingOptions = {},
): Promise<LedgerStore> {
  const url = new URL(target);
  let queue: Promise<unknown> = Promise.resolve();

  async function answer(operation: string, request: Request): Promise<Reply> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `DynamoDB_20120810.${operation}`,
          // Local reference implementations accept any credentials; none reach AWS through this front.
          authorization:
            'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: JSON.stringify(request),
      });
    } catch (error) {
      return errorReply(500, 'InternalServerError', `${target} did not answer: ${String(error)}`);
    }
    const text = await response.text();
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    // Some implementations name the error type only in a header; the SDK reads either.
    const errorType = response.headers.get('x-amzn-errortype');
    if (!response.ok && body.__type === undefined && errorType) body.__type = errorType.split(':')[0];
    return { status: response.status, body };
  }

  const forward = (operation: string, request: Request): Promise<Reply> => {
    if (!options.oneAtATime) return answer(operation, request);
    const run = queue.then(() => answer(operation, request));
    queue = run.catch(() => undefined);
    return run;
  };
  return startFront({ port: options.port ?? 0, closed: async () => undefined, answer: forward });
}
