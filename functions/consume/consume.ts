import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Ledger } from '../ledger/ledger';
import type { EventDefinition } from '../shared/event-definition';
import { ANOMALY_REASONS, type AnomalyReason } from './anomaly';
import type { DeadLetterSink } from './dead-letters';
import { decodeKafkaEvent } from './kafka-event';
import { type PartitionOutcome, processPartition } from './partition-processing';

/** Partial batch response of a Kafka event source mapping (AWS Lambda developer guide, Kafka batch item failures). */
export interface BatchItemFailure {
  readonly itemIdentifier: { readonly partition: string; readonly offset: number };
}
export interface ConsumeResponse {
  readonly batchItemFailures: BatchItemFailure[];
}

export interface ConsumeDependencies {
  readonly ledger: Ledger;
  readonly deadLetters: DeadLetterSink;
  /** @default the pipeline's event definition (functions/event/definition.ts) */
  readonly definition?: EventDefinition;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Metric names; `DeadLettered` is what the stack's dead-letter alarm watches (service dimension only). */
export const ConsumeMetric = {
  applied: 'Applied',
  redelivered: 'Redelivered',
  deadLettered: 'DeadLettered',
  failedPartitions: 'FailedPartitions',
} as const;

export type ConsumeHandler = (event: unknown, context: Context) => Promise<ConsumeResponse>;

/** The consume Lambda handler around its dependencies (tests and the local pipeline build their own). */
export function createConsumeHandler(dependencies: ConsumeDependencies): ConsumeHandler {
  return middy<unknown, ConsumeResponse, Error, Context>()
    .use(injectLambdaContext(dependencies.logger))
    .use(logMetrics(dependencies.metrics))
    .handler((event, context) => consumeBatch(event, dependencies, context));
}

/** Time kept back from the invocation's remaining time: retries stop early enough to answer. */
const ANSWER_MARGIN_MS = 2_000;
/** Without a Lambda context (a direct call), retries stop after this long. */
const DEFAULT_BUDGET_MS = 10_000;

/**
 * Verifies and applies one batch. Partitions are independent (each has its own order and ledger state), so
 * they run side by side; a partition that fails is reported from its first unhandled offset and the mapping
 * redelivers it, while the others are acknowledged.
 */
export async function consumeBatch(
  event: unknown,
  dependencies: ConsumeDependencies,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<ConsumeResponse> {
  const partitions = decodeKafkaEvent(event);
  const remaining = context?.getRemainingTimeInMillis?.() ?? DEFAULT_BUDGET_MS;
  const deadline = Date.now() + Math.max(0, remaining - Math.min(ANSWER_MARGIN_MS, remaining / 5));
  const outcomes = await Promise.all(
    partitions.map((partition) =>
      processPartition(partition, dependencies, deadline).catch(
        (error: unknown): PartitionOutcome => ({
          ref: { topic: partition.topic, partition: partition.partition },
          name: partition.name,
          handled: [],
          failedAt: partition.records[0]?.offset,
          error,
        }),
      ),
    ),
  );
  report(outcomes, dependencies);
  return {
    batchItemFailures: outcomes.flatMap((outcome) =>
      outcome.failedAt === undefined
        ? []
        : [{ itemIdentifier: { partition: outcome.name, offset: outcome.failedAt } }],
    ),
  };
}

function report(outcomes: readonly PartitionOutcome[], { logger, metrics }: ConsumeDependencies): void {
  let applied = 0;
  let redelivered = 0;
  const deadLettered = new Map<AnomalyReason, number>();
  for (const outcome of outcomes) {
    for (const record of outcome.handled) {
      if (record.outcome === 'applied') applied += 1;
      if (record.outcome === 'redelivered') redelivered += 1;
      for (const found of record.anomalies) {
        deadLettered.set(found.reason, (deadLettered.get(found.reason) ?? 0) + 1);
        logger.warn('record dead-lettered', {
          topic: outcome.ref.topic,
          partition: outcome.ref.partition,
          offset: record.offset,
          eventId: record.eventId,
          reason: found.reason,
          applied: record.outcome === 'applied',
          detail: found.detail,
        });
      }
    }
    if (outcome.failedAt !== undefined) {
      logger.error(
        'partition left unacknowledged from an offset; the event source mapping will redeliver it',
        {
          topic: outcome.ref.topic,
          partition: outcome.ref.partition,
          offset: outcome.failedAt,
          error: outcome.error instanceof Error ? outcome.error : String(outcome.error),
        },
      );
    }
  }
  const total = [...deadLettered.values()].reduce((sum, count) => sum + count, 0);
  metrics.addMetric(ConsumeMetric.applied, MetricUnit.Count, applied);
  metrics.addMetric(ConsumeMetric.redelivered, MetricUnit.Count, redelivered);
  metrics.addMetric(ConsumeMetric.deadLettered, MetricUnit.Count, total);
  metrics.addMetric(
    ConsumeMetric.failedPartitions,
    MetricUnit.Count,
    outcomes.filter((outcome) => outcome.failedAt !== undefined).length,
  );
  // Per reason: the same metric with a reason dimension, emitted at once (one dimension set per EMF document).
  for (const reason of ANOMALY_REASONS) {
    const count = deadLettered.get(reason);
    if (count)
      metrics
        .singleMetric()
        .addDimension('reason', reason)
        .addMetric(ConsumeMetric.deadLettered, MetricUnit.Count, count);
  }
  logger.info('batch consumed', {
    partitions: outcomes.length,
    applied,
    redelivered,
    deadLettered: Object.fromEntries(deadLettered),
    failedPartitions: outcomes
      .filter((outcome) => outcome.failedAt !== undefined)
      .map((o) => `${o.name}@${o.failedAt}`),
  });
}
