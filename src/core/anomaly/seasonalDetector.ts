import type { ComponentDetector, ComponentMethod } from './component';
import type { DetectorState } from './state';
import { decodeInto, decodeNumber, encodeArray, encodeNumber, expectVersion } from './state';

export interface SeasonalConfig {
  /** Width of a time-of-day slot. */
  readonly slotSeconds: number;
  /** Step of the per-slot streaming median and MAD (share of the spread per observation). */
  readonly rate: number;
  /** Observations a slot needs before its own baseline is trusted. */
  readonly minCount: number;
  /** Observations an hour-of-week slot needs before it replaces the hour-of-day slot... */
  readonly minWeekCount: number;
  /** ...and the number of different weeks they must come from. */
  readonly minWeeks: number;
  /** Share of the series-wide MAD below which a slot's MAD is not believed (a slot that saw a flat stretch is not "exact"). */
  readonly madFloor: number;
  readonly records: RecordConfig;
}

/**
 * Records, which need no calibration: a record strength of 1 or more is an alarm by itself.
 * - A new high or low: the series goes beyond the whole range it has shown so far, by a share of
 *   that range (HTM's NAB detector had the same "spatial" rule). The strongest single sign of an
 *   anomaly on NAB: most labelled anomalies take a series where it has never been.
 * - A deviation record: a point many MADs from its usual for the hour, and several times the
 *   largest such distance of the recent past. A lone spike in a calm series, even inside the range;
 *   the same spike in a series that spikes every day is not one.
 */
export interface RecordConfig {
  /** Points seen before a value beyond the range so far counts as a record... */
  readonly rangePoints: number;
  /** ...and time they must span: a range learnt in the morning does not hold the afternoon's peak. */
  readonly rangeSeconds: number;
  /** How far beyond the range so far (as a share of its width) a value must go. */
  readonly rangeTolerance: number;
  /** A deviation (in MADs from the slot's median) must reach this to be a record at all... */
  readonly minDeviation: number;
  /** ...and this many times the largest recent deviation. */
  readonly margin: number;
  /** Share of that largest deviation forgotten per point, so one from long ago stops shielding the present. */
  readonly forget: number;
  /** Points seen before deviation records count (a third of them before they are tracked). */
  readonly minPoints: number;
}

export const defaultRecordConfig: RecordConfig = { rangePoints: 150, rangeSeconds: 86400, rangeTolerance: 0.03, minDeviation: 8, margin: 3, forget: 0.001, minPoints: 300 };

export const defaultSeasonalConfig: SeasonalConfig = { slotSeconds: 3600, rate: 0.05, minCount: 6, minWeekCount: 24, minWeeks: 2, madFloor: 0.1, records: defaultRecordConfig };

const daySeconds = 86400;
/** Step of the series-wide median and MAD. */
const globalRate = 0.01;
/** A slot averages (mean and mean absolute deviation) its first observations, then takes frugal median steps. */
const warmObservations = 8;

/**
 * A robust seasonal baseline: a streaming median and MAD per time-of-day slot, and per
 * time-of-week slot once that slot has enough history from enough weeks ("Tuesday 14:00").
 * Scores the distance to the slot's median in slot MADs. Frugal (streaming) quantiles: O(1) per
 * point, a few hundred numbers per series, and one outlier barely moves them.
 */
export class SeasonalDetector implements ComponentDetector {
  readonly method: ComponentMethod = 'seasonal';
  /** Record strength of the last point: 1 or more for a record (see RecordConfig), else 0. */
  lastRecord = 0;
  /** Whether the last record was a new high or low of the whole series (else a deviation record, or none). */
  rangeRecord = false;
  baseline = Number.NaN;
  spread = Number.NaN;
  /** The slot the last baseline came from, for explanations: day-of-week (0 Sunday) or -1, and the hour. */
  lastWeekday = -1;
  lastSlotStart = 0;
  /** How many different days the last baseline's slot has seen (a "usual for 14:00" needs a few). */
  lastSlotDays = 0;
  /** Whether the last baseline came from a slot with enough history (else it is series-wide). */
  trusted = false;
  /** Signed distance of the last point from the baseline, in spreads (MADs). */
  deviation = 0;
  private readonly daySlots: number;
  private readonly slotSeconds: number;
  private readonly rate: number;
  private readonly minCount: number;
  private readonly minWeekCount: number;
  private readonly minWeeks: number;
  private readonly madFloor: number;
  private readonly dayMedian: Float64Array;
  private readonly dayMad: Float64Array;
  /** Per slot: observations, then different days (or weeks) seen. */
  private readonly dayCount: Float64Array;
  private readonly dayVisits: Float64Array;
  private readonly weekMedian: Float64Array;
  private readonly weekMad: Float64Array;
  private readonly weekCount: Float64Array;
  private readonly weekVisits: Float64Array;
  private globalMad = 0;
  private globalMedian = Number.NaN;
  private readonly recordConfig: RecordConfig;
  /** The range so far, when range records start counting, and the decaying largest deviation. */
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private rangeFrom = Number.NaN;
  private record = 0;
  private n = 0;
  private slotFrom = Number.POSITIVE_INFINITY;
  private slotTo = Number.NEGATIVE_INFINITY;
  private slot = 0;
  private weekSlot = 0;
  private weekday = 0;

  constructor(config: SeasonalConfig = defaultSeasonalConfig) {
    this.slotSeconds = config.slotSeconds;
    this.rate = config.rate;
    this.minCount = config.minCount;
    this.minWeekCount = config.minWeekCount;
    this.minWeeks = config.minWeeks;
    this.madFloor = config.madFloor;
    this.recordConfig = config.records;
    this.daySlots = Math.max(1, Math.round(daySeconds / config.slotSeconds));
    this.dayMedian = new Float64Array(this.daySlots);
    this.dayMad = new Float64Array(this.daySlots);
    this.dayCount = new Float64Array(this.daySlots);
    this.dayVisits = new Float64Array(this.daySlots);
    this.weekMedian = new Float64Array(this.daySlots * 7);
    this.weekMad = new Float64Array(this.daySlots * 7);
    this.weekCount = new Float64Array(this.daySlots * 7);
    this.weekVisits = new Float64Array(this.daySlots * 7);
  }

  update(time: number, x: number): number {
    if (!(time >= this.slotFrom && time < this.slotTo)) this.locate(time);
    const slot = this.slot;
    const weekSlot = this.weekSlot;
    if (this.n === 0) this.globalMedian = x;
    const useWeek = this.weekCount[weekSlot]! >= this.minWeekCount && this.weekVisits[weekSlot]! >= this.minWeeks;
    const median = useWeek ? this.weekMedian[weekSlot]! : this.dayMedian[slot]!;
    const mad = useWeek ? this.weekMad[weekSlot]! : this.dayMad[slot]!;
    let raw = Number.NaN;
    if (this.dayCount[slot]! >= this.minCount) {
      const floor = this.madFloor * this.globalMad + 1e-9 * Math.abs(median) + 1e-12;
      const spread = mad > floor ? mad : floor;
      const d = (x - median) / spread;
      raw = d < 0 ? -d : d;
      this.deviation = d;
      this.baseline = median;
      this.spread = spread;
      this.lastWeekday = useWeek ? this.weekday : -1;
      this.lastSlotDays = useWeek ? this.weekVisits[weekSlot]! : this.dayVisits[slot]!;
      this.trusted = true;
    } else {
      this.trusted = false;
      this.baseline = this.globalMedian;
      this.spread = this.globalMad;
      this.lastWeekday = -1;
      this.lastSlotDays = 0;
      const floor = 1e-9 * Math.abs(this.globalMedian) + 1e-12;
      this.deviation = (x - this.globalMedian) / (this.globalMad > floor ? this.globalMad : floor);
    }
    this.lastRecord = this.recordOf(time, x, raw);
    learn(this.dayMedian, this.dayMad, this.dayCount, slot, x, this.rate);
    learn(this.weekMedian, this.weekMad, this.weekCount, weekSlot, x, this.rate);
    this.learnGlobal(x);
    this.n++;
    return raw;
  }

  /** The record strength of a point (raw: its distance from the slot's median in MADs, NaN before the slot is trusted), then learns the range and the record. */
  private recordOf(time: number, x: number, raw: number): number {
    const { rangePoints, rangeSeconds, rangeTolerance, minDeviation, margin, forget, minPoints } = this.recordConfig;
    const seen = this.n + 1;
    if (seen === 1) this.rangeFrom = time + rangeSeconds;
    const lo = this.lo;
    const hi = this.hi;
    const slack = rangeTolerance * (hi - lo);
    let strength = 0;
    this.rangeRecord = seen > rangePoints && time >= this.rangeFrom && (x > hi + slack || x < lo - slack);
    if (this.rangeRecord) strength = 1 + (x > hi ? x - hi : lo - x) / (hi - lo + 1e-12);
    if (x < lo) this.lo = x;
    if (x > hi) this.hi = x;
    let record = this.record;
    if (raw > record && 3 * seen > minPoints) {
      if (seen > minPoints && raw > minDeviation && raw > margin * record) {
        const r = record > 0 ? raw / (margin * record) : 1e9;
        if (r > strength) strength = r;
      }
      record = raw;
    }
    this.record = record * (1 - forget);
    return strength;
  }

  private learnGlobal(x: number): void {
    let gMad = this.globalMad;
    const gMedian = this.globalMedian;
    // frugalStep, inlined: the MAD toward |x - median|, then the median toward x.
    let d = (x > gMedian ? x - gMedian : gMedian - x) - gMad;
    let ad = d < 0 ? -d : d;
    let step = gMad > 0.05 * ad ? gMad * globalRate : 0.05 * ad * globalRate;
    if (step > ad) step = ad;
    gMad = d > 0 ? gMad + step : gMad - step;
    d = x - gMedian;
    ad = d < 0 ? -d : d;
    step = gMad > 0.05 * ad ? gMad * globalRate : 0.05 * ad * globalRate;
    if (step > ad) step = ad;
    this.globalMad = gMad;
    this.globalMedian = d > 0 ? gMedian + step : d < 0 ? gMedian - step : gMedian;
  }

  private locate(time: number): void {
    const slotSeconds = this.slotSeconds;
    const dayNumber = Math.floor(time / daySeconds);
    const secondOfDay = time - dayNumber * daySeconds;
    const slot = Math.min(this.daySlots - 1, Math.floor(secondOfDay / slotSeconds));
    // 1970-01-01 was a Thursday (4 with Sunday as 0).
    this.weekday = (((dayNumber + 4) % 7) + 7) % 7;
    this.slot = slot;
    this.weekSlot = this.weekday * this.daySlots + slot;
    this.lastSlotStart = slot * slotSeconds;
    const from = dayNumber * daySeconds + slot * slotSeconds;
    // A new visit of the slot (a new day for the hour, a new week for the weekday-hour); points
    // arrive in time order, so a slot is only entered afresh on another day.
    if (from !== this.slotFrom) {
      this.dayVisits[slot]!++;
      this.weekVisits[this.weekSlot]!++;
    }
    this.slotFrom = from;
    this.slotTo = slot === this.daySlots - 1 ? (dayNumber + 1) * daySeconds : from + slotSeconds;
  }

  /**
   * update() over a run, with the state in locals: the same arithmetic in the same order (so the
   * same scores), without the per-point field traffic. The last point goes through update(), so
   * the explanation fields describe it.
   */
  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number, records?: Float64Array): void {
    if (from >= to) return;
    // The first point of a series sets the series-wide median and the start of range records.
    if (this.n === 0) {
      out[from] = this.update(times[from]!, values[from]!);
      if (records) records[from] = this.lastRecord;
      from++;
    }
    const last = to - 1;
    const dayMedian = this.dayMedian;
    const dayMad = this.dayMad;
    const dayCount = this.dayCount;
    const weekMedian = this.weekMedian;
    const weekMad = this.weekMad;
    const weekCount = this.weekCount;
    const weekVisits = this.weekVisits;
    const rate = this.rate;
    const minCount = this.minCount;
    const minWeekCount = this.minWeekCount;
    const minWeeks = this.minWeeks;
    const madFloor = this.madFloor;
    const { rangePoints, rangeTolerance, minDeviation, margin, forget, minPoints } = this.recordConfig;
    const rangeFrom = this.rangeFrom;
    let lo = this.lo;
    let hi = this.hi;
    let record = this.record;
    let gMad = this.globalMad;
    let gMedian = this.globalMedian;
    let n = this.n;
    let slotFrom = this.slotFrom;
    let slotTo = this.slotTo;
    let slot = this.slot;
    let weekSlot = this.weekSlot;
    for (let i = from; i < last; i++) {
      const time = times[i]!;
      const x = values[i]!;
      if (!(time >= slotFrom && time < slotTo)) {
        this.locate(time);
        slotFrom = this.slotFrom;
        slotTo = this.slotTo;
        slot = this.slot;
        weekSlot = this.weekSlot;
      }
      const useWeek = weekCount[weekSlot]! >= minWeekCount && weekVisits[weekSlot]! >= minWeeks;
      let raw = Number.NaN;
      if (dayCount[slot]! >= minCount) {
        const median = useWeek ? weekMedian[weekSlot]! : dayMedian[slot]!;
        const mad = useWeek ? weekMad[weekSlot]! : dayMad[slot]!;
        const floor = madFloor * gMad + 1e-9 * (median < 0 ? -median : median) + 1e-12;
        const d = (x - median) / (mad > floor ? mad : floor);
        raw = d < 0 ? -d : d;
      }
      out[i] = raw;
      // recordOf(), inlined.
      const seen = n + 1;
      const slack = rangeTolerance * (hi - lo);
      let strength = 0;
      if (seen > rangePoints && time >= rangeFrom && (x > hi + slack || x < lo - slack)) strength = 1 + (x > hi ? x - hi : lo - x) / (hi - lo + 1e-12);
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (raw > record && 3 * seen > minPoints) {
        if (seen > minPoints && raw > minDeviation && raw > margin * record) {
          const r = record > 0 ? raw / (margin * record) : 1e9;
          if (r > strength) strength = r;
        }
        record = raw;
      }
      record = record * (1 - forget);
      if (records) records[i] = strength;
      learn(dayMedian, dayMad, dayCount, slot, x, rate);
      learn(weekMedian, weekMad, weekCount, weekSlot, x, rate);
      // frugalStep, inlined: the series-wide MAD toward |x - median|, then the median toward x.
      let d = (x > gMedian ? x - gMedian : gMedian - x) - gMad;
      let ad = d < 0 ? -d : d;
      let step = gMad > 0.05 * ad ? gMad * globalRate : 0.05 * ad * globalRate;
      if (step > ad) step = ad;
      gMad = d > 0 ? gMad + step : gMad - step;
      d = x - gMedian;
      ad = d < 0 ? -d : d;
      step = gMad > 0.05 * ad ? gMad * globalRate : 0.05 * ad * globalRate;
      if (step > ad) step = ad;
      gMedian = d > 0 ? gMedian + step : d < 0 ? gMedian - step : gMedian;
      n++;
    }
    this.n = n;
    this.globalMad = gMad;
    this.globalMedian = gMedian;
    this.lo = lo;
    this.hi = hi;
    this.record = record;
    if (last >= from) {
      out[last] = this.update(times[last]!, values[last]!);
      if (records) records[last] = this.lastRecord;
    }
  }

  saveState(): DetectorState {
    return {
      kind: 'seasonal',
      version: 3,
      n: this.n,
      globalMad: this.globalMad,
      globalMedian: this.globalMedian,
      slotFrom: Number.isFinite(this.slotFrom) ? this.slotFrom : null,
      dayMedian: encodeArray(this.dayMedian),
      dayMad: encodeArray(this.dayMad),
      dayCount: encodeArray(this.dayCount),
      dayVisits: encodeArray(this.dayVisits),
      weekMedian: encodeArray(this.weekMedian),
      weekMad: encodeArray(this.weekMad),
      weekCount: encodeArray(this.weekCount),
      weekVisits: encodeArray(this.weekVisits),
      lo: encodeNumber(this.lo),
      hi: encodeNumber(this.hi),
      rangeFrom: encodeNumber(this.rangeFrom),
      record: this.record,
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'seasonal', 3);
    this.n = decodeNumber(state['n']);
    this.globalMad = decodeNumber(state['globalMad']);
    this.globalMedian = decodeNumber(state['globalMedian']);
    const from = decodeNumber(state['slotFrom']);
    // The next point locates its slot afresh; remembering where the last one was keeps the visit count exact.
    this.slotFrom = Number.isNaN(from) ? Number.POSITIVE_INFINITY : from;
    this.slotTo = Number.NEGATIVE_INFINITY;
    decodeInto(this.dayMedian, state['dayMedian'], 'dayMedian');
    decodeInto(this.dayMad, state['dayMad'], 'dayMad');
    decodeInto(this.dayCount, state['dayCount'], 'dayCount');
    decodeInto(this.dayVisits, state['dayVisits'], 'dayVisits');
    decodeInto(this.weekMedian, state['weekMedian'], 'weekMedian');
    decodeInto(this.weekMad, state['weekMad'], 'weekMad');
    decodeInto(this.weekCount, state['weekCount'], 'weekCount');
    decodeInto(this.weekVisits, state['weekVisits'], 'weekVisits');
    const lo = decodeNumber(state['lo']);
    const hi = decodeNumber(state['hi']);
    this.lo = Number.isNaN(lo) ? Number.POSITIVE_INFINITY : lo;
    this.hi = Number.isNaN(hi) ? Number.NEGATIVE_INFINITY : hi;
    this.rangeFrom = decodeNumber(state['rangeFrom']);
    this.record = decodeNumber(state['record']);
  }
}

/**
 * One observation of a slot: a mean and mean absolute deviation while the slot is young (a median
 * of 3 points is noise), then frugal median steps (stats.ts frugalStep, inlined: this runs twice
 * per point).
 */
function learn(median: Float64Array, mad: Float64Array, count: Float64Array, k: number, x: number, rate: number): void {
  const c = ++count[k]!;
  const m = median[k]!;
  if (c === 1) {
    median[k] = x;
    mad[k] = 0;
    return;
  }
  const dx = x - m;
  const adx = dx < 0 ? -dx : dx;
  let s = mad[k]!;
  if (c <= warmObservations) {
    mad[k] = s + (adx - s) / (c - 1);
    median[k] = m + dx / c;
    return;
  }
  let d = adx - s;
  let ad = d < 0 ? -d : d;
  let step = (s > 0.05 * ad ? s : 0.05 * ad) * rate;
  if (step > ad) step = ad;
  s = d > 0 ? s + step : d < 0 ? s - step : s;
  mad[k] = s;
  d = dx;
  ad = adx;
  step = (s > 0.05 * ad ? s : 0.05 * ad) * rate;
  if (step > ad) step = ad;
  median[k] = d > 0 ? m + step : d < 0 ? m - step : m;
}
