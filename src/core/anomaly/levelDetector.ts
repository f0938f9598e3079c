import type { ComponentDetector, ComponentMethod } from './component';
import type { DetectorState } from './state';
import { HourOfDay, frugalStep } from './stats';
import { decodeInto, decodeNumber, encodeArray, encodeNumber, expectVersion } from './state';

export interface LevelConfig {
  /** Holt level smoothing per point. */
  readonly alpha: number;
  /** Holt trend smoothing, relative to alpha. */
  readonly beta: number;
  /** Smoothing of the residuals' median absolute size. */
  readonly gamma: number;
  /** Residuals are clipped to this many spreads when learning, so a spike does not drag the level. */
  readonly clip: number;
  /** Learning rate of the hour-of-day offsets (0: no seasonality). */
  readonly seasonRate: number;
}

export const defaultLevelConfig: LevelConfig = { alpha: 0.1, beta: 0.05, gamma: 0.02, clip: 4, seasonRate: 0.05 };

/**
 * EWMA/Holt level and trend: predicts the next value from a smoothed level plus trend and scores
 * the residual in units of the residuals' robust spread (a streaming median of |residual|).
 */
export class LevelDetector implements ComponentDetector {
  readonly method: ComponentMethod = 'level';
  baseline = Number.NaN;
  spread = Number.NaN;
  private level = Number.NaN;
  private trend = 0;
  private mad = 0;
  private n = 0;
  private readonly offsets = new Float64Array(24);
  private readonly hourOfDay = new HourOfDay();
  private readonly slotCount = new Float64Array(24);

  constructor(private readonly config: LevelConfig = defaultLevelConfig) {}

  update(time: number, value: number): number {
    // Additive daily seasonality (Holt-Winters style): the level follows the value less the
    // learnt offset of its hour, so a daily rhythm is expected rather than surprising.
    const { seasonRate } = this.config;
    let slot = -1;
    let offset = 0;
    if (seasonRate > 0) {
      slot = this.hourOfDay.of(time);
      if (this.slotCount[slot]! >= 3) offset = this.offsets[slot]!;
    }
    const x = value - offset;
    if (this.n === 0) {
      this.level = x;
      this.n = 1;
      this.baseline = x;
      this.spread = 0;
      return Number.NaN;
    }
    const { alpha, beta, gamma, clip } = this.config;
    const predicted = this.level + this.trend;
    const r = x - predicted;
    const floor = 1e-9 * Math.abs(predicted) + 1e-12;
    const mad = this.mad > floor ? this.mad : floor;
    this.baseline = predicted + offset;
    this.spread = this.mad;
    if (slot >= 0) {
      const c = ++this.slotCount[slot]!;
      const target = value - predicted;
      this.offsets[slot] = this.offsets[slot]! + (target - this.offsets[slot]!) * Math.max(seasonRate, 1 / c);
    }
    const raw = Math.abs(r) / mad;
    // Learn: a clipped residual moves level and trend; the spread tracks the median of |r|.
    const rc = r > clip * mad ? clip * mad : r < -clip * mad ? -clip * mad : r;
    this.level = predicted + alpha * rc;
    this.trend += alpha * beta * rc;
    this.n++;
    const a = Math.abs(r);
    // Warm start: a mean of |r| first, then a frugal median step proportional to the spread.
    if (this.n < 20) this.mad += (a - this.mad) / (this.n - 1);
    else this.mad = frugalStep(this.mad, a, this.mad, gamma);
    return this.n < 10 ? Number.NaN : raw;
  }

  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number): void {
    for (let i = from; i < to; i++) out[i] = this.update(times[i]!, values[i]!);
  }

  saveState(): DetectorState {
    return { kind: 'level', version: 1, level: encodeNumber(this.level), trend: this.trend, mad: this.mad, n: this.n, offsets: encodeArray(this.offsets), slotCount: encodeArray(this.slotCount) };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'level', 1);
    this.level = decodeNumber(state['level']);
    this.trend = decodeNumber(state['trend']);
    this.mad = decodeNumber(state['mad']);
    this.n = decodeNumber(state['n']);
    decodeInto(this.offsets, state['offsets'], 'level offsets');
    decodeInto(this.slotCount, state['slotCount'], 'level slot counts');
  }
}
