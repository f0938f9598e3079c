import type { AnomalyMethod, ComponentDetector } from './component';
import type { DetectorState } from './state';
import { decodeInto, decodeNumber, encodeArray, encodeNumber, expectVersion } from './state';
import { HourOfDay, frugalStep } from './stats';

export interface ExtremeConfig {
  /** Share of the record deviation forgotten per point, so a record from long ago stops shielding the present. */
  readonly forget: number;
  /** A deviation (in MADs from the hour's median) must reach this to count as a record at all. */
  readonly minDeviation: number;
  /** How many times the standing record a deviation must reach. */
  readonly margin: number;
  /** Points seen before records are trusted. */
  readonly minPoints: number;
}

export const defaultExtremeConfig: ExtremeConfig = { forget: 0.001, minDeviation: 8, margin: 2, minPoints: 300 };

const slots = 24;

/**
 * Record deviations: how far a point's distance from its hour's median (in MADs) goes past the
 * largest distance the series has shown lately. A one-point spike in a calm series is a record by
 * a wide margin; the same spike in a series that spikes every day is not. Raw score 0 unless a
 * record is broken, so its likelihood reads any record as strong evidence.
 */
export class ExtremeDetector implements ComponentDetector {
  readonly method: AnomalyMethod = 'extreme';
  baseline = Number.NaN;
  spread = Number.NaN;
  private readonly median = new Float64Array(slots).fill(Number.NaN);
  private readonly hourOfDay = new HourOfDay();
  private mad = 0;
  private record = 0;
  private n = 0;

  constructor(private readonly config: ExtremeConfig = defaultExtremeConfig) {}

  update(time: number, x: number): number {
    const slot = this.hourOfDay.of(time);
    let m = this.median[slot]!;
    if (m !== m) m = this.median[slot] = x;
    this.n++;
    const floor = 1e-9 * Math.abs(m) + 1e-12;
    const spread = this.mad > floor ? this.mad : floor;
    const z = Math.abs(x - m) / spread;
    this.baseline = m;
    this.spread = this.mad;
    let raw = 0;
    const { forget, minDeviation, minPoints, margin } = this.config;
    // Records start once the medians and the MAD have settled (a third of the warm-up).
    if (3 * this.n > minPoints && z > this.record) {
      // Only a record by a wide margin counts: a series that creeps to new highs is not spiking.
      if (z > minDeviation && z > margin * this.record) raw = z / this.record - margin;
      this.record = z;
    }
    this.record *= 1 - forget;
    this.mad = frugalStep(this.mad, Math.abs(x - m), this.mad, 0.01);
    this.median[slot] = frugalStep(m, x, this.mad, 0.05);
    return this.n <= minPoints ? Number.NaN : raw;
  }

  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number): void {
    for (let i = from; i < to; i++) out[i] = this.update(times[i]!, values[i]!);
  }

  saveState(): DetectorState {
    return { kind: 'extreme', version: 2, median: encodeArray(this.median), mad: this.mad, record: encodeNumber(this.record), n: this.n };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'extreme', 2);
    decodeInto(this.median, state['median'], 'extreme medians');
    this.mad = decodeNumber(state['mad']);
    this.record = decodeNumber(state['record']);
    this.n = decodeNumber(state['n']);
  }
}
