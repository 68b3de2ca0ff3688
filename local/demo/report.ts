import type { ScenarioMeasure, ScenarioResult } from './scenario';

interface Row {
  readonly name: string;
  readonly values: readonly number[];
}

/** The table's rows, in reading order: what clients did, what the broker stored, what the ledger holds. */
export function reportRows(results: readonly ScenarioResult[]): Row[] {
  const row = (name: string, pick: (measure: ScenarioMeasure) => number): Row => ({
    name,
    values: results.map((result) => pick(result.measure)),
  });
  const reasons = [
    ...new Set(results.flatMap((result) => Object.keys(result.measure.deadLetteredByReason))),
  ].sort();
  return [
    row('events sent', (m) => m.sent),
    row('acknowledged to clients', (m) => m.acknowledged),
    row('events re-sent by clients (same ids)', (m) => m.eventsResent),
    row('produce acknowledgements lost', (m) => m.acknowledgementsLost),
    row('records in the topic', (m) => m.recordsInTopic),
    row('applied in the ledger', (m) => m.applied),
    row('duplicates prevented by the broker', (m) => m.duplicatesPreventedByBroker),
    row('duplicates caught by the consumer', (m) => m.duplicatesCaughtByConsumer),
    ...reasons.map((reason) => row(`dead-lettered: ${reason}`, (m) => m.deadLetteredByReason[reason] ?? 0)),
    row('lost (acknowledged, not applied)', (m) => m.lost),
  ];
}

/** A plain-text table for the terminal. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const rows = reportRows(results);
  const headers = ['', ...results.map((result) => result.label)];
  const cells = rows.map((row) => [row.name, ...row.values.map((value) => value.toLocaleString('en-US'))]);
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((line) => (line[column] ?? '').length)),
  );
  const format = (line: readonly string[]) =>
    line
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  │  ');
  const rule = widths.map((width) => '─'.repeat(width)).join('──┼──');
  return [format(headers), rule, ...cells.map(format)].join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Grouped bars: per scenario, the records stored, applied, and the duplicates each layer stopped. */
function renderChart(results: readonly ScenarioResult[]): string {
  const series = [
    { name: 'records in the topic', color: '#7f8c8d', pick: (m: ScenarioMeasure) => m.recordsInTopic },
    { name: 'applied in the ledger', color: '#27ae60', pick: (m: ScenarioMeasure) => m.applied },
    {
      name: 'prevented by the broker',
      color: '#2980b9',
      pick: (m: ScenarioMeasure) => m.duplicatesPreventedByBroker,
    },
    {
      name: 'caught by the consumer',
      color: '#e67e22',
      pick: (m: ScenarioMeasure) => m.duplicatesCaughtByConsumer,
    },
    { name: 'lost', color: '#c0392b', pick: (m: ScenarioMeasure) => m.lost },
  ];
  const width = 760;
  const height = 340;
  const top = 20;
  const bottom = 70;
  const left = 70;
  const plotHeight = height - top - bottom;
  const max = Math.max(1, ...results.flatMap((result) => series.map((s) => s.pick(result.measure))));
  const groupWidth = (width - left - 20) / Math.max(1, results.length);
  const barWidth = (groupWidth - 30) / series.length;
  const parts: string[] = [];
  for (let tick = 0; tick <= 4; tick++) {
    const value = Math.round((max * tick) / 4);
    const y = top + plotHeight - (plotHeight * tick) / 4;
    parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${left - 8}" y="${y + 4}" text-anchor="end" font-size="11">${value.toLocaleString('en-US')}</text>`,
    );
  }
  results.forEach((result, group) => {
    const x0 = left + group * groupWidth + 15;
    series.forEach((s, index) => {
      const value = s.pick(result.measure);
      const barHeight = (plotHeight * value) / max;
      const x = x0 + index * barWidth;
      const y = top + plotHeight - barHeight;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="${s.color}"><title>${escapeHtml(`${result.label}: ${s.name} ${value}`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${(x0 + (groupWidth - 30) / 2).toFixed(1)}" y="${height - bottom + 18}" text-anchor="middle" font-size="12">${escapeHtml(result.label)}</text>`,
    );
  });
  series.forEach((s, index) => {
    const x = left + index * 140;
    parts.push(`<rect x="${x}" y="${height - 28}" width="12" height="12" fill="${s.color}"/>`);
    parts.push(`<text x="${x + 16}" y="${height - 18}" font-size="11">${escapeHtml(s.name)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">${parts.join('')}</svg>`;
}

export interface ReportContext {
  readonly events: number;
  readonly dropShare: number;
  readonly perRequest: number;
  readonly finishedAt: Date;
}

/** A self-contained HTML page: the settings, the table and the chart. */
export function renderHtml(results: readonly ScenarioResult[], context: ReportContext): string {
  const rows = reportRows(results);
  const head = results.map((result) => `<th>${escapeHtml(result.label)}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        `<tr><th scope="row">${escapeHtml(row.name)}</th>${row.values.map((v) => `<td>${v.toLocaleString('en-US')}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Exactly-once under lost acknowledgements</title>
<style>body{font-family:sans-serif;max-width:820px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}
th,td{padding:.3em .8em;border-bottom:1px solid #ddd}td{text-align:right;font-variant-numeric:tabular-nums}
th[scope=row]{text-align:left;font-weight:normal}</style></head><body>
<h1>Exactly-once under lost acknowledgements</h1>
<p>${context.events.toLocaleString('en-US')} events sent through the local pipeline in requests of
${context.perRequest}, with a proxy in front of the broker that lost ${Math.round(context.dropShare * 100)}% of the produce
acknowledgements after the write. The producer retries what it believes lost; with idempotence the broker recognises the retry,
without it the record is stored twice and the consumer has to catch it. The last column replaces the producer session and has
clients retry events already stored: only the consumer can catch those.</p>
<table><thead><tr><th></th>${head}</tr></thead><tbody>
${body}
</tbody></table>
${renderChart(results)}
<p><small>Generated by npm run demo on ${context.finishedAt.toISOString()}.</small></p>
</body></html>
`;
}
