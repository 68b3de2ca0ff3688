/** The TCP or TLS listener: accepts connections and closes them all on shutdown. */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { Connection } from './connection';
import type { BrokerContext } from './context';

export interface ListeningServer {
  readonly port: number;
  readonly host: string;
  /** Closes every client connection and keeps listening. */
  disconnectClients(): number;
  close(): Promise<void>;
}

export function listen(
  broker: BrokerContext,
  host: string,
  port: number,
  tls?: Pick<TlsOptions, 'cert' | 'key'>,
): Promise<ListeningServer> {
  const connections = new Set<Connection>();
  const accept = (socket: Socket) => {
    const connection = new Connection(socket, broker);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  };
  const server: Server = tls ? createTlsServer(tls, accept) : createServer(accept);
  if (tls) {
    // A client that does not trust the certificate (or speaks plaintext) fails before any Kafka request.
    server.on('tlsClientError', (error, socket) =>
      broker.logger.info('TLS handshake failed', {
        remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
        error: error.message,
      }),
    );
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      server.on('error', (error) => broker.logger.error('listener error', { error: error.message }));
      const address = server.address();
      const boundPort = typeof address === 'object' && address ? address.port : port;
      resolve({
        port: boundPort,
        host,
        disconnectClients: () => {
          const count = connections.size;
          for (const connection of connections) connection.close('clients disconnected on request', 'info');
          return count;
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const connection of connections) connection.close('broker shutting down', 'info');
          }),
      });
    });
  });
}
