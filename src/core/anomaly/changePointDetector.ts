import type { ComponentDetector, ComponentMethod } from './component';
import type { DetectorState } from './state';
import { decodeNumber, encodeNumber, expectVersion } from './state';
import { frugalStep } from './stats';

export interface ChangePointConfig {
  /** Smoothing of the reference level the CUSUM measures against (small: slow). */
  readonly referenceRate: number;
  /** Allowance per point, in spreads: drifts smaller than this do not accumulate. */
  readonly allowance: number;
  /** Accumulated spreads at which a change is declared and the reference moves to the new level. */
  readonly decision: number;
  /** Smoothing of the short level the reference jumps to after a change. */
  readonly shortRate: number;
}

export const defaultChangePointConfig: ChangePointConfig = { referenceRate: 0.002, allowance: 0.75, decision: 30, shortRate: 0.1 };

/**
 * Change points by a two-sided CUSUM on robustly standardised values: it accumulates small
 * persistent deviations that a spike detector misses, so level shifts (a deploy) and slow climbs
 * (a memory leak) score, and after declaring a change it adopts the new level.
 */
export class ChangePointDetector implements ComponentDetector {
  readonly method: ComponentMethod = 'changePoint';
  baseline = Number.NaN;
  spread = Number.NaN;
  /** Points since the accumulation behind the last score began (its onset). */
  runLength = 0;
  private reference = Number.NaN;
  private mad = 0;
  private short = Number.NaN;
  private up = 0;
  private down = 0;
  private n = 0;

  constructor(private readonly config: ChangePointConfig = defaultChangePointConfig) {}

  update(_time: number, x: number): number {
    const { referenceRate, allowance, decision, shortRate } = this.config;
    if (this.n === 0) {
      this.reference = x;
      this.short = x;
    }
    this.n++;
    const floor = 1e-9 * Math.abs(this.reference) + 1e-12;
    const spread = this.mad > floor ? this.mad : floor;
    this.baseline = this.reference;
    this.spread = this.mad;
    const u = (x - this.reference) / spread;
    const uc = u > 8 ? 8 : u < -8 ? -8 : u;
    this.up = Math.max(0, this.up + uc - allowance);
    this.down = Math.max(0, this.down - uc - allowance);
    const raw = this.up > this.down ? this.up : this.down;
    this.runLength = raw > 0 ? this.runLength + 1 : 0;

    this.short += shortRate * (x - this.short);
    if (raw > decision) {
      this.reference = this.short;
      this.up = 0;
      this.down = 0;
      this.runLength = 0;
    } else {
      this.mad = frugalStep(this.mad, Math.abs(x - this.reference), this.mad, referenceRate * 5);
      this.reference = frugalStep(this.reference, x, this.mad, referenceRate);
    }
    return this.n < 20 ? Number.NaN : raw;
  }

  /** update() over a run with the state in locals: the same arithmetic, so the same scores. */
  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number): void {
    if (from < to && this.n === 0) {
      // The first point sets the reference.
      out[from] = this.update(times[from]!, values[from]!);
      from++;
    }
    const { referenceRate, allowance, decision, shortRate } = this.config;
    const madRate = referenceRate * 5;
    let reference = this.reference;
    let mad = this.mad;
    let short = this.short;
    let up = this.up;
    let down = this.down;
    let n = this.n;
    let runLength = this.runLength;
    let spread = this.spread;
    let baseline = this.baseline;
    for (let i = from; i < to; i++) {
      const x = values[i]!;
      n++;
      const floor = 1e-9 * (reference < 0 ? -reference : reference) + 1e-12;
      const s = mad > floor ? mad : floor;
      baseline = reference;
      spread = mad;
      const u = (x - reference) / s;
      const uc = u > 8 ? 8 : u < -8 ? -8 : u;
      up = up + uc - allowance;
      if (!(up > 0)) up = 0;
      down = down - uc - allowance;
      if (!(down > 0)) down = 0;
      const raw = up > down ? up : down;
      runLength = raw > 0 ? runLength + 1 : 0;
      short += shortRate * (x - short);
      if (raw > decision) {
        reference = short;
        up = 0;
        down = 0;
        runLength = 0;
      } else {
        // frugalStep (stats.ts), inlined: the MAD toward |x - reference|, then the reference toward x.
        const dx = x - reference;
        const adx = dx < 0 ? -dx : dx;
        const d = adx - mad;
        const ad = d < 0 ? -d : d;
        let step = (mad > 0.05 * ad ? mad : 0.05 * ad) * madRate;
        if (step > ad) step = ad;
        mad = d > 0 ? mad + step : d < 0 ? mad - step : mad;
        step = (mad > 0.05 * adx ? mad : 0.05 * adx) * referenceRate;
        if (step > adx) step = adx;
        reference = dx > 0 ? reference + step : dx < 0 ? reference - step : reference;
      }
      out[i] = n < 20 ? Number.NaN : raw;
    }
    this.reference = reference;
    this.mad = mad;
    this.short = short;
    this.up = up;
    this.down = down;
    this.n = n;
    this.runLength = runLength;
    this.spread = spread;
    this.baseline = baseline;
  }

  saveState(): DetectorState {
    return {
      kind: 'changePoint',
      version: 1,
      reference: encodeNumber(this.reference),
      mad: this.mad,
      short: encodeNumber(this.short),
      up: this.up,
      down: this.down,
      n: this.n,
      runLength: this.runLength,
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'changePoint', 1);
    this.reference = decodeNumber(state['reference']);
    this.mad = decodeNumber(state['mad']);
    this.short = decodeNumber(state['short']);
    this.up = decodeNumber(state['up']);
    this.down = decodeNumber(state['down']);
    this.n = decodeNumber(state['n']);
    this.runLength = decodeNumber(state['runLength']);
  }
}
