import {
  FrameSplitter,
  isProduceRequest,
  produceAcksOf,
  requestHeaderOf,
  responseCorrelationIdOf,
} from './frames';
import { type RelayConnection, type RelayFlow, type RelayTarget, startTcpRelay } from './relay';
import { seededRandom } from './seeded-random';

export type ProxyTarget = RelayTarget;

export interface LostAckProxyOptions {
  /** The broker; a function is resolved per connection (when the broker starts after the proxy). */
  readonly target: ProxyTarget | (() => ProxyTarget);
  /** Share of Produce requests (with acks != 0) whose acknowledgement is lost. @default 0.2 */
  readonly dropShare?: number;
  /** Seed of the drop decisions, so a run can be replayed. @default 1 */
  readonly seed?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  /** Called each time an acknowledgement is lost, after the client's connection is closed. */
  readonly onAcknowledgementDropped?: (event: { readonly correlationId: number }) => void;
}

export interface LostAckStats {
  /** Produce requests forwarded to the broker (all acks values). */
  readonly produceRequests: number;
  /** Produce responses withheld: the broker handled the request, the client never heard. */
  readonly acknowledgementsDropped: number;
  readonly connections: number;
}

export interface LostAckProxy {
  readonly host: string;
  readonly port: number;
  readonly stats: LostAckStats;
  /** Changes the share of acknowledgements lost from now on (0 turns faults off). */
  setDropShare(share: number): void;
  close(): Promise<void>;
}

export class ProxyConfigError extends Error {
  readonly code = 'PROXY_CONFIG_INVALID';
  constructor(setting: string, received: unknown, expected: string) {
    super(`proxy setting ${setting} is ${JSON.stringify(received)}, expected ${expected}`);
    this.name = 'ProxyConfigError';
  }
}

function requireShare(share: number): number {
  if (!(Number.isFinite(share) && share >= 0 && share <= 1)) {
    throw new ProxyConfigError('dropShare', share, 'a number from 0 to 1');
  }
  return share;
}

/**
 * A TCP proxy between Kafka clients and a broker that loses acknowledgements: for a share of Produce
 * requests it forwards the request, waits for the broker's response, and closes the client's
 * connection instead of delivering it. The write happened; the client must retry. This is the fault
 * idempotent producers exist for (KIP-98). Responses before the lost one are delivered, in order.
 * Clients learn broker addresses from Metadata, so the broker must advertise this proxy's host and port.
 */
export async function startLostAckProxy(options: LostAckProxyOptions): Promise<LostAckProxy> {
  let dropShare = requireShare(options.dropShare ?? 0.2);
  const random = seededRandom(options.seed ?? 1);
  const stats = { produceRequests: 0, acknowledgementsDropped: 0, connections: 0 };

  function loseAcknowledgements(connection: RelayConnection): RelayFlow {
    stats.connections++;
    const requests = new FrameSplitter();
    const responses = new FrameSplitter();
    const doomed = new Set<number>();
    return {
      fromClient(chunk) {
        for (const frame of requests.push(chunk)) {
          if (isProduceRequest(frame)) {
            stats.produceRequests++;
            // acks=0 gets no response, so there is no acknowledgement to lose.
            if (produceAcksOf(frame) !== 0 && random() < dropShare) {
              doomed.add(requestHeaderOf(frame).correlationId);
            }
          }
          connection.toBroker(frame);
        }
      },
      fromBroker(chunk) {
        for (const frame of responses.push(chunk)) {
          const correlationId = responseCorrelationIdOf(frame);
          if (doomed.has(correlationId)) {
            stats.acknowledgementsDropped++;
            connection.close();
            options.onAcknowledgementDropped?.({ correlationId });
            return;
          }
          connection.toClient(frame);
        }
      },
    };
  }

  const relay = await startTcpRelay({
    target: options.target,
    flow: loseAcknowledgements,
    host: options.host,
    port: options.port,
  });
  return {
    host: relay.host,
    port: relay.port,
    stats,
    setDropShare(share: number) {
      dropShare = requireShare(share);
    },
    close: () => relay.close(),
  };
}
