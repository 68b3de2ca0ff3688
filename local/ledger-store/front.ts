import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request } from './dynalite';
import { errorReply, type Reply } from './transact-write-items';

/**
 * The HTTP front of a ledger store: DynamoDB's JSON protocol (the operation in `X-Amz-Target`, the request as
 * JSON) on 127.0.0.1, with transaction faults that tests inject. The embedded store answers behind it; the
 * forwarding store passes requests on to another DynamoDB-compatible endpoint.
 */

/** Which transactions fail on purpose: lets tests stop the ledger at a chosen point of the consume flow. */
export interface TransactionFault {
  /** `before`: nothing is written and the call fails; `after`: everything is written, then the call fails. */
  readonly when: 'before' | 'after';
  /** How many TransactWriteItems calls fail. */
  readonly times: number;
  /** How many calls succeed first (default 0: the next call fails). */
  readonly skip?: number;
}

export interface LedgerStore {
  /** http://127.0.0.1:<port>, for DYNAMODB_ENDPOINT. */
  readonly endpoint: string;
  readonly port: number;
  /** Makes the next TransactWriteItems calls answer a 500 InternalServerError, before or after applying. */
  failTransactions(fault: TransactionFault): void;
  /** How many TransactWriteItems calls were committed (for tests and benchmarks). */
  readonly committedTransactions: number;
  close(): Promise<void>;
}

export interface FrontOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Answers one request. */
  answer(operation: string, request: Request): Promise<Reply>;
  /** Runs after the server stopped listening. */
  closed(): Promise<void>;
}

export async function startFront(options: FrontOptions): Promise<LedgerStore> {
  let fault: { when: 'before' | 'after'; skip: number; left: number } | undefined;
  let committed = 0;

  const handle = async (operation: string, request: Request): Promise<Reply> => {
    if (operation !== 'TransactWriteItems') return options.answer(operation, request);
    let injected: typeof fault;
    if (fault && fault.skip > 0) fault.skip -= 1;
    else if (fault && fault.left > 0) {
      fault.left -= 1;
      injected = fault;
    }
    if (injected?.when === 'before') return injectedFailure();
    const reply = await options.answer(operation, request);
    if (reply.status === 200) committed += 1;
    if (injected?.when === 'after') return injectedFailure();
    return reply;
  };

  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        let request: Request;
        try {
          request = JSON.parse(body || '{}') as Request;
        } catch {
          return send(res, errorReply(400, 'com.amazon.coral.service#SerializationException', 'bad JSON'));
        }
        return handle(operation, request).then((reply) => send(res, reply));
      })
      .catch((error: unknown) => send(res, errorReply(500, 'InternalServerError', String(error))));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    // EADDRINUSE and the like go to the caller as they are (the local pipeline names the port in use).
    await options.closed();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    failTransactions(next) {
      fault = { when: next.when, skip: next.skip ?? 0, left: next.times };
    },
    get committedTransactions() {
      return committed;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await options.closed();
    },
  };
}

function injectedFailure(): Reply {
  return errorReply(
    500,
    'com.amazonaws.dynamodb.v20120810#InternalServerError',
    'TransactWriteItems failed on purpose (fault injected by the local ledger store)',
  );
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
