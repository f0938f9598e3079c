import type { DetectorState } from './state';
import { decodeInto, decodeNumber, encodeArray, expectVersion } from './state';
import { logUpperTail, tailToScore } from './stats';

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
 * the difference becomes the score (0.5 at a one-in-100,000 tail). Raw scores in any unit, on any
 * series, come out on one calibrated scale, which is what lets one threshold serve every series.
 */
export class AnomalyLikelihood {
  /** The last tail probability as a natural log (0 = not surprising at all). */
  lastLogTail = 0;
  private readonly ring: Float64Array;
  private head = 0;
  private filled = 0;
  private sum = 0;
  private mean = 0;
  private variance = 0;
  private n = 0;

  constructor(private readonly config: LikelihoodConfig = defaultLikelihoodConfig) {
    this.ring = new Float64Array(config.shortWindow);
  }

  /** Takes a raw score (NaN: no opinion) and returns the calibrated score in [0, 1]. */
  update(raw: number): number {
    if (raw !== raw) {
      this.lastLogTail = 0;
      return 0;
    }
    const k = this.ring.length;
    this.sum += raw - (this.filled === k ? this.ring[this.head]! : 0);
    this.ring[this.head] = raw;
    this.head = this.head + 1 === k ? 0 : this.head + 1;
    if (this.filled < k) this.filled++;
    const average = this.sum / this.filled;

    let score = 0;
    this.lastLogTail = 0;
    if (this.n >= this.config.minHistory) {
      const floor = 1e-6 * this.mean * this.mean + 1e-18;
      const sd = Math.sqrt(this.variance > floor ? this.variance : floor);
      const z = (average - this.mean) / sd;
      if (z > 0) {
        this.lastLogTail = logUpperTail(z);
        score = tailToScore(this.lastLogTail);
      }
    }
    this.n++;
    const rate = this.n < this.config.historyPoints ? 1 / this.n : 1 / this.config.historyPoints;
    const d = average - this.mean;
    this.mean += rate * d;
    this.variance = (1 - rate) * (this.variance + rate * d * d);
    return score;
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
