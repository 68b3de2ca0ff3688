import { type Env, optionalSetting, requireSetting } from '../shared/config';
import { ConfigError } from '../shared/errors';

/** Where the ledger is: read once at cold start by every function that uses it. */
export interface LedgerSettings {
  readonly ledgerTable: string;
  /** A local DynamoDB-compatible endpoint; the regional DynamoDB endpoint when unset. */
  readonly dynamodbEndpoint: string | undefined;
  readonly region: string | undefined;
}

/** DynamoDB table names: 3-255 of a-z A-Z 0-9 _ . - (DynamoDB developer guide, naming rules). */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

/** LEDGER_TABLE, DYNAMODB_ENDPOINT and AWS_REGION; a bad value stops start-up naming the setting. */
export function readLedgerSettings(env: Env): LedgerSettings {
  const ledgerTable = requireSetting(env, 'LEDGER_TABLE');
  if (!TABLE_NAME.test(ledgerTable)) {
    throw new ConfigError(
      'LEDGER_TABLE',
      `"${ledgerTable}" is not a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)`,
    );
  }
  const dynamodbEndpoint = optionalSetting(env, 'DYNAMODB_ENDPOINT');
  if (dynamodbEndpoint !== undefined && !/^https?:\/\/[^\s/]+(\/.*)?$/.test(dynamodbEndpoint)) {
    throw new ConfigError(
      'DYNAMODB_ENDPOINT',
      `"${dynamodbEndpoint}" is not an http(s) URL such as http://127.0.0.1:8000`,
    );
  }
  return { ledgerTable, dynamodbEndpoint, region: optionalSetting(env, 'AWS_REGION') };
}
