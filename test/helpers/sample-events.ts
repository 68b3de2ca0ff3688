import { randomUUID } from 'node:crypto';
import { eventDefinition } from '../../functions/event/definition';
import type { EventOf } from '../../functions/shared/event-definition';

/**
 * Events of the pipeline's own definition (`functions/event/`), for tests of generic behaviour: they hold for
 * whatever event type the definition describes, so a fork to another event type leaves them unchanged.
 */
export type PipelineEvent = EventOf<typeof eventDefinition>;

/** A valid event (the definition's sample) with a unique id, for ordering key number `group`. */
export function uniqueEvent(group = 1): PipelineEvent {
  return eventDefinition.sample(`evt-${randomUUID()}`, group);
}

/** The event without its id field: what a client sends when the Idempotency-Key header carries the id. */
export function withoutId(event: PipelineEvent): Record<string, unknown> {
  const { [eventDefinition.idField]: _id, ...rest } = event as Record<string, unknown>;
  return rest;
}

/** The event id of an event. */
export function idOf(event: PipelineEvent): string {
  return eventDefinition.eventId(event);
}
