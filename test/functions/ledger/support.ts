import { afterAll, beforeAll, beforeEach } from 'vitest';
import { DynamoDbLedger, type LedgerCommit } from '../../../functions/ledger/ledger';
import { startTestLedger, type TestLedger } from '../consume/support';

/** The partition the ledger tests write steps of. */
export const ref = { topic: 'payments', partition: 3 };

export const origin = (sequence: number) => ({ producerSession: 'session-a', partitionSequence: sequence });

/** A ledger step of `ref`, empty but for what the test gives. */
export function step(overrides: Partial<LedgerCommit> & Pick<LedgerCommit, 'lastOffset'>): LedgerCommit {
  return { ref, expectedLastOffset: undefined, sessions: [], applied: [], deadLetters: [], ...overrides };
}

/**
 * Registers the hooks of a suite whose every test gets a table of its own on one embedded store, with
 * `firstSteps` already committed, in order. Read `ledger`, `store` and `tableName` inside tests, after the hooks ran.
 */
export function ledgerWithSteps(...firstSteps: readonly LedgerCommit[]) {
  const fixture = {} as { store: TestLedger; ledger: DynamoDbLedger; tableName: string };
  beforeAll(async () => {
    fixture.store = await startTestLedger();
  });
  afterAll(() => fixture.store.close());
  beforeEach(async () => {
    fixture.tableName = await fixture.store.freshTable();
    fixture.ledger = new DynamoDbLedger(fixture.store.client, fixture.tableName);
    for (const first of firstSteps) await fixture.ledger.commit(first);
  });
  return fixture;
}
