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
  /** Added to each direction: the round trip grows by twice this; fractions of a millisecond work. @default 0 */
  readonly oneWayDelayMs?: number;
  /** Count Kafka requests; off for TLS, whose frames the relay cannot read. @default true */
  readonly countRequests?: boolean;
}

/**
 * Holds each chunk back for `delayMs`, in order. Node.js timers round to whole milliseconds, so due chunks
 * are released by polling the event loop (setImmediate) while any are waiting: exact to a few microseconds,
 * at the price of a busy loop during traffic, which a benchmark can afford.
 */
function delayLine(delayMs: number, send: (chunk: Buffer) => void): (chunk: Buffer) => void {
  const waiting: { due: number; chunk: Buffer }[] = [];
  let polling = false;
  const release = () => {
    const now = performance.now();
    while (waiting.length > 0 && (waiting[0] as { due: number }).due <= now) {
      send((waiting.shift() as { chunk: Buffer }).chunk);
    }
    polling = waiting.length > 0;
    if (polling) setImmediate(release);
  };
  return (chunk) => {
    waiting.push({ due: performance.now() + delayMs, chunk });
    if (!polling) {
      polling = true;
      setImmediate(release);
    }
  };
}

export async function startKafkaRelay(
  target: () => RelayTarget,
  options: KafkaRelayOptions = {},
): Promise<KafkaRelay> {
  const delayMs = options.oneWayDelayMs ?? 0;
  const countRequests = options.countRequests ?? true;
  let requests = 0;
  const delayed = (send: (chunk: Buffer) => void) => (delayMs === 0 ? send : delayLine(delayMs, send));
  const relay = await startTcpRelay({
    target,
    flow: (connection) => {
      const frames = new FrameSplitter();
      const toBroker = delayed(connection.toBroker);
      return {
        fromClient(chunk) {
          if (countRequests) requests += frames.push(chunk).length;
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
