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

export const defaultLikelihoodConfig: LikelihoodConfig = { shortWindow: 20, historyPoints: 2000, minHistory: 30 };

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

  constructor(private readonly config: LikelihoodConfig = defaultLikelihoodConfig) {
    this.ring = new Float64Array(config.shortWindow);
    this.historyPoints = config.historyPoints;
    this.historyRate = 1 / config.historyPoints;
  }

  /** Takes a raw score and returns the log tail probability of the recent average (<= 0). */
  update(raw: number): number {
    if (raw !== raw) return 0;
    const ring = this.ring;
    const k = ring.length;
    const head = this.head;
    if (this.filled === k) this.sum -= ring[head]!;
    else this.filled++;
    ring[head] = raw;
    this.sum += raw;
    if (head + 1 === k) {
      this.head = 0;
      // Re-add the window once per turn so rounding never accumulates over millions of points.
      let s = 0;
      for (let i = 0; i < this.filled; i++) s += ring[i]!;
      this.sum = s;
    } else this.head = head + 1;
    const average = this.sum / this.filled;

    let logTail = 0;
    const mean = this.mean;
    if (this.n >= this.config.minHistory && average > mean) {
      const floor = 1e-6 * mean * mean + 1e-18;
      const v = this.variance;
      logTail = logUpperTail((average - mean) / Math.sqrt(v > floor ? v : floor));
    }
    const n = ++this.n;
    const rate = n < this.historyPoints ? 1 / n : this.historyRate;
    const d = average - mean;
    this.mean = mean + rate * d;
    this.variance = (1 - rate) * (this.variance + rate * d * d);
    return logTail;
  }

  /** update() over a run of raw scores; writes log tails into `out`. */
  updateBatch(raw: Float64Array, out: Float64Array, from: number, to: number): void {
    for (let i = from; i < to; i++) out[i] = this.update(raw[i]!);
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
