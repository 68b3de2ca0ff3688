import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** Namespace of every custom metric; the stack's alarms and dashboard read the same name. */
export const METRICS_NAMESPACE = 'ExactlyOncePayments';

/**
 * Structured JSON logs and CloudWatch embedded-format metrics for one function. Level and sampling come from
 * the standard Powertools settings (POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_DISABLED, …).
 */
export function createObservability(serviceName: string): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
  };
}
