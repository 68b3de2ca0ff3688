import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { eventDefinition } from '../event/definition';
import { PublishError } from '../shared/errors';
import type { EventDefinition } from '../shared/event-definition';
import { createKafka } from '../shared/kafka-client';
import { createObservability } from '../shared/observability';
import { IDLE_RETIREMENT, type ProducerSessionOptions, WarmProducer } from '../shared/producer-session';
import { RequestRejected } from './errors';
import { publishEvents, type RecordPublisher } from './publish';
import { parseIngestRequest } from './request';
import { INTERNAL_ERROR_BODY, ingestErrorResponses, storedBatch, storedSingle } from './responses';
import type { IngestSettings } from './settings';

/** The stack's POWERTOOLS_SERVICE_NAME for this function; metrics carry it as their `service` dimension. */
export const SERVICE_NAME = 'ingest';
/** Time kept back from the Lambda timeout to send a 503 instead of being cut off. */
const INVOCATION_SAFETY_MARGIN_MS = 500;

export interface IngestDependencies<E extends object = object> {
  readonly settings: IngestSettings;
  /** @default the pipeline's event definition (functions/event/definition.ts) */
  readonly definition?: EventDefinition<E>;
  /** @default a WarmProducer connected with the settings' Kafka configuration */
  readonly publisher?: RecordPublisher;
  /** @default Powertools Logger and Metrics for this service */
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

export interface IngestProducerOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Also told when a session is retired, after it was logged and counted. */
  readonly onRetired?: ProducerSessionOptions['onRetired'];
}

/**
 * The warm producer of the ingest function: connects with the settings' Kafka configuration, looks up the
 * events topic while connecting, logs and counts every session it has to replace.
 */
export function createIngestProducer(settings: IngestSettings, options: IngestProducerOptions): WarmProducer {
  const { logger, metrics } = options;
  return new WarmProducer(() => createKafka(settings.kafka, SERVICE_NAME, { logger }), {
    publishTimeoutMs: settings.publishTimeoutMs,
    prefetchTopics: [settings.topic],
    maxIdleMs: settings.producerMaxIdleMs,
    onRetired: (retired) => {
      if (retired.reason === IDLE_RETIREMENT) {
        logger.info('idle producer session replaced', { sessionId: retired.sessionId });
      } else {
        logger.warn('producer session retired; the next publish opens a new one', { ...retired });
        metrics.addMetric('ProducerSessionRetired', MetricUnit.Count, 1);
      }
      options.onRetired?.(retired);
    },
  });
}

/**
 * Builds the ingest handler: parse and validate the request (rejecting it whole on any problem), publish the
 * events through the warm producer, answer where they were stored. Everything that lives across invocations
 * (settings, producer, logger) is made here once, so `handler.ts` calls this at cold start.
 */
export function createIngestHandler<E extends object>(dependencies: IngestDependencies<E>) {
  const { settings } = dependencies;
  const definition: EventDefinition<E> =
    dependencies.definition ?? (eventDefinition as unknown as EventDefinition<E>);
  const observability = createObservability(SERVICE_NAME);
  const logger = dependencies.logger ?? observability.logger;
  const metrics = dependencies.metrics ?? observability.metrics;
  const publisher = dependencies.publisher ?? createIngestProducer(settings, { logger, metrics });

  const ingest = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    const request = parseIngestRequest(event, settings.limits, definition);
    const events = request.form === 'single' ? [request.event] : request.events;
    const stored = await publishEvents(publisher, settings.topic, definition, events);
    metrics.addMetric('EventsStored', MetricUnit.Count, stored.length);
    const [first] = stored;
    return request.form === 'single' && first ? storedSingle(first) : storedBatch(stored);
  };

  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>({
    // Answer before Lambda's own timeout cuts the invocation off without a response: the outcome of a
    // publish still running is unknown, which the client must hear as "retry with the same event id".
    timeoutEarlyInMillis: INVOCATION_SAFETY_MARGIN_MS,
    timeoutEarlyResponse: () => {
      throw new PublishError('the invocation ran out of time before Kafka acknowledged', { sent: true });
    },
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(
      httpErrorHandler({
        logger: (error: unknown) => logger.error('ingest failed with an unexpected error', { error }),
        fallbackMessage: INTERNAL_ERROR_BODY,
      }),
    )
    .use(
      ingestErrorResponses({
        retryAfterSeconds: settings.retryAfterSeconds,
        onFailure: ({ statusCode, error }) => {
          if (error instanceof RequestRejected) {
            // The client's mistake, not the function's: what was wrong, without a stack trace.
            logger.info('request rejected', { statusCode, code: error.code, issues: error.issues });
          } else if (statusCode === 503) {
            logger.warn('publish not confirmed; answered 503', { error });
          }
          metrics.addMetric(statusCode >= 500 ? 'IngestFailures' : 'IngestRejections', MetricUnit.Count, 1);
        },
      }),
    )
    .handler(ingest);
}
