/**
 * A closed-loop HTTP load of payment events: `concurrency` clients, each on its own keep-alive connection,
 * POST one request after the previous one was answered, until the duration is over. Every acknowledged
 * event is returned with the wall-clock time its request was sent, so that a later step can tell how long it
 * took to reach the ledger.
 */
import { Agent, request } from 'node:http';

export interface LoadPlan {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly durationMs: number;
  readonly concurrency: number;
  /** 1 sends the single-event form; more sends the batch form (a JSON array). */
  readonly eventsPerRequest: number;
  /** Event ids are `<prefix>-<client>-<n>`: unique across runs that share a ledger. */
  readonly eventIdPrefix: string;
  /** Accounts the events are spread over (the record key). */
  readonly accounts: number;
}

export interface AcknowledgedEvent {
  readonly eventId: string;
  /** Epoch milliseconds (sub-millisecond precision) when the request left the client. */
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

interface StoredAnswer {
  readonly eventId: string;
  readonly partition: number;
  readonly offset: string;
}

/** Epoch time with the monotonic clock's precision. */
export function epochNow(): number {
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
  const target = new URL('/payments', plan.url);
  const occurredAt = new Date().toISOString();
  const acknowledged: AcknowledgedEvent[] = [];
  const failures: Record<string, number> = {};
  let requests = 0;
  const deadline = epochNow() + plan.durationMs;

  async function client(clientIndex: number): Promise<void> {
    for (let n = 0; epochNow() < deadline; ) {
      const events = Array.from({ length: plan.eventsPerRequest }, () => {
        const sequence = n++;
        return {
          eventId: `${plan.eventIdPrefix}-${clientIndex}-${sequence}`,
          accountId: `acct-${(clientIndex * 7919 + sequence) % plan.accounts}`,
          type: 'capture',
          amount: 100 + (sequence % 900),
          currency: 'EUR',
          occurredAt,
        };
      });
      const body = JSON.stringify(plan.eventsPerRequest === 1 ? events[0] : events);
      requests++;
      const sentAt = epochNow();
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
      const parsed = JSON.parse(answer.text) as StoredAnswer | { results: StoredAnswer[] };
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
