import { randomUUID } from 'node:crypto';
import type { MSKRecord } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DETAIL_BYTES } from '../../../functions/consume/anomaly';
import { consumeBatch, createConsumeHandler } from '../../../functions/consume/consume';
import { DeadLetterHeader, toDeadLetterRecord } from '../../../functions/consume/dead-letters';
import { eventDefinition } from '../../../functions/event/definition';
import { LedgerUnavailableError } from '../../../functions/ledger/errors';
import { DynamoDbLedger } from '../../../functions/ledger/ledger';
import {
  eventRecord,
  InterposedLedger,
  itemsOfKind,
  lambdaContext,
  MemoryDeadLetterSink,
  mskEvent,
  mskRecord,
  quietObservability,
  startTestLedger,
  type TestLedger,
} from './support';

/**
 * What a producer put on the topic for one account: fresh events, and every anomaly the consumer must catch.
 * `restart` replaces the producer session (a new session starts again at sequence 0 on every partition);
 * `grow` adds a partition to the topic and the account's records go there from then on, where the same
 * session numbers its records from 0 (producer-session.ts: the header sequence is per partition).
 */
type Step =
  | { kind: 'event' }
  | { kind: 'duplicate'; of: number }
  | { kind: 'gap'; skipped: number }
  | { kind: 'out-of-order'; back: number }
  | { kind: 'malformed' }
  | { kind: 'invalid' }
  | { kind: 'huge-field' }
  | { kind: 'huge-event-id' }
  | { kind: 'restart' }
  | { kind: 'grow' };

/** A client retry: the same event id again, as a new record. */
const duplicateArbitrary: fc.Arbitrary<Step> = fc.nat(50).map((of) => ({ kind: 'duplicate' as const, of }));

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'event' as const }) },
  { weight: 2, arbitrary: duplicateArbitrary },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 3 }).map((skipped) => ({ kind: 'gap' as const, skipped })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 3 }).map((back) => ({ kind: 'out-of-order' as const, back })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'malformed' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalid' as const }) },
  // Poison records: an unknown field or an event-id header hundreds of KB long.
  { weight: 1, arbitrary: fc.constant({ kind: 'huge-field' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'huge-event-id' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

/** The topic grows from one partition to at most this many. */
const MAX_PARTITIONS = 3;
const GROW: Step = { kind: 'grow' };

/**
 * A topic that grows mid-stream: 2 or 3 stretches of steps with a growth between them. Client retries are
 * more frequent than in one partition's steps, so that copies of one event land on several partitions.
 */
const growingStepsArbitrary: fc.Arbitrary<Step[]> = fc
  .array(
    fc.array(
      fc.oneof({ weight: 4, arbitrary: stepArbitrary }, { weight: 1, arbitrary: duplicateArbitrary }),
      { minLength: 1, maxLength: 15 },
    ),
    { minLength: 2, maxLength: MAX_PARTITIONS },
  )
  .map((stretches) => stretches.flatMap((steps, index) => (index === 0 ? steps : [GROW, ...steps])));

/** 64 times the 1 KiB bound of details and dead-letter headers (the 400 KB case has its own test). */
const POISON_BYTES = 64 * 1024;

/**
 * How the event source mapping delivers: batch sizes, rewinds (at-least-once) and failures along the way:
 * the dead-letter topic down, a commit failing before or after it is written (the answer lost), throttling.
 * `patient` invocations have time to wait failures out; the others end at the first one (a crash or a
 * timeout), and the mapping redelivers. `partitions` are the ones this poll reaches (all when unset); each is
 * delivered in order from its own position, and one batch mixes them as an MSK event does.
 */
interface Delivery {
  readonly partitions?: readonly number[];
  readonly size: number;
  readonly rewind: number;
  readonly fault: 'none' | 'dead-letters-down' | 'ledger-fails-before' | 'ledger-fails-after' | 'throttled';
  readonly patient: boolean;
}
const deliveryArbitrary: fc.Arbitrary<Delivery> = fc.record({
  size: fc.integer({ min: 1, max: 12 }),
  rewind: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 10 }) },
  ),
  fault: fc.constantFrom(
    'none',
    'none',
    'dead-letters-down',
    'ledger-fails-before',
    'ledger-fails-after',
    'throttled',
  ),
  patient: fc.boolean(),
});
const multiPartitionDeliveryArbitrary: fc.Arbitrary<Delivery> = fc
  .tuple(
    deliveryArbitrary,
    fc.shuffledSubarray(
      Array.from({ length: MAX_PARTITIONS }, (_, partition) => partition),
      { minLength: 1 },
    ),
  )
  .map(([delivery, partitions]) => ({ ...delivery, partitions }));

/** What the mapping delivers once the random deliveries are spent: everything, without faults. */
const DRAIN: Delivery = { size: 10, rewind: 0, fault: 'none', patient: true };

/** The topic's records in the order they were produced; each partition's offsets start at 0. */
function topicLog(steps: readonly Step[]): MSKRecord[] {
  const records: MSKRecord[] = [];
  const ids: string[] = [];
  let session = randomUUID();
  let partition = 0;
  const nextOffset = [0];
  /** The session's next sequence per partition. */
  let nextSequence = new Map<number, number>();
  for (const step of steps) {
    if (step.kind === 'restart') {
      session = randomUUID();
      nextSequence = new Map();
      continue;
    }
    if (step.kind === 'grow') {
      if (nextOffset.length < MAX_PARTITIONS) {
        partition = nextOffset.length;
        nextOffset.push(0);
      }
      continue;
    }
    const offset = nextOffset[partition] ?? 0;
    nextOffset[partition] = offset + 1;
    const fresh = `ev-${records.length}`;
    const next = nextSequence.get(partition) ?? 0;
    if (
      step.kind !== 'event' &&
      step.kind !== 'duplicate' &&
      step.kind !== 'gap' &&
      step.kind !== 'out-of-order'
    ) {
      const value = {
        malformed: '{"truncated":',
        // Only the id: the definition's schema refuses it.
        invalid: JSON.stringify({ [eventDefinition.idField]: fresh }),
        'huge-field': JSON.stringify({ ...sample(fresh), [`x${'y'.repeat(POISON_BYTES)}`]: 1 }),
        'huge-event-id': JSON.stringify(sample(fresh)),
      }[step.kind];
      const eventIdHeader = step.kind === 'huge-event-id' ? 'z'.repeat(POISON_BYTES) : fresh;
      const headers = {
        'event-id': eventIdHeader,
        'producer-session': session,
        'partition-sequence': String(next),
      };
      records.push(mskRecord({ partition, offset, key: 'acct', value, headers }));
      nextSequence.set(partition, next + 1);
      continue;
    }
    let eventId = fresh;
    let sequence = next;
    if (step.kind === 'duplicate' && ids.length > 0) eventId = ids[step.of % ids.length] ?? fresh;
    if (step.kind === 'gap') sequence = next + step.skipped;
    if (step.kind === 'out-of-order') sequence = Math.max(0, next - step.back);
    if (step.kind !== 'out-of-order' || next === 0) nextSequence.set(partition, sequence + 1);
    ids.push(eventId);
    records.push(eventRecord(eventDefinition, sample(eventId), { session, sequence, offset, partition }));
  }
  return records;
}

/** What the model, independently of the code under test, knows of one record. */
interface ModelledRecord {
  readonly record: MSKRecord;
  /** The event of a valid record: a body the definition's schema accepts, named by the event-id header. */
  readonly eventId: string | undefined;
  /** Why a record that is not a valid event is refused. */
  readonly refused: 'MALFORMED' | 'INVALID' | undefined;
  /** Its sequence is beyond the last one its producer session reached on its partition. */
  readonly ahead: boolean;
  /** Beyond the last one + 1: the records in between are missing (a GAP of its own). */
  readonly gap: boolean;
}

function modelLog(records: readonly MSKRecord[]): ModelledRecord[] {
  const last = new Map<string, number>();
  return records.map((record) => {
    const header = (name: string) => {
      const bytes = record.headers.find((h) => h[name])?.[name];
      return bytes ? Buffer.from(bytes).toString() : undefined;
    };
    // A session's sequences are per partition; any record with well-formed headers moves its session on.
    const session = `${record.partition} ${header('producer-session') ?? ''}`;
    const sequence = Number(header('partition-sequence'));
    const before = last.get(session) ?? -1;
    if (sequence > before) last.set(session, sequence);
    const position = { record, ahead: sequence > before, gap: sequence > before + 1 };
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(record.value, 'base64').toString());
    } catch {
      return { ...position, eventId: undefined, refused: 'MALFORMED' };
    }
    const parsed = eventDefinition.schema.safeParse(body);
    const eventId = parsed.success ? eventDefinition.eventId(parsed.data) : undefined;
    if (eventId === undefined || header('event-id') !== eventId) {
      return { ...position, eventId: undefined, refused: 'INVALID' };
    }
    return { ...position, eventId, refused: undefined };
  });
}

/**
 * Where each event id may be applied: its first valid, in-order copy on each partition (partition → offset).
 * With one partition that is the one place; across partitions, whichever copy is consumed first.
 */
function applicableCopies(modelled: readonly ModelledRecord[]): Map<string, Map<number, number>> {
  const copies = new Map<string, Map<number, number>>();
  for (const { record, eventId, ahead } of modelled) {
    if (eventId === undefined || !ahead) continue;
    const at = copies.get(eventId) ?? new Map<number, number>();
    if (!at.has(record.partition)) at.set(record.partition, record.offset);
    copies.set(eventId, at);
  }
  return copies;
}

const at = (item: { partition?: unknown; offset?: unknown }) => `${item.partition}@${item.offset}`;

/**
 * The dead letters (`partition@offset reason`) the model expects, given where the ledger applied each event
 * (`appliedAt`: event id → partition@offset). Only one choice is left to delivery order: an out-of-order
 * copy of an event applied on another partition is DUPLICATE if that copy was applied first, else
 * OUT_OF_ORDER; `recorded` (the ledger's dead letters) tells which.
 */
function expectedDeadLetters(
  modelled: readonly ModelledRecord[],
  appliedAt: ReadonlyMap<string, string>,
  recorded: ReadonlySet<string>,
): Set<string> {
  const expected = new Set<string>();
  for (const { record, eventId, refused, ahead, gap } of modelled) {
    const here = at(record);
    if (gap) expected.add(`${here} GAP`);
    if (refused) expected.add(`${here} ${refused}`);
    if (eventId === undefined) continue;
    const applied = appliedAt.get(eventId);
    if (applied === here) continue;
    const [partition, offset] = (applied ?? '').split('@').map(Number);
    let reason = 'DUPLICATE';
    if (!ahead && applied === undefined) reason = 'OUT_OF_ORDER';
    if (!ahead && partition === record.partition && Number(offset) > record.offset) reason = 'OUT_OF_ORDER';
    if (!ahead && partition !== record.partition && recorded.has(`${here} OUT_OF_ORDER`))
      reason = 'OUT_OF_ORDER';
    expected.add(`${here} ${reason}`);
  }
  return expected;
}

/** A valid event of the pipeline's definition with this id. */
const sample = (eventId: string) => eventDefinition.sample(eventId, 0);

const stable = (items: Record<string, unknown>[]) =>
  items.map(({ appliedAt: _a, recordedAt: _r, updatedAt: _u, ...rest }) => rest);

/**
 * Delivers the log through a mapping that chunks, rewinds and fails as `deliveries` say, each partition in
 * order from its own position, then drains without faults; the ledger is `tableName`, letters go to `sink`.
 */
async function deliverThroughMapping(
  ledger: TestLedger,
  tableName: string,
  sink: MemoryDeadLetterSink,
  records: readonly MSKRecord[],
  deliveries: readonly Delivery[],
): Promise<void> {
  // The embedded store cannot throttle: the next `throttles` commits are refused as DynamoDB would.
  let throttles = 0;
  const throttled = new InterposedLedger(new DynamoDbLedger(ledger.client, tableName), async () => {
    if (throttles === 0) return;
    throttles -= 1;
    throw new LedgerUnavailableError('ThrottlingError (test)');
  });
  const dependencies = { ledger: throttled, deadLetters: sink, ...quietObservability() };
  // Each partition's log, in offset order (offsets start at 0), and where the mapping stands in it.
  const logs = new Map<number, MSKRecord[]>();
  for (const record of records) logs.set(record.partition, [...(logs.get(record.partition) ?? []), record]);
  const positions = new Map<number, number>();
  const position = (partition: number) => positions.get(partition) ?? 0;
  const pending = () => [...logs].some(([partition, log]) => position(partition) < log.length);
  for (let round = 0; pending(); round += 1) {
    if (round > deliveries.length + records.length * 2) throw new Error('the mapping made no progress');
    const delivery = deliveries[round] ?? DRAIN;
    const slices = new Map<number, MSKRecord[]>();
    // In the poll's order: which partition's records come first in the batch is the mapping's choice.
    for (const partition of delivery.partitions ?? logs.keys()) {
      const log = logs.get(partition);
      if (log === undefined) continue;
      positions.set(partition, Math.max(0, position(partition) - delivery.rewind));
      const slice = log.slice(position(partition), position(partition) + delivery.size);
      if (slice.length > 0) slices.set(partition, slice);
    }
    if (slices.size === 0) continue;
    sink.failing = delivery.fault === 'dead-letters-down';
    if (delivery.fault === 'ledger-fails-before') ledger.store.failTransactions({ when: 'before', times: 1 });
    if (delivery.fault === 'ledger-fails-after') ledger.store.failTransactions({ when: 'after', times: 1 });
    throttles = delivery.fault === 'throttled' ? 2 : 0;
    const response = await consumeBatch(mskEvent([...slices.values()].flat()), dependencies, {
      getRemainingTimeInMillis: () => (delivery.patient ? 60_000 : 0),
    });
    ledger.store.failTransactions({ when: 'before', times: 0 });
    sink.failing = false;
    const failedAt = new Map(
      response.batchItemFailures.map((f) => [f.itemIdentifier.partition, f.itemIdentifier.offset]),
    );
    for (const [partition, slice] of slices) {
      const name = `${slice[0]?.topic}-${partition}`;
      positions.set(partition, failedAt.get(name) ?? position(partition) + slice.length);
    }
  }
}

/** `partition@offset reason` of each letter. */
const letterKeys = (sink: MemoryDeadLetterSink) =>
  new Set(sink.letters.map((letter) => `${at(letter.record)} ${letter.anomaly.reason}`));

/** Letters tell what the ledger holds: one reason per id, bounded, each recorded, none left unsent (parked). */
function expectLettersAgreeWithLedger(sink: MemoryDeadLetterSink, items: Record<string, unknown>[]): void {
  const reasonOf = new Map<string, string>();
  for (const letter of sink.letters) {
    const id = String(toDeadLetterRecord(letter).headers?.[DeadLetterHeader.id]);
    expect(reasonOf.get(id) ?? letter.anomaly.reason).toBe(letter.anomaly.reason);
    reasonOf.set(id, letter.anomaly.reason);
    expect(Buffer.byteLength(letter.anomaly.detail)).toBeLessThanOrEqual(MAX_DETAIL_BYTES);
  }
  const deadLetters = itemsOfKind(items, 'dead-letter');
  expect(new Set(deadLetters.map((item) => `${at(item)} ${item.reason}`))).toEqual(letterKeys(sink));
  expect(deadLetters.filter((item) => item.letter !== 'sent')).toEqual([]);
}

describe('exactly once under redeliveries, poison records, failures and anomalies (property)', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
  });
  afterAll(() => ledger.close());

  it('never applies an event twice, never parks a record, and dead-letters each anomaly with letters the ledger holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArbitrary, { minLength: 1, maxLength: 40 }),
        fc.array(deliveryArbitrary, { minLength: 1, maxLength: 30 }),
        async (steps, deliveries) => {
          const records = topicLog(steps);
          if (records.length === 0) return;

          // Reference: the whole log in one clean delivery. Should an invocation still end early (its time
          // budget spent on a starved machine), the rest is delivered again from where it stopped, as the
          // mapping does; the outcome must not depend on that.
          const referenceTable = await ledger.freshTable();
          const referenceSink = new MemoryDeadLetterSink();
          const referenceHandler = createConsumeHandler({
            ledger: new DynamoDbLedger(ledger.client, referenceTable),
            deadLetters: referenceSink,
            ...quietObservability(),
          });
          for (let from = 0, rounds = 0; from < records.length; rounds += 1) {
            if (rounds === 5) throw new Error(`the reference delivery stopped at offset ${from} 5 times`);
            const { batchItemFailures } = await referenceHandler(
              mskEvent(records.slice(from)),
              lambdaContext(),
            );
            from = batchItemFailures[0]?.itemIdentifier.offset ?? records.length;
          }

          // The same log through a mapping that chunks, rewinds and fails; then it drains without faults.
          const tableName = await ledger.freshTable();
          const sink = new MemoryDeadLetterSink();
          await deliverThroughMapping(ledger, tableName, sink, records, deliveries);

          const reference = stable(await ledger.dump(referenceTable));
          const items = await ledger.dump(tableName);
          // Same ledger as one clean delivery: nothing applied twice, nothing missing.
          expect(stable(items)).toEqual(reference);
          // And that ledger is the model's: each event id applied once, at its first valid in-order offset.
          const applied = itemsOfKind(items, 'applied');
          expect(new Map(applied.map((item) => [String(item.eventId), Number(item.offset)]))).toEqual(
            new Map([...applicableCopies(modelLog(records))].map(([id, copies]) => [id, copies.get(0)])),
          );
          // Every offset is accounted for: applied, or dead-lettered (a gap's record is both).
          const accounted = new Set([
            ...applied.map((item) => Number(item.offset)),
            ...itemsOfKind(items, 'dead-letter').map((item) => Number(item.offset)),
          ]);
          expect(accounted.size).toBe(records.length);
          // Every dead letter reached the sink at least once; copies share their id.
          expect(letterKeys(sink)).toEqual(letterKeys(referenceSink));
          expectLettersAgreeWithLedger(sink, items);
        },
      ),
      { numRuns: 40 },
    );
    // 40 random logs, each consumed twice against a real store: minutes on a busy shared machine.
  }, 180_000);

  it('applies each event once across partitions while the topic grows, and dead-letters every other copy', async () => {
    await fc.assert(
      fc.asyncProperty(
        growingStepsArbitrary,
        fc.array(multiPartitionDeliveryArbitrary, { minLength: 1, maxLength: 30 }),
        async (steps, deliveries) => {
          const records = topicLog(steps);
          if (records.length === 0) return;
          const tableName = await ledger.freshTable();
          const sink = new MemoryDeadLetterSink();
          await deliverThroughMapping(ledger, tableName, sink, records, deliveries);

          const items = await ledger.dump(tableName);
          const modelled = modelLog(records);
          // Each event with a valid in-order copy is applied once, at the first such copy of some partition:
          // which partition depends on delivery order when client retries landed on several.
          const applied = itemsOfKind(items, 'applied');
          const appliedAt = new Map(applied.map((item) => [String(item.eventId), at(item)]));
          expect(applied).toHaveLength(appliedAt.size);
          const copies = applicableCopies(modelled);
          expect(new Set(appliedAt.keys())).toEqual(new Set(copies.keys()));
          for (const [eventId, where] of appliedAt) {
            const candidates = [...(copies.get(eventId) ?? [])].map(([partition, offset]) =>
              at({ partition, offset }),
            );
            expect(candidates).toContain(where);
          }
          // Every other record of every partition is dead-lettered with its reason (a copy of an event
          // applied elsewhere as DUPLICATE), and a missing range is a GAP of its own.
          const recorded = new Set(
            itemsOfKind(items, 'dead-letter').map((item) => `${at(item)} ${item.reason}`),
          );
          expect(recorded).toEqual(expectedDeadLetters(modelled, appliedAt, recorded));
          expectLettersAgreeWithLedger(sink, items);
        },
      ),
      { numRuns: 40 },
    );
    // 40 random logs over up to three partitions, each consumed once against a real store.
  }, 180_000);
});
