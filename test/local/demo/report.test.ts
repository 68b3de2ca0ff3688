import { describe, expect, it } from 'vitest';
import { formatTable, renderHtml, reportRows } from '../../../local/demo/report';
import type { ScenarioMeasure, ScenarioResult } from '../../../local/demo/scenario';

const measure = (overrides: Partial<ScenarioMeasure>): ScenarioMeasure => ({
  sent: 10_000,
  acknowledged: 10_000,
  eventsResent: 0,
  acknowledgementsLost: 60,
  recordsInTopic: 10_000,
  applied: 10_000,
  duplicatesPreventedByBroker: 3_000,
  duplicatesCaughtByConsumer: 0,
  deadLetteredByReason: {},
  lost: 0,
  ...overrides,
});

const results: ScenarioResult[] = [
  { label: 'idempotence on', measure: measure({}) },
  {
    label: 'idempotence off',
    measure: measure({
      recordsInTopic: 12_950,
      duplicatesPreventedByBroker: 0,
      duplicatesCaughtByConsumer: 2_950,
      deadLetteredByReason: { DUPLICATE: 2_950 },
    }),
  },
];

describe('demo report', () => {
  it('lists every measure side by side, with one row per dead-letter reason seen', () => {
    const rows = reportRows(results);
    expect(rows.find((row) => row.name === 'records in the topic')?.values).toEqual([10_000, 12_950]);
    expect(rows.find((row) => row.name === 'dead-lettered: DUPLICATE')?.values).toEqual([0, 2_950]);
    expect(rows.at(-1)).toEqual({ name: 'lost (acknowledged, not applied)', values: [0, 0] });
  });

  it('prints an aligned table and writes an HTML page with the table and a chart', () => {
    const table = formatTable(results).split('\n');
    expect(table[0]).toMatch(/idempotence on\s+│\s+idempotence off$/);
    expect(new Set(table.map((line) => line.length)).size).toBe(1);
    expect(table.find((line) => line.startsWith('records in the topic'))).toMatch(/10,000\s+│\s+12,950$/);

    const html = renderHtml(results, {
      events: 10_000,
      dropShare: 0.2,
      perRequest: 50,
      finishedAt: new Date(0),
    });
    expect(html).toContain('<td>12,950</td>');
    expect(html).toContain('20% of the produce');
    expect(html.match(/<rect /g)?.length).toBeGreaterThanOrEqual(10);
  });
});
