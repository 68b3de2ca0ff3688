/** Order statistics for benchmark samples. */

function sorted(values: readonly number[]): number[] {
  if (values.length === 0) throw new RangeError('expected at least one sample, got none');
  return [...values].sort((a, b) => a - b);
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  const ordered = sorted(values);
  const mid = Math.floor(ordered.length / 2);
  return ordered.length % 2
    ? (ordered[mid] as number)
    : ((ordered[mid - 1] as number) + (ordered[mid] as number)) / 2;
}

/**
 * The nearest-rank percentile: the smallest sample such that at least `p` percent of the samples are less
 * than or equal to it (p99 of 1,000 samples is the 990th smallest).
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`expected a percentile in (0, 100], got ${p}`);
  const ordered = sorted(values);
  const rank = Math.ceil((p / 100) * ordered.length);
  return ordered[Math.max(0, rank - 1)] as number;
}

export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Runs `measure` `runs` times one after another and returns every result (for medians across runs). */
export async function repeat<T>(runs: number, measure: (run: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let run = 0; run < runs; run++) results.push(await measure(run));
  return results;
}
