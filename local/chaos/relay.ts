/**
 * A TCP relay in front of a broker: each accepted client gets its own connection upstream, and bytes flow
 * both ways until either side closes or fails, which closes both. What flows, and when, is up to the
 * caller's flow; by default every chunk passes unchanged. The chaos proxy, the tests' connection cutter
 * and the benchmarks' counting relay are this relay with different flows.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface RelayTarget {
  readonly host: string;
  readonly port: number;
}

/** One relayed connection: a client and its connection to the broker. */
export interface RelayConnection {
  /** Writes to the broker; bytes for a socket that is already closing are dropped. */
  toBroker(bytes: Buffer): void;
  /** Writes to the client; bytes for a socket that is already closing are dropped. */
  toClient(bytes: Buffer): void;
  /** Destroys both sockets: the client sees its connection close. */
  close(): void;
}

/** How one connection's bytes flow. A direction left out forwards every chunk unchanged. */
export interface RelayFlow {
  fromClient?(chunk: Buffer): void;
  fromBroker?(chunk: Buffer): void;
}

export interface TcpRelayOptions {
  /** The broker; a function is resolved per connection (when the broker starts after the relay). */
  readonly target: RelayTarget | (() => RelayTarget);
  /** Called for each accepted client once its broker connection is opening. @default pass-through */
  readonly flow?: (connection: RelayConnection) => RelayFlow;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
}

export interface TcpRelay {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Closes every open connection at once (the peer sees FIN/RST); new connections are relayed as before. */
  cutAll(): void;
  /** Stops accepting and closes every open connection. */
  close(): Promise<void>;
}

export class RelayBindError extends Error {
  readonly code = 'RELAY_BIND_FAILED';
  constructor(received: unknown) {
    super(`relay listened on ${JSON.stringify(received)}, expected a TCP address with a port`);
    this.name = 'RelayBindError';
  }
}

function writerTo(socket: Socket): (bytes: Buffer) => void {
  // A flow may write after its peer closed (a delayed chunk, a response racing a cut): drop it quietly.
  return (bytes) => {
    if (socket.writable) socket.write(bytes);
  };
}

export async function startTcpRelay(options: TcpRelayOptions): Promise<TcpRelay> {
  const { target, flow } = options;
  const resolveTarget = typeof target === 'function' ? target : () => target;
  const sockets = new Set<Socket>();
  let accepted = 0;

  const server = createServer((client) => {
    accepted++;
    const broker = connect(resolveTarget());
    const close = () => {
      client.destroy();
      broker.destroy();
    };
    for (const socket of [client, broker]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', close);
      socket.on('close', () => {
        sockets.delete(socket);
        close();
      });
    }
    const toBroker = writerTo(broker);
    const toClient = writerTo(client);
    const handlers = flow?.({ toBroker, toClient, close }) ?? {};
    client.on('data', handlers.fromClient ?? toBroker);
    broker.on('data', handlers.fromBroker ?? toClient);
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new RelayBindError(address);

  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    host,
    port: address.port,
    accepted: () => accepted,
    cutAll,
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
