import { describe, expect, it, vi } from 'vitest';
import { createObservability, METRICS_NAMESPACE } from '../../../functions/shared/observability';

function namespaceOf(env: Record<string, string | undefined>): unknown {
  const { metrics } = createObservability('consume', env);
  metrics.addMetric('Applied', 'Count', 1);
  return metrics.serializeMetrics()._aws.CloudWatchMetrics[0]?.Namespace;
}

describe('createObservability', () => {
  it('publishes metrics in the namespace the stack configured, so its alarms see them', () => {
    expect(namespaceOf({ POWERTOOLS_METRICS_NAMESPACE: 'TeamPayments' })).toBe('TeamPayments');
  });

  it('logs the metrics library warnings as structured lines, but not the empty-flush one', () => {
    // GIVEN a function's observability at WARN, writing to the global console (POWERTOOLS_DEV)
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'WARN');
    const written: string[] = [];
    const spy = vi.spyOn(console, 'warn').mockImplementation((line: unknown) => written.push(String(line)));
    try {
      const { metrics } = createObservability('ingest', {});
      // WHEN a dimension is added twice and a flush finds nothing to publish
      metrics.addDimension('route', 'a');
      metrics.addDimension('route', 'b');
      metrics.publishStoredMetrics();
    } finally {
      spy.mockRestore();
      vi.unstubAllEnvs();
    }
    // THEN the overwrite warning is there as JSON, the empty flush is not
    expect(written.some((line) => JSON.parse(line).message.includes('has already been added'))).toBe(true);
    expect(written.some((line) => line.includes('No application metrics'))).toBe(false);
  });

  it('falls back to the project namespace when none is configured', () => {
    expect(namespaceOf({})).toBe(METRICS_NAMESPACE);
    expect(namespaceOf({ POWERTOOLS_METRICS_NAMESPACE: '  ' })).toBe(METRICS_NAMESPACE);
  });
});
