import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface LedgerClientOptions {
  /** A local DynamoDB-compatible endpoint (DYNAMODB_ENDPOINT); the regional AWS endpoint when omitted. */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /** SDK attempts per call, retries of throttling and 5xx included (SDK default 3). */
  readonly maxAttempts?: number;
}

/**
 * A DynamoDB document client for the ledger, created once per execution environment. A local endpoint needs
 * no AWS account: when no credentials are configured it signs with fixed placeholder ones, which local stores
 * accept and AWS would reject (so they can never reach a real table by mistake).
 */
export function createLedgerClient(options: LedgerClientOptions = {}): DynamoDBDocumentClient {
  const config: DynamoDBClientConfig = {};
  if (options.maxAttempts !== undefined) config.maxAttempts = options.maxAttempts;
  if (options.region) config.region = options.region;
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    config.region ??= 'us-east-1';
    if (!process.env.AWS_ACCESS_KEY_ID) {
      config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    }
  }
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
