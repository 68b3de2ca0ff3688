import { type LedgerStore, startForwardingLedgerStore, startLedgerStore } from '../../local/ledger-store';

/**
 * The ledger the ledger and consume suites run against: the embedded store by default, or any
 * DynamoDB-compatible endpoint named by LEDGER_TEST_ENDPOINT (`npm run test:dynamodb-moto` starts a
 * reference implementation and sets it). Either way it sits behind the same front, so tests that inject
 * transaction faults run unchanged. LEDGER_TEST_ONE_AT_A_TIME=true passes requests on one at a time, for an
 * implementation that does not isolate concurrent transactions.
 */
export function startLedgerBackend(): Promise<LedgerStore> {
  const endpoint = process.env.LEDGER_TEST_ENDPOINT;
  if (!endpoint) return startLedgerStore();
  if (!URL.canParse(endpoint)) throw new Error(`LEDGER_TEST_ENDPOINT must be a URL, got "${endpoint}"`);
  return startForwardingLedgerStore(endpoint, {
    oneAtATime: process.env.LEDGER_TEST_ONE_AT_A_TIME === 'true',
  });
}
