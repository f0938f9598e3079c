/**
 * The NAB (Numenta Anomaly Benchmark v1.1) scoring rules, written from the benchmark's documented
 * description: windows around each labelled anomaly, a probationary period, a scaled sigmoid that
 * rewards early detections and forgives false alarms just after a window, three cost profiles,
 * and a threshold swept over the whole corpus. Pure: plain arrays in, numbers out.
 */

import { lowerBound } from '../telemetry/seriesOps';

export interface NabProfile {
  readonly name: NabProfileName;
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

export type NabProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

export const nabProfiles: readonly NabProfile[] = [
  { name: 'standard', tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  { name: 'reward_low_FP_rate', tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  { name: 'reward_low_FN_rate', tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
];

/** A labelled window as row indices, both inclusive. */
export interface NabWindow {
  readonly left: number;
  readonly right: number;
}

/** One data file as the scorer sees it: its length, its windows and the detector's scores. */
export interface NabFile {
  readonly name: string;
  readonly length: number;
  readonly windows: readonly NabWindow[];
  readonly scores: ArrayLike<number>;
}

export interface NabCounts {
  tp: number;
  fp: number;
  fn: number;
}

export interface NabScore extends NabCounts {
  /** The raw profile score (sum of rewards and costs). */
  readonly raw: number;
  /** 100 * (raw - null) / (perfect - null). */
  readonly normalised: number;
}

export interface NabSweepResult extends NabScore {
  readonly profile: NabProfileName;
  /** Detections are rows whose score is >= this threshold. */
  readonly threshold: number;
}

/** The first 15% of a file, at most 750 rows, is where a detector learns; it is not scored. */
export function probationaryPeriod(length: number): number {
  return Math.min(Math.floor(0.15 * length), 750);
}

/** NAB's scaled sigmoid: 1 far before 0, about 0 at 0, -1 past 3. */
export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/**
 * Row indices of labelled windows given as [start, end] Unix seconds: the rows whose time falls
 * inside, both ends included. Windows with no row are dropped (they could never be detected).
 */
export function windowsToIndices(times: ArrayLike<number>, windows: readonly (readonly [number, number])[]): NabWindow[] {
  const result: NabWindow[] = [];
  for (const [start, end] of windows) {
    let left = lowerBound(times, start);
    let right = lowerBound(times, end + 1e-9) - 1;
    if (left > right || left >= times.length) continue;
    left = Math.max(0, left);
    right = Math.min(times.length - 1, right);
    result.push({ left, right });
  }
  return result;
}

/**
 * What a detection at each row would be worth, ignoring the "earliest in its window" rule: the
 * true-positive reward inside a window, the (negative) false-alarm cost outside, NaN in the
 * probationary period. `windowOf[i]` is the window's index or -1.
 */
export function rowWeights(length: number, windows: readonly NabWindow[], profile: NabProfile): { weight: Float64Array; windowOf: Int32Array } {
  const weight = new Float64Array(length);
  const windowOf = new Int32Array(length).fill(-1);
  const probation = probationaryPeriod(length);
  const sorted = [...windows].sort((a, b) => a.left - b.left);
  const tpNorm = scaledSigmoid(-1);
  let w = 0;
  let previous: NabWindow | undefined;
  for (let i = 0; i < length; i++) {
    while (w < sorted.length && sorted[w]!.right < i) previous = sorted[w++];
    const current = w < sorted.length && sorted[w]!.left <= i ? sorted[w] : undefined;
    if (current) {
      const width = current.right - current.left + 1;
      const y = -(current.right - i + 1) / width;
      weight[i] = (profile.tpWeight * scaledSigmoid(y)) / tpNorm;
      windowOf[i] = windows.indexOf(current);
    } else if (previous) {
      const width = previous.right - previous.left + 1;
      const y = (i - previous.right) / Math.max(1, width - 1);
      weight[i] = profile.fpWeight * scaledSigmoid(y);
    } else {
      weight[i] = -profile.fpWeight;
    }
    if (i < probation) weight[i] = Number.NaN;
  }
  return { weight, windowOf };
}

/** The score of one file for a set of detections (`detected[i]` true where the detector fired). */
export function scoreFile(file: Omit<NabFile, 'scores'>, detected: ArrayLike<boolean>, profile: NabProfile): { raw: number } & NabCounts {
  const { weight, windowOf } = rowWeights(file.length, file.windows, profile);
  const found = new Array<boolean>(file.windows.length).fill(false);
  let raw = 0;
  let fp = 0;
  for (let i = 0; i < file.length; i++) {
    if (!detected[i] || Number.isNaN(weight[i]!)) continue;
    const k = windowOf[i]!;
    if (k >= 0) {
      if (!found[k]) {
        found[k] = true;
        raw += weight[i]!;
      }
    } else {
      raw += weight[i]!;
      fp++;
    }
  }
  const tp = found.filter(Boolean).length;
  const fn = file.windows.length - tp;
  raw -= fn * profile.fnWeight;
  return { raw, tp, fp, fn };
}

/** The null detector's and the perfect detector's raw scores for a set of files. */
export function scoreBounds(files: readonly Pick<NabFile, 'windows'>[], profile: NabProfile): { nullScore: number; perfectScore: number } {
  let windows = 0;
  for (const f of files) windows += f.windows.length;
  return { nullScore: -profile.fnWeight * windows, perfectScore: profile.tpWeight * windows };
}

export function normalise(raw: number, bounds: { nullScore: number; perfectScore: number }): number {
  const span = bounds.perfectScore - bounds.nullScore;
  return span === 0 ? 0 : (100 * (raw - bounds.nullScore)) / span;
}

/** Scores a set of files at one threshold (detection where score >= threshold). */
export function scoreAtThreshold(files: readonly NabFile[], profile: NabProfile, threshold: number): NabScore {
  let raw = 0;
  const counts: NabCounts = { tp: 0, fp: 0, fn: 0 };
  for (const f of files) {
    const detected: boolean[] = new Array<boolean>(f.length);
    for (let i = 0; i < f.length; i++) detected[i] = f.scores[i]! >= threshold;
    const s = scoreFile(f, detected, profile);
    raw += s.raw;
    counts.tp += s.tp;
    counts.fp += s.fp;
    counts.fn += s.fn;
  }
  return { raw, normalised: normalise(raw, scoreBounds(files, profile)), ...counts };
}

/**
 * The single threshold that maximises the corpus score, as the published detectors chose theirs.
 * Exact: every distinct score is tried, by adding rows in order of decreasing score and keeping,
 * per window, its earliest detection.
 */
export function sweepThreshold(files: readonly NabFile[], profile: NabProfile): NabSweepResult {
  const rows: { score: number; weight: number; window: number; index: number }[] = [];
  let windowBase = 0;
  let windowCount = 0;
  for (const f of files) windowCount += f.windows.length;
  const earliest = new Int32Array(windowCount).fill(-1);
  const earliestWeight = new Float64Array(windowCount);
  for (const f of files) {
    const { weight, windowOf } = rowWeights(f.length, f.windows, profile);
    for (let i = 0; i < f.length; i++) {
      const s = f.scores[i]!;
      if (Number.isNaN(weight[i]!) || !(s > -Infinity)) continue;
      rows.push({ score: s, weight: weight[i]!, window: windowOf[i]! >= 0 ? windowBase + windowOf[i]! : -1, index: i });
    }
    windowBase += f.windows.length;
  }
  rows.sort((a, b) => b.score - a.score);
  const bounds = scoreBounds(files, profile);
  let raw = bounds.nullScore;
  let tp = 0;
  let fp = 0;
  let best: NabSweepResult = { profile: profile.name, threshold: Infinity, raw, normalised: normalise(raw, bounds), tp, fp, fn: windowCount };
  for (let r = 0; r < rows.length; ) {
    const score = rows[r]!.score;
    for (; r < rows.length && rows[r]!.score === score; r++) {
      const row = rows[r]!;
      if (row.window < 0) {
        raw += row.weight;
        fp++;
      } else if (earliest[row.window] === -1) {
        earliest[row.window] = row.index;
        earliestWeight[row.window] = row.weight;
        raw += row.weight + profile.fnWeight;
        tp++;
      } else if (row.index < earliest[row.window]!) {
        raw += row.weight - earliestWeight[row.window]!;
        earliest[row.window] = row.index;
        earliestWeight[row.window] = row.weight;
      }
    }
    if (raw > best.raw + 1e-12) {
      best = { profile: profile.name, threshold: score, raw, normalised: normalise(raw, bounds), tp, fp, fn: windowCount - tp };
    }
  }
  return best;
}
