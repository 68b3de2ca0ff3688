import { type Env, optionalSetting, requireSetting } from '../shared/config';

export interface StatusSettings {
  readonly ledgerTable: string;
  /** A local DynamoDB-compatible endpoint; the regional DynamoDB endpoint when unset. */
  readonly dynamodbEndpoint: string | undefined;
  readonly region: string | undefined;
}

/** Reads the status function's settings once, at cold start. */
export function readStatusSettings(env: Env): StatusSettings {
  return {
    ledgerTable: requireSetting(env, 'LEDGER_TABLE'),
    dynamodbEndpoint: optionalSetting(env, 'DYNAMODB_ENDPOINT'),
    region: optionalSetting(env, 'AWS_REGION'),
  };
}
