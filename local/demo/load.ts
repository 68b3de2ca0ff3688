import { eventDefinition } from '../../functions/event/definition';
import { type EventOf, eventRoutes } from '../../functions/shared/event-definition';

/** An event as the demo's clients send it (the ingest API's request body): a sample of the definition. */
export type DemoEvent = EventOf<typeof eventDefinition>;

/** `count` sample events with ids `<prefix>-000000`, … spread over `groups` ordering keys. */
export function demoEvents(prefix: string, count: number, groups = 50): DemoEvent[] {
  return Array.from({ length: count }, (_, index) =>
    eventDefinition.sample(`${prefix}-${String(index).padStart(6, '0')}`, index % groups),
  );
}

export interface LoadPlan {
  readonly url: string;
  readonly events: readonly DemoEvent[];
  /** Events per POST (the ingest API takes a JSON array as one batch). */
  readonly perRequest: number;
  readonly concurrency: number;
  /** Attempts per request, the first included, before the client gives up. */
  readonly maxAttempts?: number;
  readonly onProgress?: (acknowledged: number) => void;
}

export interface LoadResult {
  /** Event ids the API acknowledged (2xx) at least once. */
  readonly acknowledged: ReadonlySet<string>;
  readonly requests: number;
  /** Events sent again, with the same ids, after a 5xx or a broken connection. */
  readonly eventsResent: number;
  /** Events whose request was refused (4xx) or that the client gave up on. */
  readonly unacknowledged: number;
}

/**
 * Sends the events as a set of clients would: batches of events, several requests in flight, and a retry
 * with the same event ids whenever the answer is a 5xx or no answer at all (the ingest API asks for exactly
 * that: the first attempt may have been stored).
 */
export async function sendEvents(plan: LoadPlan): Promise<LoadResult> {
  const batches: DemoEvent[][] = [];
  for (let start = 0; start < plan.events.length; start += plan.perRequest) {
    batches.push(plan.events.slice(start, start + plan.perRequest));
  }
  const acknowledged = new Set<string>();
  const maxAttempts = plan.maxAttempts ?? 10;
  let next = 0;
  let requests = 0;
  let eventsResent = 0;
  let unacknowledged = 0;

  async function send(batch: readonly DemoEvent[]): Promise<void> {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) {
        eventsResent += batch.length;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** (attempt - 2))));
      }
      requests++;
      let status: number;
      try {
        const response = await fetch(`${plan.url}${eventRoutes(eventDefinition).collection}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        });
        status = response.status;
        await response.arrayBuffer();
      } catch {
        continue; // no answer: the events may or may not be stored, so send the same ids again
      }
      if (status >= 200 && status < 300) {
        for (const event of batch) acknowledged.add(eventDefinition.eventId(event));
        plan.onProgress?.(acknowledged.size);
        return;
      }
      if (status < 500) break; // refused: sending it again cannot help
    }
    unacknowledged += batch.length;
  }

  async function client(): Promise<void> {
    for (let index = next++; index < batches.length; index = next++) {
      const batch = batches[index];
      if (batch) await send(batch);
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, plan.concurrency) }, client));
  return { acknowledged, requests, eventsResent, unacknowledged };
}
