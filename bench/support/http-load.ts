/**
 * An HTTP load of sample events (the event definition's): `concurrency` clients, each on its own keep-alive connection, POST one
 * request after the previous one was answered, until the duration is over. Closed loop (as fast as answers
 * come back) by default; with `eventsPerSecond`, open loop: request k is due at start + k × its share of a
 * second, and its latency counts from that due time, so a client held up by a slow answer does not hide
 * the wait from the figures (no coordinated omission). Every acknowledged event is returned with the
 * wall-clock time its request was due or sent, so that a later step can tell how long it took to reach the
 * ledger.
 */
import { Agent, request } from 'node:http';
import { eventDefinition } from '../../functions/event/definition';
import type { StoredEvent } from '../../functions/ingest/publish';
import { eventRoutes } from '../../functions/shared/event-definition';

export interface LoadPlan {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly durationMs: number;
  readonly concurrency: number;
  /** 1 sends the single-event form; more sends the batch form (a JSON array). */
  readonly eventsPerRequest: number;
  /** Event ids are `<prefix>-<client>-<n>`: unique across runs that share a ledger. */
  readonly eventIdPrefix: string;
  /** Ordering keys the events are spread over (the record key). */
  readonly orderingKeys: number;
  /** The load also stops once this many events were sent, which bounds the backlog left to drain. */
  readonly maxEvents: number;
  /** Offered load for an open-loop run. @default - closed loop */
  readonly eventsPerSecond?: number;
}

export interface AcknowledgedEvent {
  readonly eventId: string;
  /** Epoch milliseconds (sub-millisecond precision) when the request was due (open loop) or left (closed). */
  readonly sentAt: number;
  /** Epoch milliseconds when the answer was read. */
  readonly answeredAt: number;
  readonly partition: number;
  readonly offset: number;
}

export interface LoadResult {
  readonly acknowledged: readonly AcknowledgedEvent[];
  readonly requests: number;
  /** Answers other than 2xx, by status (0: no answer). */
  readonly failures: Readonly<Record<string, number>>;
}

/** Epoch time with the monotonic clock's precision. */
function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

function post(agent: Agent, url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const target = new URL(eventRoutes(eventDefinition).collection, plan.url);
  const acknowledged: AcknowledgedEvent[] = [];
  const failures: Record<string, number> = {};
  let requests = 0;
  let claimed = 0;
  let eventsSent = 0;
  const start = epochNow();
  const deadline = start + plan.durationMs;
  const requestSpacingMs = plan.eventsPerSecond ? (1000 * plan.eventsPerRequest) / plan.eventsPerSecond : 0;

  /** When the next request is due: now in a closed loop, its slot of the schedule in an open one. */
  async function nextDue(): Promise<number> {
    if (requestSpacingMs === 0) return epochNow();
    const due = start + claimed++ * requestSpacingMs;
    const wait = due - epochNow();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return due;
  }

  async function client(clientIndex: number): Promise<void> {
    for (let n = 0; epochNow() < deadline; ) {
      const sentAt = await nextDue();
      if (sentAt >= deadline || eventsSent >= plan.maxEvents) break;
      eventsSent += plan.eventsPerRequest;
      const events = Array.from({ length: plan.eventsPerRequest }, () => {
        const sequence = n++;
        return eventDefinition.sample(
          `${plan.eventIdPrefix}-${clientIndex}-${sequence}`,
          (clientIndex * 7919 + sequence) % plan.orderingKeys,
        );
      });
      const body = JSON.stringify(plan.eventsPerRequest === 1 ? events[0] : events);
      requests++;
      let answer: { status: number; text: string };
      try {
        answer = await post(agent, target, body);
      } catch {
        failures['0'] = (failures['0'] ?? 0) + 1;
        continue;
      }
      const answeredAt = epochNow();
      if (answer.status < 200 || answer.status >= 300) {
        failures[String(answer.status)] = (failures[String(answer.status)] ?? 0) + 1;
        continue;
      }
      const parsed = JSON.parse(answer.text) as StoredEvent | { results: StoredEvent[] };
      for (const stored of 'results' in parsed ? parsed.results : [parsed]) {
        acknowledged.push({
          eventId: stored.eventId,
          sentAt,
          answeredAt,
          partition: stored.partition,
          offset: Number(stored.offset),
        });
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: plan.concurrency }, (_, index) => client(index)));
  } finally {
    agent.destroy();
  }
  return { acknowledged, requests, failures };
}
