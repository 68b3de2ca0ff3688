/**
 * What the pipeline needs to know about the events it carries, in one object: everything outside the event
 * definition module (`functions/event/`) reads events through it and names no field of a particular event.
 *
 * Event id versus entity id: the event id is the idempotency key of one event, not the id of the thing the
 * event is about. The consumer applies an event id once and dead-letters every later record with the same id
 * as DUPLICATE; so when one entity has many events (an order placed, then paid, then shipped), each event
 * needs its own id, such as `${orderId}:${transition}`, and the entity id (`orderId`) is at most the
 * ordering key, which keeps that entity's events in order on one partition.
 */
import type { z } from 'zod/mini';

/** A ledger item an effect writes: its table keys, which must not use the ledger's own prefixes. */
export interface EffectKey {
  readonly pk: string;
  readonly sk: string;
}

/**
 * One write of an effect to one ledger item, inside the transaction that applies the event. Writes to the same
 * item within one transaction are merged (DynamoDB lets a transaction touch an item once): `add` amounts are
 * summed, `set` values of a later event win.
 */
export interface EffectWrite {
  readonly key: EffectKey;
  /** Numbers added to attributes (created at 0): counters, balances. */
  readonly add?: Readonly<Record<string, number>>;
  /** Attributes set to a value. */
  readonly set?: Readonly<Record<string, unknown>>;
}

/**
 * What applying an event means besides the ledger's own record of it: the items it writes, declared so that
 * a ledger step can count them against DynamoDB's transaction limits. Pure: the same event, the same writes.
 */
export type EventEffect<E> = (event: E) => readonly EffectWrite[];

/** The names a definition gives its events: "payment" in messages, "payments" in routes and topics. */
export interface EventNoun {
  readonly singular: string;
  readonly plural: string;
}

export interface EventDefinition<E extends object = object> {
  readonly noun: EventNoun;
  /** The schema: the TypeScript type of the event and its validation both come from it. */
  readonly schema: z.ZodMiniType<E>;
  /**
   * The field holding the event id, the client's idempotency key (the `Idempotency-Key` header fills it). It
   * also names the path parameter of the status route, `GET /<plural>/{<idField>}`.
   */
  readonly idField: string;
  /** The event id: one event, one id, whatever the number of retries. */
  eventId(event: E): string;
  /** The record key: events with the same ordering key stay in order on one partition. */
  orderingKey(event: E): string;
  /** The ledger writes of applying the event (see EventEffect). */
  effect(event: E): readonly EffectWrite[];
  /** A valid event for docs, demos and benchmarks: with this id, for ordering key number `group`. */
  sample(id: string, group: number): E;
}

/** The event type of a definition. */
export type EventOf<D> = D extends EventDefinition<infer E> ? E : never;

/** The string-valued fields of E: those that can hold an event id. */
type StringField<E> = { [K in keyof E]-?: E[K] extends string ? K : never }[keyof E] & string;

/**
 * Builds a definition from its parts, deriving the event id accessor from the id field so the two cannot
 * disagree. Topic names are not the event's: they derive from the application name (app-names.ts).
 */
export function defineEvent<E extends object, K extends StringField<E>>(parts: {
  readonly noun: EventNoun;
  readonly schema: z.ZodMiniType<E>;
  readonly idField: K;
  readonly orderingKey: (event: E) => string;
  readonly effect: EventEffect<E>;
  readonly sample: (id: string, group: number) => E;
}): EventDefinition<E> {
  return {
    noun: parts.noun,
    schema: parts.schema,
    idField: parts.idField,
    eventId: (event) => event[parts.idField] as string,
    orderingKey: parts.orderingKey,
    effect: parts.effect,
    sample: parts.sample,
  };
}

/** "a payment event", "an order event": the definition's noun with its article, for messages. */
export function anEvent(definition: EventDefinition): string {
  const noun = definition.noun.singular;
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun} event`;
}

/** The HTTP routes of a definition: POST the events to `collection`, GET one event's status at `item`. */
export function eventRoutes(definition: EventDefinition): { collection: string; item: string } {
  const collection = `/${definition.noun.plural}`;
  return { collection, item: `${collection}/{${definition.idField}}` };
}
