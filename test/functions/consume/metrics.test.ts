import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConsumeHandler } from '../../../functions/consume/consume';
import { DynamoDbLedger } from '../../../functions/ledger/ledger';
import { anomalyBatch } from '../../helpers/msk-events';
import { lambdaContext, MemoryDeadLetterSink, startTestLedger } from './support';

const anomalies = anomalyBatch();

interface EmfDocument {
  readonly _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
  readonly [field: string]: unknown;
}

describe('consume metrics', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('emits Applied, Redelivered, DeadLettered (total, and per reason) in the stack namespace', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(chunk.toString());
      return true;
    });
    const ledger = await startTestLedger();
    try {
      const handler = createConsumeHandler({
        ledger: new DynamoDbLedger(ledger.client, ledger.tableName),
        deadLetters: new MemoryDeadLetterSink(),
        logger: new Logger({ serviceName: 'consume', logLevel: 'SILENT' }),
        metrics: new Metrics({ namespace: 'ExactlyOncePayments', serviceName: 'consume' }),
      });
      await handler(anomalies, lambdaContext());
      await handler(anomalies, lambdaContext());
    } finally {
      vi.restoreAllMocks();
      await ledger.close();
    }

    const documents = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as EmfDocument);
    const totals = documents.filter(
      (doc) => doc._aws.CloudWatchMetrics[0]?.Dimensions[0]?.join() === 'service',
    );
    expect(totals.map((doc) => [doc.Applied, doc.Redelivered, doc.DeadLettered])).toEqual([
      [3, 0, 5],
      [0, 7, 0],
    ]);
    expect(totals[0]?._aws.CloudWatchMetrics[0]?.Namespace).toBe('ExactlyOncePayments');
    const byReason = documents
      .filter((doc) => doc.reason !== undefined)
      .map((doc) => `${doc.reason}=${doc.DeadLettered}`)
      .sort();
    expect(byReason).toEqual(['DUPLICATE=1', 'GAP=1', 'INVALID=1', 'MALFORMED=1', 'OUT_OF_ORDER=1']);
  });
});
