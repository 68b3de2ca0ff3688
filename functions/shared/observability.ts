import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { appNames } from './app-names';

/** Default namespace of the custom metrics; the stack passes its own as POWERTOOLS_METRICS_NAMESPACE. */
export const METRICS_NAMESPACE = appNames().metricsNamespace;

/**
 * Structured JSON logs and CloudWatch embedded-format metrics for one function. Level and sampling come from
 * the standard Powertools settings (POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_DISABLED, …).
 */
export function createObservability(
  serviceName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { logger: Logger; metrics: Metrics } {
  // An explicit namespace wins over Powertools' own setting, so the stack's choice is read here: the
  // dead-letter alarm watches the namespace the stack was deployed with.
  const namespace = env.POWERTOOLS_METRICS_NAMESPACE?.trim() || METRICS_NAMESPACE;
  const logger = new Logger({ serviceName });
  return { logger, metrics: new Metrics({ namespace, serviceName, logger: metricsLogger(logger) }) };
}

/**
 * Metrics' own warnings go to the function's structured logger, except "No application metrics to publish":
 * when the local HTTP gateway runs invocations of one handler concurrently, one invocation's flush can take
 * another's metrics, and that warning would follow nearly every request. On Lambda an environment runs one
 * invocation at a time, and every invocation of these functions records a metric.
 */
function metricsLogger(logger: Logger) {
  return {
    debug: (message: unknown) => logger.debug(String(message)),
    info: (message: unknown) => logger.info(String(message)),
    error: (message: unknown) => logger.error(String(message)),
    warn: (message: unknown) => {
      if (!String(message).startsWith('No application metrics to publish')) logger.warn(String(message));
    },
  };
}
