/** A bare Kafka wire client for tests: writes request frames, reads response frames in order. */
import { connect, type Socket } from 'node:net';
import { encodeRequestHeader } from '../../../../local/broker/protocol/header';
import { Reader } from '../../../../local/broker/protocol/reader';
import { Writer } from '../../../../local/broker/protocol/writer';

export interface RawResponse {
  readonly correlationId: number;
  /** The body after the correlation id (response header v0). */
  readonly body: Reader;
}

export class RawClient {
  private buffered = Buffer.alloc(0);
  private readonly responses: RawResponse[] = [];
  private waiters: (() => void)[] = [];
  private nextCorrelationId = 1;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.responses.push({ correlationId: frame.readInt32BE(0), body: new Reader(frame, 4) });
      }
      this.wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('close', () => this.wake());
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readyState === 'closed';
  }

  /** Sends one request; returns its correlation id. */
  send(apiKey: number, apiVersion: number, writeBody: (writer: Writer) => void = () => {}): number {
    const correlationId = this.nextCorrelationId++;
    const writer = new Writer(false, true);
    encodeRequestHeader(writer, { apiKey, apiVersion, correlationId, clientId: 'raw-test' });
    writeBody(writer);
    this.socket.write(writer.finish());
    return correlationId;
  }

  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response, in arrival order; rejects when the connection closes first. */
  async next(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = this.responses.shift();
      if (response) return response;
      if (this.socket.destroyed) throw new Error('connection closed before a response arrived');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
