/**
 * Series utilities every source needs: put samples in time order, drop duplicate timestamps,
 * account for NaN and ±Inf, and join the pieces of a range that was fetched in parts.
 */
import { type DataGap, type Series, type SeriesResult, seriesKey } from './series';

export interface NormalizeReport {
  /** Samples whose timestamp appeared earlier in the same series (the later sample wins). */
  readonly duplicates: number;
  /** True when the samples did not arrive in time order. */
  readonly reordered: boolean;
  /** Samples dropped because their time was not a finite number. */
  readonly invalidTimes: number;
  /** Values that are NaN (a gap) or ±Inf (kept, but counted so the UI can say so). */
  readonly nanValues: number;
  readonly infiniteValues: number;
}

/**
 * Sorts by time (stable), keeps the last sample for each duplicate timestamp and drops samples
 * with a non-finite time. Values are never changed: NaN stays a gap, ±Inf stays infinite, and
 * the report counts both. Returns the input object itself when nothing had to change.
 */
export function normalizeSeries(series: Series): { series: Series; report: NormalizeReport } {
  const { times, values } = series;
  const n = times.length;
  let sorted = true;
  let strictlyIncreasing = true;
  let invalidTimes = 0;
  let nanValues = 0;
  let infiniteValues = 0;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    const v = values[i]!;
    if (v !== v) nanValues++;
    else if (v === Infinity || v === -Infinity) infiniteValues++;
    if (!Number.isFinite(t)) {
      invalidTimes++;
      continue;
    }
    if (t < prev) sorted = false;
    if (t <= prev) strictlyIncreasing = false;
    prev = t;
  }
  if (strictlyIncreasing && invalidTimes === 0 && values.length === n) {
    return { series, report: { duplicates: 0, reordered: false, invalidTimes: 0, nanValues, infiniteValues } };
  }

  const m = Math.min(n, values.length);
  let order: Uint32Array | number[];
  let count = 0;
  const idx = new Uint32Array(m);
  for (let i = 0; i < m; i++) if (Number.isFinite(times[i]!)) idx[count++] = i;
  if (sorted) {
    order = idx.subarray(0, count);
  } else {
    // Stable: equal times keep arrival order, so "last one wins" means the last to arrive.
    order = Array.from(idx.subarray(0, count)).sort((a, b) => times[a]! - times[b]! || a - b);
  }
  const outT = new Float64Array(count);
  const outV = new Float64Array(count);
  let k = 0;
  let duplicates = 0;
  for (let j = 0; j < count; j++) {
    const i = order[j]!;
    const t = times[i]!;
    if (k > 0 && outT[k - 1] === t) {
      outV[k - 1] = values[i]!;
      duplicates++;
      continue;
    }
    outT[k] = t;
    outV[k] = values[i]!;
    k++;
  }
  return {
    series: { name: series.name, labels: series.labels, times: outT.slice(0, k), values: outV.slice(0, k) },
    report: { duplicates, reordered: !sorted, invalidTimes, nanValues, infiniteValues },
  };
}

/** Sentences for a report, for `SeriesResult.warnings` (empty when the data was clean). */
export function describeNormalizeReport(report: NormalizeReport, what: string): string[] {
  const out: string[] = [];
  if (report.reordered) out.push(`${what}: samples arrived out of time order and were sorted.`);
  if (report.duplicates > 0) out.push(`${what}: ${report.duplicates} duplicate timestamp${report.duplicates === 1 ? '' : 's'}; the last value of each was kept.`);
  if (report.invalidTimes > 0) out.push(`${what}: ${report.invalidTimes} sample${report.invalidTimes === 1 ? '' : 's'} without a valid time were dropped.`);
  if (report.infiniteValues > 0) out.push(`${what}: ${report.infiniteValues} value${report.infiniteValues === 1 ? ' is' : 's are'} +Inf or -Inf.`);
  return out;
}

/** Normalizes every series of a result and adds what was repaired to its warnings. */
export function normalizeResult(result: SeriesResult): SeriesResult {
  const warnings = [...(result.warnings ?? [])];
  const series = result.series.map((s) => {
    const { series: out, report } = normalizeSeries(s);
    warnings.push(...describeNormalizeReport(report, seriesKey(s)));
    return out;
  });
  return withExtras({ series }, result.partial, warnings);
}

function withExtras(base: { series: readonly Series[] }, partial: readonly DataGap[] | undefined, warnings: readonly string[]): SeriesResult {
  const out: { series: readonly Series[]; partial?: readonly DataGap[]; warnings?: readonly string[] } = { series: base.series };
  if (partial && partial.length > 0) out.partial = partial;
  const unique = [...new Set(warnings)];
  if (unique.length > 0) out.warnings = unique;
  return out;
}

/**
 * Joins the answers to the pieces of a split range into one result: series are matched by name
 * and labels, samples concatenated, sorted and de-duplicated (pieces that overlap at their
 * edges do not double a point). Gaps and warnings of all pieces are kept.
 */
export function mergeResults(results: readonly SeriesResult[]): SeriesResult {
  const groups = new Map<string, Series[]>();
  const partial: DataGap[] = [];
  const warnings: string[] = [];
  for (const r of results) {
    for (const s of r.series) {
      const key = seriesKey(s);
      const list = groups.get(key);
      if (list) list.push(s);
      else groups.set(key, [s]);
    }
    if (r.partial) partial.push(...r.partial);
    if (r.warnings) warnings.push(...r.warnings);
  }
  const series: Series[] = [];
  for (const list of groups.values()) {
    const joined = list.length === 1 ? list[0]! : concatSeries(list);
    series.push(normalizeSeries(joined).series);
  }
  partial.sort((a, b) => (a.from ?? -Infinity) - (b.from ?? -Infinity));
  return withExtras({ series }, partial, warnings);
}

/** The samples of several pieces of one series, one after the other (no sorting). */
export function concatSeries(pieces: readonly Series[]): Series {
  let n = 0;
  for (const p of pieces) n += p.times.length;
  const times = new Float64Array(n);
  const values = new Float64Array(n);
  let at = 0;
  for (const p of pieces) {
    times.set(p.times, at);
    values.set(p.values.subarray(0, p.times.length), at);
    at += p.times.length;
  }
  const first = pieces[0]!;
  return { name: first.name, labels: first.labels, times, values };
}

/** The samples with from <= time <= to (binary search; the series must be sorted). */
export function sliceSeries(series: Series, from: number, to: number): Series {
  const lo = lowerBound(series.times, from);
  const hi = upperBound(series.times, to);
  return { name: series.name, labels: series.labels, times: series.times.subarray(lo, hi), values: series.values.subarray(lo, hi) };
}

/** First index whose time is >= t. */
export function lowerBound(times: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose time is > t. */
export function upperBound(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A copy whose ±Inf values are NaN (gaps), for consumers that need finite numbers (detectors,
 * scales). Returns the same series when there was nothing to replace.
 */
export function infinitiesAsGaps(series: Series): { series: Series; replaced: number } {
  const { values } = series;
  let replaced = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === Infinity || values[i] === -Infinity) replaced++;
  if (replaced === 0) return { series, replaced };
  const out = Float64Array.from(values, (v) => (v === Infinity || v === -Infinity ? NaN : v));
  return { series: { ...series, values: out }, replaced };
}

/** Finite min, max, count and mean of a series' values, ignoring NaN and ±Inf. */
export function finiteStats(values: Float64Array): { count: number; min: number; max: number; mean: number } {
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { count, min: count ? min : NaN, max: count ? max : NaN, mean: count ? sum / count : NaN };
}

/** True when the result is incomplete: the UI must show "partial", never "no anomaly". */
export function isPartial(result: SeriesResult): boolean {
  return (result.partial?.length ?? 0) > 0;
}
