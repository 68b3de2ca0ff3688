/** The TCP listener: accepts connections and closes them all on shutdown. */
import { createServer, type Server, type Socket } from 'node:net';
import { Connection } from './connection';
import type { BrokerContext } from './context';

export interface ListeningServer {
  readonly port: number;
  readonly host: string;
  /** Closes every client connection and keeps listening. */
  disconnectClients(): number;
  close(): Promise<void>;
}

export function listen(broker: BrokerContext, host: string, port: number): Promise<ListeningServer> {
  const connections = new Set<Connection>();
  const server: Server = createServer((socket: Socket) => {
    const connection = new Connection(socket, broker);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  });
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
