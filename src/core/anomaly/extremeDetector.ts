import type { AnomalyMethod, ComponentDetector } from './component';
import type { DetectorState } from './state';
import { decodeNumber, encodeNumber, expectVersion } from './state';
import { frugalStep } from './stats';

export interface ExtremeConfig {
  /** Share of the gap to the median that the remembered extremes give back per point (forgetting). */
  readonly forget: number;
  /** Points seen before the extremes are trusted. */
  readonly minPoints: number;
}

export const defaultExtremeConfig: ExtremeConfig = { forget: 0.0005, minPoints: 30 };

/**
 * Records: how far a value goes past the highest (or lowest) value seen so far, in robust
 * spreads. The remembered extremes slowly relax toward the median, so a record from long ago
 * stops shielding the present, and memory is two numbers.
 */
export class ExtremeDetector implements ComponentDetector {
  readonly method: AnomalyMethod = 'extreme';
  baseline = Number.NaN;
  spread = Number.NaN;
  private high = Number.NaN;
  private low = Number.NaN;
  private median = Number.NaN;
  private mad = 0;
  private n = 0;

  constructor(private readonly config: ExtremeConfig = defaultExtremeConfig) {}

  update(_time: number, x: number): number {
    if (this.n === 0) {
      this.high = x;
      this.low = x;
      this.median = x;
    }
    this.n++;
    const floor = 1e-9 * Math.abs(this.median) + 1e-12;
    const spread = this.mad > floor ? this.mad : floor;
    let raw = 0;
    if (x > this.high) {
      raw = (x - this.high) / spread;
      this.baseline = this.high;
      this.high = x;
    } else if (x < this.low) {
      raw = (this.low - x) / spread;
      this.baseline = this.low;
      this.low = x;
    } else {
      this.baseline = this.median;
    }
    this.spread = this.mad;
    const f = this.config.forget;
    this.high -= f * (this.high - this.median);
    this.low -= f * (this.low - this.median);
    this.mad = frugalStep(this.mad, Math.abs(x - this.median), this.mad, 0.01);
    this.median = frugalStep(this.median, x, this.mad, 0.01);
    return this.n <= this.config.minPoints ? Number.NaN : raw;
  }

  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number): void {
    for (let i = from; i < to; i++) out[i] = this.update(times[i]!, values[i]!);
  }

  saveState(): DetectorState {
    return { kind: 'extreme', version: 1, high: encodeNumber(this.high), low: encodeNumber(this.low), median: encodeNumber(this.median), mad: this.mad, n: this.n };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'extreme', 1);
    this.high = decodeNumber(state['high']);
    this.low = decodeNumber(state['low']);
    this.median = decodeNumber(state['median']);
    this.mad = decodeNumber(state['mad']);
    this.n = decodeNumber(state['n']);
  }
}
