/**
 * How every benchmark reports: figures with their goals, printed as one table, and, when the environment
 * names a file in BENCH_JSON, the same rows written there as JSON so that `npm run bench` can gather them.
 */
import { writeFileSync } from 'node:fs';

/** A goal is a bound the figure must stay within. */
export type Goal = { readonly atMost: number } | { readonly atLeast: number };

export interface Figure {
  readonly metric: string;
  readonly value: number;
  /** 'ms', 'events/s', 'KiB', '×' … */
  readonly unit: string;
  /** @default 0 from 100 up, 2 below */
  readonly decimals?: number;
  /** @default - a figure reported for information */
  readonly goal?: Goal;
}

/** One printed line: what `npm run bench` shows for every figure of every benchmark. */
export interface FigureRow {
  readonly bench: string;
  readonly metric: string;
  readonly value: string;
  readonly goal: string;
  /** undefined when the figure has no goal */
  readonly met?: boolean;
}

export interface BenchSummary {
  readonly bench: string;
  readonly rows: readonly FigureRow[];
}

/** The environment variable naming the file a benchmark writes its summary to. */
export const SUMMARY_FILE_ENV = 'BENCH_JSON';

function formatNumber(value: number, decimals?: number): string {
  const digits = decimals ?? (Math.abs(value) >= 100 ? 0 : 2);
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function withUnit(text: string, unit: string): string {
  if (unit === '') return text;
  return unit === '×' ? `${text}×` : `${text} ${unit}`;
}

function goalMet(value: number, goal: Goal | undefined): boolean | undefined {
  if (goal === undefined) return undefined;
  return 'atMost' in goal ? value <= goal.atMost : value >= goal.atLeast;
}

function goalText(goal: Goal | undefined, unit: string): string {
  if (goal === undefined) return '';
  const [sign, bound] = 'atMost' in goal ? ['≤', goal.atMost] : ['≥', goal.atLeast];
  return `${sign} ${withUnit(bound.toLocaleString('en-US'), unit)}`;
}

function toRow(bench: string, figure: Figure): FigureRow {
  const met = goalMet(figure.value, figure.goal);
  return {
    bench,
    metric: figure.metric,
    value: withUnit(formatNumber(figure.value, figure.decimals), figure.unit),
    goal: goalText(figure.goal, figure.unit),
    ...(met === undefined ? {} : { met }),
  };
}

export function verdict(met: boolean | undefined): string {
  return met === undefined ? '' : met ? 'met' : 'NOT met';
}

/** A Markdown table (readable in a terminal and pasteable into a note), columns padded to fit. */
export function formatTable(rows: readonly FigureRow[], options: { withBench?: boolean } = {}): string {
  const header = [...(options.withBench ? ['bench'] : []), 'metric', 'value', 'goal', 'result'];
  const cells = rows.map((row) => [
    ...(options.withBench ? [row.bench] : []),
    row.metric,
    row.value,
    row.goal,
    verdict(row.met),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => (line[column] ?? '').length)),
  );
  // Figures read best right-aligned; everything else left-aligned.
  const valueColumn = header.indexOf('value');
  const line = (values: readonly string[]) =>
    `| ${values
      .map((text, column) =>
        column === valueColumn ? text.padStart(widths[column] ?? 0) : text.padEnd(widths[column] ?? 0),
      )
      .join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}

/** Writes the rows to the file $BENCH_JSON names, if any, for `npm run bench`. */
function writeSummary(bench: string, rows: readonly FigureRow[]): BenchSummary {
  const summary: BenchSummary = { bench, rows };
  const file = process.env[SUMMARY_FILE_ENV];
  if (file) writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/**
 * Prints the benchmark's title, table and notes, and writes the summary to $BENCH_JSON when it is set.
 * Notes say how the figures were measured (method, resolution, run counts): a figure without them misleads.
 */
export function publishFigures(
  bench: string,
  title: string,
  figures: readonly Figure[],
  notes: readonly string[] = [],
): BenchSummary {
  const rows = figures.map((figure) => toRow(bench, figure));
  const text = [title, '', formatTable(rows), ...(notes.length ? ['', ...notes] : [])].join('\n');
  process.stdout.write(`${text}\n`);
  return writeSummary(bench, rows);
}
