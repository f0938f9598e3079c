import type { AnomalyMethod, ComponentDetector } from './component';
import type { DetectorState } from './state';
import { decodeInto, decodeNumber, encodeArray, encodeNumber, expectVersion } from './state';
import { HourOfDay } from './stats';

export interface ExtremeConfig {
  /** Points seen before a value beyond the range so far counts as a record... */
  readonly rangePoints: number;
  /** ...and time they must span: a range learnt in the morning does not hold the afternoon's peak. */
  readonly rangeSeconds: number;
  /** How far beyond the range so far (as a share of its width) a value must go to be a record. */
  readonly rangeTolerance: number;
  /** Share of the record deviation forgotten per point, so a record from long ago stops shielding the present. */
  readonly forget: number;
  /** A deviation (in MADs from the hour's median) must reach this to count as a record at all. */
  readonly minDeviation: number;
  /** How many times the standing record deviation a deviation must reach. */
  readonly margin: number;
  /** Points seen before deviation records are trusted. */
  readonly minPoints: number;
}

export const defaultExtremeConfig: ExtremeConfig = { rangePoints: 150, rangeSeconds: 86400, rangeTolerance: 0.03, forget: 0.001, minDeviation: 8, margin: 3, minPoints: 300 };

const slots = 24;

/**
 * Records, which need no calibration: a raw score of 1 or more is an alarm by itself, 0 is
 * nothing. Two kinds:
 * - the series goes beyond the whole range it has shown so far (a new high or low by a margin of
 *   that range), the strongest single sign of an anomaly on NAB (as in HTM's NAB detector);
 * - a point's distance from its hour's median (in MADs) is many times the largest distance the
 *   series has shown lately: a lone spike in a calm series, even inside the range.
 * The same spike in a series that spikes every day is neither.
 */
export class ExtremeDetector implements ComponentDetector {
  readonly method: AnomalyMethod = 'extreme';
  baseline = Number.NaN;
  spread = Number.NaN;
  /** Whether the last record was a new high or low of the whole series (else a deviation record, or none). */
  rangeRecord = false;
  private readonly median = new Float64Array(slots).fill(Number.NaN);
  private readonly hourOfDay = new HourOfDay();
  private mad = 0;
  private record = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  /** Range records count from this time on: rangeSeconds after the first point. */
  private rangeFrom = Number.NaN;
  private n = 0;
  private readonly config: ExtremeConfig;

  constructor(config: ExtremeConfig = defaultExtremeConfig) {
    this.config = config;
  }

  update(time: number, x: number): number {
    const slot = this.hourOfDay.of(time);
    let m = this.median[slot]!;
    if (m !== m) m = this.median[slot] = x;
    const n = ++this.n;
    const { forget, minDeviation, minPoints, margin, rangePoints, rangeTolerance } = this.config;
    if (n === 1) this.rangeFrom = time + this.config.rangeSeconds;
    const floor = 1e-9 * (m < 0 ? -m : m) + 1e-12;
    const spread = this.mad > floor ? this.mad : floor;
    const dx = x - m;
    const adx = dx < 0 ? -dx : dx;
    this.baseline = m;
    this.spread = this.mad;
    let raw = 0;
    // Range records: beyond everything seen, by a share of the range.
    const lo = this.lo;
    const hi = this.hi;
    const slack = rangeTolerance * (hi - lo);
    this.rangeRecord = n > rangePoints && time >= this.rangeFrom && (x > hi + slack || x < lo - slack);
    if (this.rangeRecord) raw = 1 + (x > hi ? x - hi : lo - x) / (hi - lo + floor);
    if (x < lo) this.lo = x;
    if (x > hi) this.hi = x;
    // Deviation records start once the medians and the MAD have settled (a third of the warm-up).
    // (The distance in MADs, adx / spread, is only needed when it beats the record.)
    if (3 * n > minPoints && adx > this.record * spread) {
      const z = adx / spread;
      // Only a record by a wide margin counts: a series that creeps to new highs is not spiking.
      if (n > minPoints && z > minDeviation && z > margin * this.record) {
        const r = this.record > 0 ? z / (margin * this.record) : 1e9;
        if (r > raw) raw = r;
      }
      this.record = z;
    }
    this.record *= 1 - forget;
    // frugalStep (stats.ts), inlined: the series-wide MAD, then the hour's median.
    let mad = this.mad;
    const d = adx - mad;
    let ad = d < 0 ? -d : d;
    let step = (mad > 0.05 * ad ? mad : 0.05 * ad) * 0.01;
    if (step > ad) step = ad;
    mad = d > 0 ? mad + step : mad - step;
    this.mad = mad;
    ad = dx < 0 ? -dx : dx;
    step = (mad > 0.05 * ad ? mad : 0.05 * ad) * 0.05;
    if (step > ad) step = ad;
    this.median[slot] = dx > 0 ? m + step : dx < 0 ? m - step : m;
    return raw;
  }

  /**
   * update() over a run with the state in locals: the same arithmetic, so the same scores. The
   * last point goes through update(), so the fields describe it.
   */
  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number): void {
    if (from >= to) return;
    const last = to - 1;
    const { forget, minDeviation, minPoints, margin, rangePoints, rangeTolerance } = this.config;
    const medians = this.median;
    const hours = this.hourOfDay;
    if (this.n === 0) this.rangeFrom = times[from]! + this.config.rangeSeconds;
    const rangeFrom = this.rangeFrom;
    let mad = this.mad;
    let record = this.record;
    let lo = this.lo;
    let hi = this.hi;
    let n = this.n;
    for (let i = from; i < last; i++) {
      const x = values[i]!;
      const time = times[i]!;
      const slot = hours.of(time);
      let m = medians[slot]!;
      if (m !== m) m = medians[slot] = x;
      n++;
      const floor = 1e-9 * (m < 0 ? -m : m) + 1e-12;
      const dx = x - m;
      const adx = dx < 0 ? -dx : dx;
      const spread = mad > floor ? mad : floor;
      let raw = 0;
      const slack = rangeTolerance * (hi - lo);
      if (n > rangePoints && time >= rangeFrom && (x > hi + slack || x < lo - slack)) raw = 1 + (x > hi ? x - hi : lo - x) / (hi - lo + floor);
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (3 * n > minPoints && adx > record * spread) {
        const z = adx / spread;
        if (n > minPoints && z > minDeviation && z > margin * record) {
          const r = record > 0 ? z / (margin * record) : 1e9;
          if (r > raw) raw = r;
        }
        record = z;
      }
      record *= 1 - forget;
      const d = adx - mad;
      const ad = d < 0 ? -d : d;
      let step = (mad > 0.05 * ad ? mad : 0.05 * ad) * 0.01;
      if (step > ad) step = ad;
      mad = d > 0 ? mad + step : mad - step;
      step = (mad > 0.05 * adx ? mad : 0.05 * adx) * 0.05;
      if (step > adx) step = adx;
      medians[slot] = dx > 0 ? m + step : dx < 0 ? m - step : m;
      out[i] = raw;
    }
    this.mad = mad;
    this.record = record;
    this.lo = lo;
    this.hi = hi;
    this.n = n;
    out[last] = this.update(times[last]!, values[last]!);
  }

  saveState(): DetectorState {
    return {
      kind: 'extreme',
      version: 3,
      median: encodeArray(this.median),
      rangeFrom: encodeNumber(this.rangeFrom),
      mad: this.mad,
      record: encodeNumber(this.record),
      lo: encodeNumber(this.lo),
      hi: encodeNumber(this.hi),
      n: this.n,
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'extreme', 3);
    decodeInto(this.median, state['median'], 'extreme medians');
    this.mad = decodeNumber(state['mad']);
    this.record = decodeNumber(state['record']);
    const lo = decodeNumber(state['lo']);
    const hi = decodeNumber(state['hi']);
    this.lo = Number.isNaN(lo) ? Number.POSITIVE_INFINITY : lo;
    this.hi = Number.isNaN(hi) ? Number.NEGATIVE_INFINITY : hi;
    this.rangeFrom = decodeNumber(state['rangeFrom']);
    this.n = decodeNumber(state['n']);
  }
}
