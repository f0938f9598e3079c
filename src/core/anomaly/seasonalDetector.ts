import type { AnomalyMethod, ComponentDetector } from './component';
import type { DetectorState } from './state';
import { decodeInto, decodeNumber, encodeArray, expectVersion } from './state';
import { frugalStep } from './stats';

export interface SeasonalConfig {
  /** Width of a time-of-day slot. */
  readonly slotSeconds: number;
  /** Step of the per-slot streaming median and MAD (share of the spread per observation). */
  readonly rate: number;
  /** Observations a slot needs before its own baseline is trusted. */
  readonly minCount: number;
  /** Observations an hour-of-week slot needs before it replaces the hour-of-day slot. */
  readonly minWeekCount: number;
}

export const defaultSeasonalConfig: SeasonalConfig = { slotSeconds: 3600, rate: 0.05, minCount: 6, minWeekCount: 24 };

const daySeconds = 86400;

/**
 * A robust seasonal baseline: a streaming median and MAD per time-of-day slot, and per
 * time-of-week slot once a slot has seen enough weeks ("Tuesday 14:00"). Scores the distance to
 * the slot's median in slot MADs.
 */
export class SeasonalDetector implements ComponentDetector {
  readonly method: AnomalyMethod = 'seasonal';
  baseline = Number.NaN;
  spread = Number.NaN;
  /** The slot the last baseline came from, for explanations: day-of-week (0 Sunday) or -1, and the hour. */
  lastWeekday = -1;
  lastSlotStart = 0;
  /** Whether the last baseline came from a slot with enough history (else it is series-wide). */
  trusted = false;
  private readonly daySlots: number;
  private readonly dayMedian: Float64Array;
  private readonly dayMad: Float64Array;
  private readonly dayCount: Float64Array;
  private readonly weekMedian: Float64Array;
  private readonly weekMad: Float64Array;
  private readonly weekCount: Float64Array;
  /** A series-wide spread, the floor of slot spreads (a slot that saw a flat stretch is not "exact"). */
  private globalMad = 0;
  private globalMedian = Number.NaN;
  private n = 0;
  private slotFrom = Number.POSITIVE_INFINITY;
  private slotTo = Number.NEGATIVE_INFINITY;
  private slot = 0;
  private weekSlot = 0;
  private weekday = 0;

  constructor(private readonly config: SeasonalConfig = defaultSeasonalConfig) {
    this.daySlots = Math.max(1, Math.round(daySeconds / config.slotSeconds));
    this.dayMedian = new Float64Array(this.daySlots).fill(Number.NaN);
    this.dayMad = new Float64Array(this.daySlots);
    this.dayCount = new Float64Array(this.daySlots);
    this.weekMedian = new Float64Array(this.daySlots * 7).fill(Number.NaN);
    this.weekMad = new Float64Array(this.daySlots * 7);
    this.weekCount = new Float64Array(this.daySlots * 7);
  }

  update(time: number, x: number): number {
    const { rate, minCount, minWeekCount } = this.config;
    // Consecutive points mostly share a slot: only a point past the cached slot pays for the division.
    if (!(time >= this.slotFrom && time < this.slotTo)) this.locate(time);
    const slot = this.slot;
    const weekSlot = this.weekSlot;
    const weekday = this.weekday;

    if (this.n === 0) this.globalMedian = x;
    let raw = Number.NaN;
    const useWeek = this.weekCount[weekSlot]! >= minWeekCount;
    const median = useWeek ? this.weekMedian[weekSlot]! : this.dayMedian[slot]!;
    const mad = useWeek ? this.weekMad[weekSlot]! : this.dayMad[slot]!;
    const count = this.dayCount[slot]!;
    if (count >= minCount) {
      const floor = 0.25 * this.globalMad + 1e-9 * Math.abs(median) + 1e-12;
      const spread = mad > floor ? mad : floor;
      raw = Math.abs(x - median) / spread;
      this.baseline = median;
      this.spread = spread;
      this.lastWeekday = useWeek ? weekday : -1;
      this.trusted = true;
    } else {
      this.trusted = false;
      this.baseline = this.globalMedian;
      this.spread = this.globalMad;
      this.lastWeekday = -1;
    }

    this.learn(this.dayMedian, this.dayMad, this.dayCount, slot, x, rate);
    this.learn(this.weekMedian, this.weekMad, this.weekCount, weekSlot, x, rate);
    this.globalMad = frugalStep(this.globalMad, Math.abs(x - this.globalMedian), this.globalMad, 0.01);
    this.globalMedian = frugalStep(this.globalMedian, x, this.globalMad, 0.01);
    this.n++;
    return raw;
  }

  private locate(time: number): void {
    const slotSeconds = this.config.slotSeconds;
    const dayNumber = Math.floor(time / daySeconds);
    const secondOfDay = time - dayNumber * daySeconds;
    const slot = Math.min(this.daySlots - 1, Math.floor(secondOfDay / slotSeconds));
    // 1970-01-01 was a Thursday (4 with Sunday as 0).
    this.weekday = (((dayNumber + 4) % 7) + 7) % 7;
    this.slot = slot;
    this.weekSlot = this.weekday * this.daySlots + slot;
    this.lastSlotStart = slot * slotSeconds;
    this.slotFrom = dayNumber * daySeconds + slot * slotSeconds;
    this.slotTo = slot === this.daySlots - 1 ? (dayNumber + 1) * daySeconds : this.slotFrom + slotSeconds;
  }

  private learn(median: Float64Array, mad: Float64Array, count: Float64Array, k: number, x: number, rate: number): void {
    const c = ++count[k]!;
    const m = median[k]!;
    if (c === 1) {
      median[k] = x;
      mad[k] = 0;
      return;
    }
    // A mean while the slot is young (a median of 3 points is noise), then frugal median steps.
    if (c <= 8) {
      mad[k] = mad[k]! + (Math.abs(x - m) - mad[k]!) / (c - 1);
      median[k] = m + (x - m) / c;
      return;
    }
    mad[k] = frugalStep(mad[k]!, Math.abs(x - m), mad[k]!, rate);
    median[k] = frugalStep(m, x, mad[k]!, rate);
  }

  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number): void {
    for (let i = from; i < to; i++) out[i] = this.update(times[i]!, values[i]!);
  }

  saveState(): DetectorState {
    return {
      kind: 'seasonal',
      version: 1,
      n: this.n,
      globalMad: this.globalMad,
      globalMedian: this.globalMedian,
      dayMedian: encodeArray(this.dayMedian),
      dayMad: encodeArray(this.dayMad),
      dayCount: encodeArray(this.dayCount),
      weekMedian: encodeArray(this.weekMedian),
      weekMad: encodeArray(this.weekMad),
      weekCount: encodeArray(this.weekCount),
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'seasonal', 1);
    this.n = decodeNumber(state['n']);
    this.globalMad = decodeNumber(state['globalMad']);
    this.globalMedian = decodeNumber(state['globalMedian']);
    decodeInto(this.dayMedian, state['dayMedian'], 'dayMedian');
    decodeInto(this.dayMad, state['dayMad'], 'dayMad');
    decodeInto(this.dayCount, state['dayCount'], 'dayCount');
    decodeInto(this.weekMedian, state['weekMedian'], 'weekMedian');
    decodeInto(this.weekMad, state['weekMad'], 'weekMad');
    decodeInto(this.weekCount, state['weekCount'], 'weekCount');
  }
}
