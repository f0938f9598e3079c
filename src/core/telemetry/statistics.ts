/**
 * Summary statistics of series over a time range, and of the same series before and after a
 * moment (a deployment): the numbers an incident report and `opsloop check` state. Computed on
 * Float64Arrays in doubles (danfo's describe() rounds to four decimals).
 */
import type { Series } from './series';

export interface SummaryRow {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly count: number;
  /** NaN samples (gaps). */
  readonly missing: number;
  readonly infinite: number;
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly first?: number;
  readonly last?: number;
}

export interface WindowComparison {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly before: SummaryRow;
  readonly after: SummaryRow;
  /** after.mean / before.mean - 1 (NaN when a side has no data). */
  readonly meanChange: number;
  readonly p99Change: number;
}

/** Quantile of sorted values (linear interpolation between closest ranks, as numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Count, gaps, mean, standard deviation (sample), min, p50, p90, p99, max of each series in [from, to]. */
export function summaryStatistics(series: readonly Series[], from = -Infinity, to = Infinity): SummaryRow[] {
  return series.map((s) => {
    const finite: number[] = [];
    let missing = 0;
    let infinite = 0;
    let first: number | undefined;
    let last: number | undefined;
    for (let i = 0; i < s.times.length; i++) {
      const t = s.times[i]!;
      if (t < from || t > to) continue;
      first ??= t;
      last = t;
      const v = s.values[i]!;
      if (Number.isNaN(v)) missing++;
      else if (!Number.isFinite(v)) infinite++;
      else finite.push(v);
    }
    const sorted = Float64Array.from(finite).sort();
    const n = sorted.length;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += (sorted[i]! - mean) / (i + 1); // running mean: no overflow on large sums
    let m2 = 0;
    for (let i = 0; i < n; i++) m2 += (sorted[i]! - mean) ** 2;
    return {
      name: s.name,
      labels: s.labels,
      count: n,
      missing,
      infinite,
      mean: n ? mean : NaN,
      std: n > 1 ? Math.sqrt(m2 / (n - 1)) : NaN,
      min: n ? sorted[0]! : NaN,
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      p99: quantile(sorted, 0.99),
      max: n ? sorted[n - 1]! : NaN,
      ...(first !== undefined ? { first } : {}),
      ...(last !== undefined ? { last } : {}),
    };
  });
}

/** Each series before and after a moment (a deployment): the numbers an incident report states. */
export function compareWindows(series: readonly Series[], before: { from: number; to: number }, after: { from: number; to: number }): WindowComparison[] {
  const b = summaryStatistics(series, before.from, before.to);
  const a = summaryStatistics(series, after.from, after.to);
  return series.map((s, i) => ({
    name: s.name,
    labels: s.labels,
    before: b[i]!,
    after: a[i]!,
    meanChange: a[i]!.mean / b[i]!.mean - 1,
    p99Change: a[i]!.p99 / b[i]!.p99 - 1,
  }));
}
