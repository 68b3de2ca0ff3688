/**
 * A TCP relay in front of a Kafka broker that counts what clients ask of it: connections, and requests
 * (every Kafka request is one size-prefixed frame, Kafka protocol guide "Common Request and Response
 * Structure"). It can also hold every chunk back for a fixed time in each direction, so that a loopback
 * broker answers with the round-trip time of a real network. TCP and TLS handshakes are not delayed, so a
 * connection costs less here than on a real network.
 */
import { FrameSplitter } from '../../local/chaos/frames';
import { type RelayTarget, startTcpRelay } from '../../local/chaos/relay';

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

export async function startKafkaRelay(
  target: () => RelayTarget,
  options: KafkaRelayOptions = {},
): Promise<KafkaRelay> {
  const delayMs = options.oneWayDelayMs ?? 0;
  let requests = 0;
  // Timers of one duration fire in the order they were set, so delayed chunks keep their order.
  const delayed = (send: (chunk: Buffer) => void) =>
    delayMs === 0 ? send : (chunk: Buffer) => setTimeout(send, delayMs, chunk);
  const relay = await startTcpRelay({
    target,
    flow: (connection) => {
      const frames = new FrameSplitter();
      const toBroker = delayed(connection.toBroker);
      return {
        fromClient(chunk) {
          requests += frames.push(chunk).length;
          toBroker(chunk);
        },
        fromBroker: delayed(connection.toClient),
      };
    },
  });
  return {
    port: relay.port,
    counts: () => ({ connections: relay.accepted(), requests }),
    close: () => relay.close(),
  };
}
