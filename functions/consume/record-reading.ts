import { eventDefinition } from '../event/definition';
import { isUsableEventId } from '../ledger/keys';
import type { Origin } from '../ledger/ledger';
import { anEvent, type EventDefinition } from '../shared/event-definition';
import { isJsonObject } from '../shared/json-object';
import { RecordHeader } from '../shared/record-headers';
import type { SourceRecord } from './kafka-event';

/** A record read as an event of the definition, or the reason it cannot be one. */
export interface ReadRecord {
  readonly source: SourceRecord;
  /** The event id to key the ledger by: the validated body's, else a usable `event-id` header, else none. */
  readonly eventId: string | undefined;
  /** The producer session and sequence from the headers, when both are well-formed. */
  readonly origin: Origin | undefined;
  readonly content:
    | { readonly ok: true; readonly event: object }
    | { readonly ok: false; readonly reason: 'MALFORMED' | 'INVALID'; readonly detail: string };
}

/** Producer session ids are UUIDs today; accept any short identifier so a future id format still works. */
const PRODUCER_SESSION = /^[A-Za-z0-9._:-]{1,128}$/;
/** A decimal sequence: 0, 1, 2, … without sign or leading zeros. */
const SEQUENCE = /^(0|[1-9][0-9]{0,15})$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads records as events of the pipeline's definition (functions/event/definition.ts). */
export const readRecord = recordReader(eventDefinition);

/** Reads records as events of `definition`: validated by its schema, identified by its id field. */
export function recordReader(definition: EventDefinition): (source: SourceRecord) => ReadRecord {
  return (source) => read(source, definition);
}

function read(source: SourceRecord, definition: EventDefinition): ReadRecord {
  const expected = `${anEvent(definition)} as JSON was expected`;
  const headerEventId = headerText(source, RecordHeader.eventId);
  const session = headerText(source, RecordHeader.producerSession);
  const sequence = headerText(source, RecordHeader.partitionSequence);
  const origin =
    session !== undefined &&
    PRODUCER_SESSION.test(session) &&
    sequence !== undefined &&
    SEQUENCE.test(sequence) &&
    Number(sequence) <= Number.MAX_SAFE_INTEGER
      ? { producerSession: session, partitionSequence: Number(sequence) }
      : undefined;
  const rejected = (reason: 'MALFORMED' | 'INVALID', detail: string, bodyEventId?: unknown): ReadRecord => ({
    source,
    eventId: isUsableEventId(headerEventId)
      ? headerEventId
      : typeof bodyEventId === 'string' && isUsableEventId(bodyEventId)
        ? bodyEventId
        : undefined,
    origin,
    content: { ok: false, reason, detail },
  });

  if (source.value === undefined || source.value.length === 0) {
    return rejected('MALFORMED', `the record has no value; ${expected}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(source.value));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return rejected('MALFORMED', `the value is not UTF-8 JSON (${why}); ${expected}`);
  }
  const bodyEventId = isJsonObject(body) ? body[definition.idField] : undefined;
  const missing = missingHeader(headerEventId, session, sequence, origin);
  if (missing) return rejected('MALFORMED', missing, bodyEventId);

  const parsed = definition.schema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${clip(issue.path.join('.') || 'value')}: ${clip(issue.message, 256)}`)
      .join('; ');
    return rejected(
      'INVALID',
      `the value is not a valid ${definition.noun.singular} event (${issues})`,
      bodyEventId,
    );
  }
  const eventId = definition.eventId(parsed.data);
  if (eventId !== headerEventId) {
    return rejected(
      'INVALID',
      `the ${RecordHeader.eventId} header "${clip(headerEventId ?? '')}" differs from the event's ${definition.idField} "${clip(eventId)}"; both must name the same event`,
      bodyEventId,
    );
  }
  return { source, eventId, origin, content: { ok: true, event: parsed.data } };
}

function missingHeader(
  eventId: string | undefined,
  session: string | undefined,
  sequence: string | undefined,
  origin: Origin | undefined,
): string | undefined {
  const expected = `records must carry the ${RecordHeader.eventId}, ${RecordHeader.producerSession} and ${RecordHeader.partitionSequence} headers the ingest function writes`;
  if (eventId === undefined) return `the record has no ${RecordHeader.eventId} header; ${expected}`;
  if (session === undefined) return `the record has no ${RecordHeader.producerSession} header; ${expected}`;
  if (sequence === undefined)
    return `the record has no ${RecordHeader.partitionSequence} header; ${expected}`;
  if (origin === undefined) {
    return `the ${RecordHeader.producerSession} "${clip(session)}" / ${RecordHeader.partitionSequence} "${clip(sequence)}" headers are not an identifier and a decimal sequence`;
  }
  return undefined;
}

/** The first header of that name as UTF-8 text (Kafka allows repeated names; the producer writes one). */
function headerText(record: SourceRecord, name: string): string | undefined {
  for (const header of record.headers) if (header.name === name) return header.value.toString('utf8');
  return undefined;
}

/** Record content quoted in a detail: short enough that the sentence around it survives the 1 KiB bound. */
function clip(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max)}… [clipped: ${text.length} characters]` : text;
}
