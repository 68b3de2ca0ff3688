/**
 * Reads the figures a benchmark printed as a table, for benchmarks that do not write a JSON summary:
 * Markdown tables (`| metric | median | goal | result |`) and Node's console.table boxes (`│ (index) │ … │`).
 * The metric column is the first one named metric/step/figure; the value column the one after it; the goal
 * and result columns by name. Without a result column, a goal such as "≥ 3,000" or "<= 300 ms" is checked
 * against the first number of the value.
 */
import type { FigureRow } from './report';

const METRIC_HEADERS = new Set(['metric', 'step', 'figure', 'name']);

function cellsOf(line: string): string[] | undefined {
  const trimmed = line.trim();
  const separator = trimmed.startsWith('│') ? '│' : trimmed.startsWith('|') ? '|' : undefined;
  if (!separator) return undefined;
  return trimmed
    .slice(1, trimmed.endsWith(separator) ? -1 : undefined)
    .split(separator)
    .map((cell) => cell.trim().replace(/^'(.*)'$/, '$1'));
}

function isRule(cells: readonly string[]): boolean {
  return cells.every((cell) => /^[-─┼:]*$/.test(cell));
}

function firstNumber(text: string): number | undefined {
  const match = /-?\d[\d,]*(\.\d+)?/.exec(text);
  return match ? Number(match[0].replaceAll(',', '')) : undefined;
}

/** true / false when the goal can be read and checked, undefined otherwise. */
export function checkGoalText(value: string, goal: string): boolean | undefined {
  const match = /^(≥|>=|≤|<=)\s*(\d[\d,]*(\.\d+)?)/.exec(goal.trim());
  const number = firstNumber(value);
  if (!match || number === undefined) return undefined;
  const bound = Number((match[2] ?? '').replaceAll(',', ''));
  return match[1] === '≥' || match[1] === '>=' ? number >= bound : number <= bound;
}

export function parsePrintedTables(bench: string, output: string): FigureRow[] {
  const rows: FigureRow[] = [];
  let header: string[] | undefined;
  for (const line of output.split('\n')) {
    if (/^\s*[┌├└]/.test(line)) continue; // console.table borders
    const cells = cellsOf(line);
    if (!cells) {
      header = undefined; // a table ends at the first line that is not a row
      continue;
    }
    if (isRule(cells)) continue;
    const names = cells.map((cell) => cell.toLowerCase());
    if (!header) {
      if (names.some((name) => METRIC_HEADERS.has(name))) header = names;
      continue;
    }
    const metricColumn = header.findIndex((name) => METRIC_HEADERS.has(name));
    const goalColumn = header.indexOf('goal');
    const resultColumn = header.indexOf('result');
    const valueColumn = header.findIndex(
      (_name, index) => index > metricColumn && index !== goalColumn && index !== resultColumn,
    );
    const metric = cells[metricColumn] ?? '';
    const valueName = header[valueColumn] ?? '';
    const rawValue = cells[valueColumn] ?? '';
    const value = ['value', 'median', ''].includes(valueName) ? rawValue : `${rawValue} ${valueName}`;
    const goal = goalColumn >= 0 && cells[goalColumn] !== '-' ? (cells[goalColumn] ?? '') : '';
    const result = resultColumn >= 0 ? (cells[resultColumn] ?? '').toLowerCase() : undefined;
    const met =
      result === 'met'
        ? true
        : result === 'not met'
          ? false
          : goal
            ? checkGoalText(rawValue, goal)
            : undefined;
    rows.push({ bench, metric, value, goal, ...(met === undefined ? {} : { met }) });
  }
  return rows;
}
