import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type RelayConnection,
  type RelayFlow,
  type RelayTarget,
  startTcpRelay,
  type TcpRelay,
} from '../../../local/chaos/relay';
import { unusedPort, waitUntil } from '../../helpers/kafka';

/** A stand-in broker that answers every chunk with `ack:` and the chunk, and keeps what it received. */
interface Upstream {
  readonly target: RelayTarget;
  /** Bytes received, one string per accepted connection. */
  readonly received: string[];
  readonly open: Set<Socket>;
}

/** A client connection that keeps what it received and whether it closed. */
interface Client {
  readonly socket: Socket;
  text: string;
  closed: boolean;
}

describe('startTcpRelay', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startUpstream(): Promise<Upstream> {
    const received: string[] = [];
    const open = new Set<Socket>();
    const server = createServer((socket) => {
      const index = received.push('') - 1;
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        received[index] += chunk.toString();
        socket.write(`ack:${chunk}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the upstream did not bind');
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of open) socket.destroy();
          server.close(() => resolve());
        }),
    );
    return { target: { host: '127.0.0.1', port: address.port }, received, open };
  }

  async function startRelay(
    target: RelayTarget | (() => RelayTarget),
    flow?: (connection: RelayConnection) => RelayFlow,
  ): Promise<TcpRelay> {
    const relay = await startTcpRelay({ target, flow });
    cleanups.push(() => relay.close());
    return relay;
  }

  async function connectClient(port: number): Promise<Client> {
    const socket = connect({ host: '127.0.0.1', port });
    const client: Client = { socket, text: '', closed: false };
    socket.on('data', (chunk: Buffer) => {
      client.text += chunk.toString();
    });
    socket.on('close', () => {
      client.closed = true;
    });
    socket.on('error', () => {});
    cleanups.push(() => {
      socket.destroy();
    });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    return client;
  }

  it('relays bytes both ways unchanged and counts accepted connections', async () => {
    const upstream = await startUpstream();
    const relay = await startRelay(upstream.target);
    expect(relay.host).toBe('127.0.0.1');
    expect(relay.port).not.toBe(upstream.target.port);

    const first = await connectClient(relay.port);
    first.socket.write('hello');
    await waitUntil('the answer to hello', () => first.text === 'ack:hello');
    const second = await connectClient(relay.port);
    second.socket.write('again');
    await waitUntil('the answer to again', () => second.text === 'ack:again');

    expect(upstream.received).toEqual(['hello', 'again']);
    expect(relay.accepted()).toBe(2);
  });

  it("hands each direction's chunks to the connection's flow, which decides what is sent", async () => {
    const upstream = await startUpstream();
    const opened: number[] = [];
    const relay = await startRelay(upstream.target, (connection) => {
      opened.push(opened.length);
      return {
        fromClient: (chunk) => connection.toBroker(Buffer.from(chunk.toString().toUpperCase())),
        fromBroker: (chunk) => connection.toClient(Buffer.from(`<${chunk}>`)),
      };
    });

    const client = await connectClient(relay.port);
    client.socket.write('hello');
    await waitUntil('the rewritten answer', () => client.text === '<ack:HELLO>');
    expect(upstream.received).toEqual(['HELLO']);
    expect(opened).toEqual([0]);
  });

  it('closes both sockets when the flow closes the connection', async () => {
    const upstream = await startUpstream();
    const relay = await startRelay(upstream.target, (connection) => ({
      fromBroker: () => connection.close(),
    }));

    const client = await connectClient(relay.port);
    client.socket.write('doomed');
    await waitUntil('the client to see its connection close', () => client.closed);
    await waitUntil('the broker side to close', () => upstream.open.size === 0);
    expect(client.text).toBe('');
    expect(upstream.received).toEqual(['doomed']);
  });

  it('cutAll closes every open connection on both sides and relays new connections as before', async () => {
    const upstream = await startUpstream();
    const relay = await startRelay(upstream.target);
    const clients = [await connectClient(relay.port), await connectClient(relay.port)];
    for (const client of clients) client.socket.write('before');
    await waitUntil('both answers', () => clients.every((client) => client.text === 'ack:before'));

    relay.cutAll();
    await waitUntil('both clients to see the cut', () => clients.every((client) => client.closed));
    await waitUntil('the broker side to close', () => upstream.open.size === 0);

    const after = await connectClient(relay.port);
    after.socket.write('after');
    await waitUntil('the answer after the cut', () => after.text === 'ack:after');
    expect(relay.accepted()).toBe(3);
  });

  it('resolves a target function for each connection', async () => {
    const [a, b] = [await startUpstream(), await startUpstream()];
    let current = a.target;
    const relay = await startRelay(() => current);

    const first = await connectClient(relay.port);
    first.socket.write('one');
    await waitUntil('the first answer', () => first.text === 'ack:one');
    current = b.target;
    const second = await connectClient(relay.port);
    second.socket.write('two');
    await waitUntil('the second answer', () => second.text === 'ack:two');

    expect(a.received).toEqual(['one']);
    expect(b.received).toEqual(['two']);
  });

  it('closes the client when the broker cannot be reached', async () => {
    const relay = await startRelay({ host: '127.0.0.1', port: await unusedPort() });
    const client = await connectClient(relay.port);
    await waitUntil('the client to be closed', () => client.closed);
    expect(relay.accepted()).toBe(1);
  });

  it('close() ends open connections and stops accepting', async () => {
    const upstream = await startUpstream();
    const relay = await startTcpRelay({ target: upstream.target });
    const client = await connectClient(relay.port);
    client.socket.write('hi');
    await waitUntil('the answer', () => client.text === 'ack:hi');

    await relay.close();
    await waitUntil('the client to be closed', () => client.closed);
    const refused = connect({ host: '127.0.0.1', port: relay.port });
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => refused.once('error', resolve));
    expect(error.code).toBe('ECONNREFUSED');
  });
});
