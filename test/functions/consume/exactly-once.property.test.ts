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
 * What a producer put on one partition: fresh events, and every anomaly the consumer must catch.
 * `restart` replaces the producer session (a new session starts again at sequence 0).
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
  | { kind: 'restart' };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'event' as const }) },
  { weight: 2, arbitrary: fc.nat(50).map((of) => ({ kind: 'duplicate' as const, of })) },
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

/** 64 times the 1 KiB bound of details and dead-letter headers (the 400 KB case has its own test). */
const POISON_BYTES = 64 * 1024;

/**
 * How the event source mapping delivers: batch sizes, rewinds (at-least-once) and failures along the way:
 * the dead-letter topic down, a commit failing before or after it is written (the answer lost), throttling.
 * `patient` invocations have time to wait failures out; the others end at the first one (a crash or a
 * timeout), and the mapping redelivers.
 */
interface Delivery {
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

function partitionLog(steps: readonly Step[]): MSKRecord[] {
  const records: MSKRecord[] = [];
  const ids: string[] = [];
  let session = randomUUID();
  let next = 0;
  for (const step of steps) {
    const offset = records.length;
    const fresh = `ev-${offset}`;
    if (step.kind === 'restart') {
      session = randomUUID();
      next = 0;
      continue;
    }
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
      records.push(mskRecord({ offset, key: 'acct', value, headers }));
      next += 1;
      continue;
    }
    let eventId = fresh;
    let sequence = next;
    if (step.kind === 'duplicate' && ids.length > 0) eventId = ids[step.of % ids.length] ?? fresh;
    if (step.kind === 'gap') sequence = next + step.skipped;
    if (step.kind === 'out-of-order') sequence = Math.max(0, next - step.back);
    if (step.kind !== 'out-of-order' || next === 0) next = sequence + 1;
    ids.push(eventId);
    records.push(eventRecord(eventDefinition, sample(eventId), { session, sequence, offset }));
  }
  return records;
}

/** Independent model of which offsets must be applied: first valid, in-order occurrence of each event id. */
function expectedApplied(records: readonly MSKRecord[]): Map<string, number> {
  const applied = new Map<string, number>();
  const last = new Map<string, number>();
  for (const record of records) {
    const header = (name: string) => {
      const bytes = record.headers.find((h) => h[name])?.[name];
      return bytes ? Buffer.from(bytes).toString() : undefined;
    };
    const session = header('producer-session') ?? '';
    const sequence = Number(header('partition-sequence'));
    const before = last.get(session) ?? -1;
    if (sequence > before) last.set(session, sequence);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(record.value, 'base64').toString());
    } catch {
      continue;
    }
    // Valid is what the definition's schema accepts; the event-id header must name the body's event.
    const parsed = eventDefinition.schema.safeParse(body);
    if (!parsed.success) continue;
    const eventId = eventDefinition.eventId(parsed.data);
    if (header('event-id') !== eventId) continue;
    if (applied.has(eventId) || sequence <= before) continue;
    applied.set(eventId, record.offset);
  }
  return applied;
}

/** A valid event of the pipeline's definition with this id. */
const sample = (eventId: string) => eventDefinition.sample(eventId, 0);

const stable = (items: Record<string, unknown>[]) =>
  items.map(({ appliedAt: _a, recordedAt: _r, updatedAt: _u, ...rest }) => rest);

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
          const records = partitionLog(steps);
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
          // The embedded store cannot throttle: the next `throttles` commits are refused as DynamoDB would.
          let throttles = 0;
          const throttled = new InterposedLedger(new DynamoDbLedger(ledger.client, tableName), async () => {
            if (throttles === 0) return;
            throttles -= 1;
            throw new LedgerUnavailableError('ThrottlingError (test)');
          });
          const dependencies = { ledger: throttled, deadLetters: sink, ...quietObservability() };
          let position = 0;
          for (let round = 0; position < records.length; round += 1) {
            if (round > deliveries.length + records.length * 2)
              throw new Error('the mapping made no progress');
            const delivery: Delivery = deliveries[round] ?? {
              size: 10,
              rewind: 0,
              fault: 'none',
              patient: true,
            };
            position = Math.max(0, position - delivery.rewind);
            const batch = records.slice(position, position + delivery.size);
            sink.failing = delivery.fault === 'dead-letters-down';
            if (delivery.fault === 'ledger-fails-before')
              ledger.store.failTransactions({ when: 'before', times: 1 });
            if (delivery.fault === 'ledger-fails-after')
              ledger.store.failTransactions({ when: 'after', times: 1 });
            throttles = delivery.fault === 'throttled' ? 2 : 0;
            const response = await consumeBatch(mskEvent(batch), dependencies, {
              getRemainingTimeInMillis: () => (delivery.patient ? 60_000 : 0),
            });
            ledger.store.failTransactions({ when: 'before', times: 0 });
            sink.failing = false;
            const failedAt = response.batchItemFailures[0]?.itemIdentifier.offset;
            position = failedAt ?? position + batch.length;
          }

          const reference = stable(await ledger.dump(referenceTable));
          const items = await ledger.dump(tableName);
          // Same ledger as one clean delivery: nothing applied twice, nothing missing.
          expect(stable(items)).toEqual(reference);
          // And that ledger is the model's: each event id applied once, at its first valid in-order offset.
          const applied = itemsOfKind(items, 'applied');
          expect(new Map(applied.map((item) => [String(item.eventId), Number(item.offset)]))).toEqual(
            expectedApplied(records),
          );
          // Every offset is accounted for: applied, or dead-lettered (a gap's record is both).
          const accounted = new Set([
            ...applied.map((item) => Number(item.offset)),
            ...itemsOfKind(items, 'dead-letter').map((item) => Number(item.offset)),
          ]);
          expect(accounted.size).toBe(records.length);
          // Every dead letter reached the sink at least once; copies share their id.
          const letters = new Set(sink.letters.map((l) => `${l.record.offset} ${l.anomaly.reason}`));
          expect(letters).toEqual(
            new Set(referenceSink.letters.map((l) => `${l.record.offset} ${l.anomaly.reason}`)),
          );
          // Letters tell what the ledger holds: one reason per id, each recorded, none left unsent (parked).
          const reasonOf = new Map<string, string>();
          for (const letter of sink.letters) {
            const id = String(toDeadLetterRecord(letter).headers?.[DeadLetterHeader.id]);
            expect(reasonOf.get(id) ?? letter.anomaly.reason).toBe(letter.anomaly.reason);
            reasonOf.set(id, letter.anomaly.reason);
            expect(Buffer.byteLength(letter.anomaly.detail)).toBeLessThanOrEqual(MAX_DETAIL_BYTES);
          }
          const deadLetters = itemsOfKind(items, 'dead-letter');
          expect(new Set(deadLetters.map((item) => `${item.offset} ${item.reason}`))).toEqual(letters);
          expect(deadLetters.filter((item) => item.letter !== 'sent')).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
    // 40 random logs, each consumed twice against a real store: minutes on a busy shared machine.
  }, 180_000);
});
