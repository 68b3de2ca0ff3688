/**
 * One client connection: frames in, responses out in request order (Kafka answers a connection's
 * requests in the order they arrived, even when a later one, e.g. Metadata, completes before an
 * earlier long-poll Fetch). Bad input closes this connection only, with the reason logged.
 */
import type { Socket } from 'node:net';
import { SaslSession } from '../auth/sasl-session';
import { ProtocolError } from '../protocol/errors';
import { decodeRequestHeader } from '../protocol/header';
import { type BrokerContext, CloseConnection, type Served } from './context';
import { FrameDecoder, FrameError } from './framing';
import { handlerFor } from './routes';

interface ResponseSlot {
  done: boolean;
  frame: readonly Buffer[] | undefined;
}

export class Connection {
  private readonly frames: FrameDecoder;
  private readonly queue: ResponseSlot[] = [];
  private readonly closed = new AbortController();
  private readonly remote: string;
  /** Present when the listener requires SASL authentication. */
  private readonly sasl: SaslSession | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly broker: BrokerContext,
  ) {
    this.frames = new FrameDecoder(broker.config.maxFrameBytes);
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    this.sasl = broker.iam
      ? new SaslSession({
          iam: broker.iam,
          logger: broker.logger,
          onExpired: (reason) => this.close(reason, 'info'),
        })
      : undefined;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) =>
      this.broker.logger.info('connection error', { remote: this.remote, error: error.message }),
    );
    socket.on('close', () => {
      // A client that hangs up halfway through a request (the broker's own closes are logged in close()).
      if (!this.closed.signal.aborted && this.frames.pendingBytes > 0) {
        broker.logger.warn('connection closed in the middle of a request', {
          remote: this.remote,
          pendingBytes: this.frames.pendingBytes,
        });
      }
      this.closed.abort();
      this.sasl?.end();
    });
  }

  get signal(): AbortSignal {
    return this.closed.signal;
  }

  /** Closes the connection, logging why. */
  close(reason: string, level: 'info' | 'warn' = 'warn'): void {
    if (this.closed.signal.aborted) return;
    this.broker.logger[level]('closing connection', { remote: this.remote, reason });
    this.closed.abort();
    this.sasl?.end();
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    if (this.closed.signal.aborted) return;
    let frames: Buffer[];
    try {
      frames = this.frames.push(chunk);
    } catch (error) {
      this.close(error instanceof FrameError ? error.message : String(error));
      return;
    }
    for (const frame of frames) {
      if (this.closed.signal.aborted) return;
      this.dispatch(frame);
    }
  }

  private dispatch(frame: Buffer): void {
    const slot: ResponseSlot = { done: false, frame: undefined };
    let served: Served | Promise<Served>;
    try {
      const { header, body } = decodeRequestHeader(frame);
      const handler = handlerFor(header, this.broker.apis);
      if (handler instanceof CloseConnection) {
        this.close(handler.reason);
        return;
      }
      if (this.sasl && !this.sasl.allows(header.apiKey)) {
        // Kafka closes a connection that sends other requests before completing SASL authentication.
        this.close(`API key ${header.apiKey} requested before SASL authentication`);
        return;
      }
      served = handler(body, this.broker, {
        header,
        clientHost: this.socket.remoteAddress ?? '',
        signal: this.closed.signal,
        ...(this.sasl ? { sasl: this.sasl, access: this.sasl.access } : {}),
      });
    } catch (error) {
      this.fail(error);
      return;
    }
    this.queue.push(slot);
    if (served instanceof Promise) {
      served.then(
        (result) => this.complete(slot, result),
        (error: unknown) => this.fail(error),
      );
    } else {
      this.complete(slot, served);
    }
  }

  private fail(error: unknown): void {
    if (error instanceof ProtocolError) {
      this.close(`malformed request: ${error.message}`);
      return;
    }
    this.broker.logger.error('request failed', {
      remote: this.remote,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    this.close('request handler failed');
  }

  private complete(slot: ResponseSlot, result: Served): void {
    if (result instanceof CloseConnection) {
      this.close(result.reason);
      return;
    }
    slot.done = true;
    slot.frame = result;
    this.flush();
  }

  /** Writes every response at the head of the queue that is ready, in one corked burst. */
  private flush(): void {
    if (this.closed.signal.aborted) return;
    const head = this.queue[0];
    if (!head?.done) return;
    this.socket.cork();
    while (this.queue[0]?.done) {
      const slot = this.queue.shift() as ResponseSlot;
      // Corked: the parts of every ready response leave in one writev, record batches uncopied.
      for (const part of slot.frame ?? []) this.socket.write(part);
    }
    process.nextTick(() => {
      this.socket.uncork();
      // A failed SASL authentication is answered, then the connection is closed (as Kafka does).
      const failure = this.sasl?.failure;
      if (failure !== undefined && !this.closed.signal.aborted) {
        this.broker.logger.warn('closing connection', { remote: this.remote, reason: failure });
        this.closed.abort();
        this.socket.end();
      }
    });
  }
}
