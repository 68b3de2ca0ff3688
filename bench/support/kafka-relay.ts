/**
 * A TCP relay in front of a Kafka broker that counts what clients ask of it: connections, and requests
 * (every Kafka request is one size-prefixed frame, Kafka protocol guide "Common Request and Response
 * Structure"). It can also hold every chunk back for a fixed time in each direction, so that a loopback
 * broker answers with the round-trip time of a real network. TCP and TLS handshakes are not delayed, so a
 * connection costs less here than on a real network.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface RelayCounts {
  readonly connections: number;
  readonly requests: number;
}

export interface KafkaRelay {
  readonly port: number;
  /** Connections and requests relayed so far. */
  counts(): RelayCounts;
  close(): Promise<void>;
}

export interface KafkaRelayOptions {
  /** Added to each direction: the round trip grows by twice this. @default 0 */
  readonly oneWayDelayMs?: number;
}

/** Counts complete size-prefixed frames in a byte stream that arrives in arbitrary chunks. */
function frameCounter(onFrame: () => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      pending = pending.subarray(4 + pending.readInt32BE(0));
      onFrame();
    }
  };
}

export async function startKafkaRelay(
  target: () => { host: string; port: number },
  options: KafkaRelayOptions = {},
): Promise<KafkaRelay> {
  const delayMs = options.oneWayDelayMs ?? 0;
  const sockets = new Set<Socket>();
  let connections = 0;
  let requests = 0;
  // Timers of one duration fire in the order they were set, so delayed chunks keep their order.
  const forward = (to: Socket) => (chunk: Buffer) => {
    if (delayMs === 0) to.write(chunk);
    else setTimeout(() => to.writable && to.write(chunk), delayMs);
  };
  const server = createServer((client) => {
    connections++;
    const upstream = connect(target());
    const countRequests = frameCounter(() => requests++);
    const toUpstream = forward(upstream);
    const toClient = forward(client);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      countRequests(chunk);
      toUpstream(chunk);
    });
    upstream.on('data', toClient);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the relay did not bind a TCP port');
  return {
    port: address.port,
    counts: () => ({ connections, requests }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
