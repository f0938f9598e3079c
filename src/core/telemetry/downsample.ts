/**
 * Downsampling for display. A chart of 800 pixels does not need 172,800 points, but it must not
 * lose the spike that is the incident, and it must not draw a line across a gap.
 *
 * - M4 (Jugel et al., VLDB 2014): per pixel column keep the first, minimum, maximum and last
 *   sample. A line chart drawn from the M4 points is pixel-identical to one drawn from all of
 *   them, so spikes survive by construction.
 * - LTTB (Steinarsson 2013, "Largest-Triangle-Three-Buckets"): a fixed number of points that
 *   keep the visual shape; good for sparklines and small multiples.
 *
 * Both keep NaN gaps: a NaN in the input yields one NaN in the output at that place, so the
 * renderer breaks the line there.
 */

export interface Points {
  readonly times: Float64Array;
  readonly values: Float64Array;
}

/**
 * M4 over `width` pixel columns spanning [from, to] (defaults: the data's own span). Input times
 * must be sorted. Returns the input unchanged when it has at most 4 points per column.
 */
export function m4(times: Float64Array, values: Float64Array, width: number, from = times[0] ?? 0, to = times[times.length - 1] ?? 0): Points {
  const n = times.length;
  const columns = Math.max(1, Math.floor(width));
  if (n <= columns * 4 || !(to > from)) return { times, values };
  const span = to - from;
  const keep = new Uint8Array(n);
  let i = 0;
  // Samples outside [from, to] belong to no column; the nearest one on each side is kept so
  // that the line still reaches the chart's edges.
  while (i < n && times[i]! < from) i++;
  if (i > 0) keep[i - 1] = 1;
  while (i < n && times[i]! <= to) {
    const column = Math.min(columns - 1, Math.floor(((times[i]! - from) / span) * columns));
    const first = i;
    let minI = -1;
    let maxI = -1;
    let nanI = -1;
    let last = i;
    for (; i < n && times[i]! <= to; i++) {
      const c = Math.min(columns - 1, Math.floor(((times[i]! - from) / span) * columns));
      if (c !== column) break;
      last = i;
      const v = values[i]!;
      if (v !== v) {
        if (nanI < 0) nanI = i;
        continue;
      }
      if (minI < 0 || v < values[minI]!) minI = i;
      if (maxI < 0 || v > values[maxI]!) maxI = i;
    }
    keep[first] = 1;
    keep[last] = 1;
    if (minI >= 0) keep[minI] = 1;
    if (maxI >= 0) keep[maxI] = 1;
    if (nanI >= 0) keep[nanI] = 1;
  }
  if (i < n) keep[i] = 1;
  return gather(times, values, keep);
}

function gather(times: Float64Array, values: Float64Array, keep: Uint8Array): Points {
  let count = 0;
  for (let i = 0; i < keep.length; i++) count += keep[i]!;
  const t = new Float64Array(count);
  const v = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < keep.length; i++) {
    if (keep[i]) {
      t[k] = times[i]!;
      v[k] = values[i]!;
      k++;
    }
  }
  return { times: t, values: v };
}

/**
 * LTTB to about `threshold` points (sorted input). Runs of finite values are downsampled
 * separately, with the budget shared in proportion to their length, and joined with one NaN
 * point where the input had a gap. First and last points of every run are kept.
 */
export function lttb(times: Float64Array, values: Float64Array, threshold: number): Points {
  const n = times.length;
  const budget = Math.max(3, Math.floor(threshold));
  if (n <= budget) return { times, values };
  const runs: [number, number][] = [];
  let finite = 0;
  for (let i = 0; i < n; ) {
    while (i < n && values[i]! !== values[i]!) i++;
    const start = i;
    while (i < n && values[i]! === values[i]!) i++;
    if (i > start) {
      runs.push([start, i]);
      finite += i - start;
    }
  }
  const keep = new Uint8Array(n);
  const gaps = Math.max(0, runs.length - 1);
  const available = Math.max(runs.length * 2, budget - gaps);
  for (const [start, end] of runs) {
    const share = Math.max(2, Math.round((available * (end - start)) / Math.max(1, finite)));
    lttbRun(times, values, start, end, share, keep);
  }
  // One NaN between runs (the first NaN of each gap), and a leading or trailing NaN if present.
  for (let i = 0; i < n; i++) {
    if (values[i]! !== values[i]! && (i === 0 || values[i - 1]! === values[i - 1]!)) keep[i] = 1;
  }
  return gather(times, values, keep);
}

function lttbRun(times: Float64Array, values: Float64Array, start: number, end: number, threshold: number, keep: Uint8Array): void {
  const n = end - start;
  if (n <= threshold || threshold < 3) {
    if (threshold < 3 && n > 2) {
      keep[start] = 1;
      keep[end - 1] = 1;
      return;
    }
    for (let i = start; i < end; i++) keep[i] = 1;
    return;
  }
  const every = (n - 2) / (threshold - 2);
  let a = start;
  keep[a] = 1;
  for (let b = 0; b < threshold - 2; b++) {
    // Average of the next bucket: the third corner of the triangle.
    let avgStart = start + Math.floor((b + 1) * every) + 1;
    let avgEnd = start + Math.floor((b + 2) * every) + 1;
    if (avgEnd > end) avgEnd = end;
    if (avgStart >= avgEnd) avgStart = avgEnd - 1;
    let avgT = 0;
    let avgV = 0;
    for (let j = avgStart; j < avgEnd; j++) {
      avgT += times[j]!;
      avgV += values[j]!;
    }
    const len = avgEnd - avgStart;
    avgT /= len;
    avgV /= len;
    const rangeStart = start + Math.floor(b * every) + 1;
    const rangeEnd = start + Math.floor((b + 1) * every) + 1;
    const at = times[a]!;
    const av = values[a]!;
    let maxArea = -1;
    let chosen = rangeStart;
    for (let j = rangeStart; j < rangeEnd && j < end; j++) {
      const area = Math.abs((at - avgT) * (values[j]! - av) - (at - times[j]!) * (avgV - av));
      if (area > maxArea) {
        maxArea = area;
        chosen = j;
      }
    }
    keep[chosen] = 1;
    a = chosen;
  }
  keep[end - 1] = 1;
}

/**
 * What a chart of `width` pixels should draw for [from, to]: M4 when there are more points than
 * the pixels can show, the points themselves otherwise.
 */
export function downsampleForDisplay(points: Points, width: number, from?: number, to?: number): Points {
  return m4(points.times, points.values, width, from, to);
}
