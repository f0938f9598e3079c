import type { DetectorState } from './state';
import { decodeInto, decodeNumber, encodeArray, expectVersion } from './state';
import { logUpperTail } from './stats';

export interface LikelihoodConfig {
  /** Raw scores averaged into the short-term level that is tested (HTM uses 10). */
  readonly shortWindow: number;
  /** Memory, in points, of the long-term distribution of that average. */
  readonly historyPoints: number;
  /** Points of history needed before any likelihood is given. */
  readonly minHistory: number;
}

export const defaultLikelihoodConfig: LikelihoodConfig = { shortWindow: 20, historyPoints: 8000, minHistory: 30 };

/**
 * Anomaly likelihood, after HTM's post-processing: the recent average of a method's raw scores is
 * compared with the long-run distribution of that average, and the Gaussian tail probability of
 * the difference is the evidence (as a natural log; 0 = nothing unusual). Raw scores in any unit,
 * on any series, come out on one calibrated scale, which is what lets one threshold serve every
 * series. NaN raw scores (a method still warming up) give no evidence and teach nothing.
 */
export class AnomalyLikelihood {
  private readonly ring: Float64Array;
  private head = 0;
  private filled = 0;
  private sum = 0;
  private mean = 0;
  private variance = 0;
  private n = 0;
  private readonly historyPoints: number;
  private readonly historyRate: number;
  private readonly minHistory: number;
  private readonly inverseWindow: number;

  constructor(config: LikelihoodConfig = defaultLikelihoodConfig) {
    this.ring = new Float64Array(config.shortWindow);
    this.historyPoints = config.historyPoints;
    this.historyRate = 1 / config.historyPoints;
    this.minHistory = config.minHistory;
    this.inverseWindow = 1 / config.shortWindow;
  }

  /** Takes a raw score and returns the log tail probability of the recent average (<= 0). */
  update(raw: number): number {
    if (raw !== raw) return 0;
    const ring = this.ring;
    const k = ring.length;
    if (this.filled === k) this.sum -= ring[this.head]!;
    else this.filled++;
    ring[this.head] = raw;
    this.sum += raw;
    if (++this.head === k) {
      this.head = 0;
      // Re-add the window once per turn so rounding never accumulates over millions of points.
      let s = 0;
      for (let i = 0; i < this.filled; i++) s += ring[i]!;
      this.sum = s;
    }
    const average = this.filled === k ? this.sum * this.inverseWindow : this.sum / this.filled;
    const mean = this.mean;
    const d = average - mean;
    let logTail = 0;
    if (d > 0 && this.n >= this.minHistory) {
      const floor = 1e-6 * mean * mean + 1e-18;
      const v = this.variance > floor ? this.variance : floor;
      // Less than half a standard deviation above the mean is no evidence (a tail above 31%).
      if (4 * d * d > v) logTail = logUpperTail(d / Math.sqrt(v));
    }
    const n = ++this.n;
    const rate = n < this.historyPoints ? 1 / n : this.historyRate;
    this.mean = mean + rate * d;
    this.variance = (1 - rate) * (this.variance + rate * d * d);
    return logTail;
  }

  /** update() over a run of raw scores; writes log tails into `out`. */
  updateBatch(raw: Float64Array, out: Float64Array, from: number, to: number): void {
    for (let i = from; i < to; i++) out[i] = this.update(raw[i]!);
  }

  /**
   * update() over raw[0..size), adding each point's evidence (-logTail * weight, capped at `cap`)
   * to `evidence[j]` and recording method `k` in `winners[j]` where it beats `strongest[j]`: the
   * ensemble's combination fused into this loop, with the state in locals. The same arithmetic as
   * update(), so the same results.
   */
  accumulate(raw: Float64Array, size: number, weight: number, cap: number, evidence: Float64Array, strongest: Float64Array, winners: Int8Array, k: number): void {
    const ring = this.ring;
    const window = ring.length;
    const inverseWindow = this.inverseWindow;
    const minHistory = this.minHistory;
    const historyPoints = this.historyPoints;
    const historyRate = this.historyRate;
    let head = this.head;
    let filled = this.filled;
    let sum = this.sum;
    let mean = this.mean;
    let variance = this.variance;
    let n = this.n;
    for (let i = 0; i < size; i++) {
      const r = raw[i]!;
      if (r !== r) continue;
      if (filled === window) sum -= ring[head]!;
      else filled++;
      ring[head] = r;
      sum += r;
      if (++head === window) {
        head = 0;
        let s = 0;
        for (let j = 0; j < filled; j++) s += ring[j]!;
        sum = s;
      }
      const average = filled === window ? sum * inverseWindow : sum / filled;
      const d = average - mean;
      const floor = 1e-6 * mean * mean + 1e-18;
      const v = variance > floor ? variance : floor;
      if (d > 0 && 4 * d * d > v && n >= minHistory) {
        let e = -logUpperTail(d / Math.sqrt(v)) * weight;
        if (e > cap) e = cap;
        evidence[i] += e;
        if (e > strongest[i]!) {
          strongest[i] = e;
          winners[i] = k;
        }
      }
      n++;
      const rate = n < historyPoints ? 1 / n : historyRate;
      mean += rate * d;
      variance = (1 - rate) * (variance + rate * d * d);
    }
    this.head = head;
    this.filled = filled;
    this.sum = sum;
    this.mean = mean;
    this.variance = variance;
    this.n = n;
  }

  saveState(): DetectorState {
    return {
      kind: 'likelihood',
      version: 1,
      ring: encodeArray(this.ring),
      head: this.head,
      filled: this.filled,
      sum: this.sum,
      mean: this.mean,
      variance: this.variance,
      n: this.n,
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'likelihood', 1);
    decodeInto(this.ring, state['ring'], 'likelihood ring');
    this.head = decodeNumber(state['head']);
    this.filled = decodeNumber(state['filled']);
    this.sum = decodeNumber(state['sum']);
    this.mean = decodeNumber(state['mean']);
    this.variance = decodeNumber(state['variance']);
    this.n = decodeNumber(state['n']);
  }
}
