import { createLedgerClient } from '../ledger/client';
import { readLedgerSettings } from '../ledger/settings';
import { createStatusHandler } from './status-handler';

const settings = readLedgerSettings(process.env);

/**
 * GET /<events>/{<id field>} (API Gateway HTTP API, payload v2): a read-only view of the ledger. Settings are
 * read and the DynamoDB client created once per execution environment.
 */
export const handler = createStatusHandler({
  client: createLedgerClient({ endpoint: settings.dynamodbEndpoint, region: settings.region }),
  tableName: settings.ledgerTable,
});
