import type { Anomaly, AnomalyKind } from './anomaly';
import type { AnomalyMethod } from './component';
import { explain, farDeviation } from './explain';
import type { DetectorState } from './state';
import { decodeNumber, encodeNumber, expectVersion } from './state';

/** What the ensemble knew about one point, as plain numbers (no allocation per point). */
export interface PointInsight {
  time: number;
  value: number;
  /** Alarm-gated score (what thresholds see). */
  score: number;
  /** Ungated ensemble score: how anomalous the point looks. */
  strength: number;
  method: AnomalyMethod | undefined;
  baseline: number;
  spread: number;
  /** Seasonal slot of the baseline: weekday (-1: any day) and start second of the day, or NaN. */
  slotWeekday: number;
  slotStart: number;
}

export interface SpanOptions {
  readonly seriesKey: string;
  readonly name: string;
  readonly unit?: string;
  /** Score that opens an anomaly. */
  readonly alarmLevel: number;
  /** Strength that keeps it open, and marks its onset when the strength first rose past it. */
  readonly holdLevel: number;
  /** Points below holdLevel after which the anomaly is over. */
  readonly closeAfterPoints: number;
}

/** A sustained span this long whose distance to the baseline has grown `trendGrowth` times since its start is a trend. */
const longSpanPoints = 12;
const trendGrowth = 2;
/** A point this many MADs off its baseline counts as deviating. */
const deviatingMads = 3;
/** This many deviating points on one side make a level shift rather than a spike. */
const sustainedPoints = 6;
/** Deviations are reported up to this many MADs (a flat baseline has a MAD of 0): "far above". */
const maxDeviation = farDeviation;

const noAnomalies: Anomaly[] = [];

/** Distance from the baseline in MADs, finite. */
function deviationOf(p: Readonly<PointInsight>): number {
  if (p.value === p.baseline || p.value !== p.value || p.baseline !== p.baseline) return 0;
  const d = p.spread > 0 ? (p.value - p.baseline) / p.spread : p.value > p.baseline ? maxDeviation : -maxDeviation;
  return d > maxDeviation ? maxDeviation : d < -maxDeviation ? -maxDeviation : d;
}

/**
 * Turns per-point scores into anomalies: a span opens at an alarm, with its onset where the
 * strength first rose past the hold level, follows its peak, and ends once the strength has
 * stayed below the hold level for a few points. Streaming: it sees each point once.
 */
export class SpanTracker {
  private riseStart = Number.NaN;
  private open = false;
  private onset = 0;
  private lastAbove = 0;
  /** The last point of the span that was itself off its baseline (deviatingMads or more), NaN for none. */
  private lastDeviating = Number.NaN;
  private below = 0;
  private points = 0;
  /** The smoothed distance to the baseline `sustainedPoints` points into the span (NaN before). */
  private earlyGap = Number.NaN;
  /** The smoothed distance to the baseline at the latest point. */
  private previousGap = Number.NaN;
  private peak: PointInsight | undefined;
  private peakStrength = 0;
  /** Points of the span at least `deviatingMads` above (below) their baseline. */
  private deviatingUp = 0;
  private deviatingDown = 0;
  private finished: Anomaly[] = [];

  constructor(private readonly options: SpanOptions) {}

  observe(p: Readonly<PointInsight>): void {
    const { alarmLevel, holdLevel, closeAfterPoints } = this.options;
    if (p.strength >= holdLevel) {
      if (Number.isNaN(this.riseStart)) this.riseStart = p.time;
    } else {
      this.riseStart = Number.NaN;
    }
    if (!this.open) {
      if (p.score >= alarmLevel) {
        this.open = true;
        this.onset = Number.isNaN(this.riseStart) ? p.time : this.riseStart;
        this.lastAbove = p.time;
        this.below = 0;
        this.points = 1;
        this.earlyGap = Number.NaN;
        this.previousGap = p.value - p.baseline;
        this.peak = { ...p };
        this.peakStrength = p.strength;
        const d = deviationOf(p);
        this.deviatingUp = d >= deviatingMads ? 1 : 0;
        this.deviatingDown = d <= -deviatingMads ? 1 : 0;
        this.lastDeviating = Math.abs(d) >= deviatingMads ? p.time : Number.NaN;
      }
      return;
    }
    // The distance to the baseline, not the value: a daily rhythm is not a trend. Smoothed, so
    // that noise neither fakes nor hides growth. A step is at its full distance a few points in;
    // a climb (a leak) keeps moving away long after.
    const raw = p.value - p.baseline;
    if (raw === raw) {
      this.previousGap = this.previousGap === this.previousGap ? this.previousGap + 0.2 * (raw - this.previousGap) : raw;
    }
    if (this.earlyGap !== this.earlyGap && this.points + 1 >= sustainedPoints) this.earlyGap = this.previousGap;
    if (p.strength >= holdLevel || p.score >= alarmLevel) {
      this.lastAbove = p.time;
      this.below = 0;
      this.points++;
      const d = deviationOf(p);
      if (Math.abs(d) >= deviatingMads) {
        if (d > 0) this.deviatingUp++;
        else this.deviatingDown++;
        this.lastDeviating = p.time;
      }
      // The peak is the most extreme value of the span, not the point of most evidence: evidence
      // is averaged over recent points and peaks a little after a spike.
      if (Math.abs(d) > Math.abs(deviationOf(this.peak!))) this.peak = { ...p };
      if (p.strength > this.peakStrength) this.peakStrength = p.strength;
    } else if (++this.below >= closeAfterPoints) {
      // The evidence is averaged over recent points and outlasts the event: the anomaly ended with
      // its last point that was off its baseline, when it had any.
      this.finished.push(this.build(Number.isNaN(this.lastDeviating) ? this.lastAbove : this.lastDeviating));
      this.open = false;
      this.peak = undefined;
    }
  }

  /** The anomaly still going on, if any (end undefined). */
  current(): Anomaly | undefined {
    return this.open ? this.build(undefined) : undefined;
  }

  /** Anomalies that ended since the last call. */
  takeFinished(): Anomaly[] {
    // Called after every point: hand out the shared empty list when there is nothing new.
    if (this.finished.length === 0) return noAnomalies;
    const out = this.finished;
    this.finished = [];
    return out;
  }

  private build(end: number | undefined): Anomaly {
    const p = this.peak!;
    const deviation = deviationOf(p);
    const method: AnomalyMethod = p.method ?? 'level';
    const kind = this.kindOf(method, deviation);
    const slot = p.slotStart === p.slotStart ? { weekday: p.slotWeekday, startSeconds: p.slotStart } : undefined;
    const anomaly: Anomaly = {
      seriesKey: this.options.seriesKey,
      kind,
      onset: this.onset,
      peak: p.time,
      ...(end === undefined ? {} : { end }),
      score: this.peakStrength > 1 ? 1 : this.peakStrength,
      method,
      baseline: p.baseline,
      value: p.value,
      deviation,
      explanation: explain({ name: this.options.name, ...(this.options.unit ? { unit: this.options.unit } : {}), kind, value: p.value, baseline: p.baseline, deviation, onset: this.onset, ...(slot ? { slot } : {}), ongoing: end === undefined }),
    };
    return anomaly;
  }

  private kindOf(method: AnomalyMethod, deviation: number): AnomalyKind {
    // Many points off their baseline on one side: the series moved, it did not just jump once.
    const sustained = Math.max(this.deviatingUp, this.deviatingDown) >= sustainedPoints;
    // ...and it kept moving further away, to twice its early distance or more: a climb, not a step.
    const early = this.earlyGap;
    const now = this.previousGap;
    const drifting = this.points >= longSpanPoints && early === early && now === now && early * now > 0 && Math.abs(now) >= trendGrowth * Math.abs(early);
    if (sustained && drifting) return 'trend';
    if (sustained || method === 'changePoint') return 'levelShift';
    if ((method === 'context' || method === 'spectralResidual') && Math.abs(deviation) < 3) return 'pattern';
    return deviation >= 0 ? 'spike' : 'dip';
  }

  saveState(): DetectorState {
    const p = this.peak;
    return {
      kind: 'spans',
      version: 2,
      riseStart: encodeNumber(this.riseStart),
      open: this.open,
      onset: this.onset,
      lastAbove: this.lastAbove,
      lastDeviating: encodeNumber(this.lastDeviating),
      below: this.below,
      points: this.points,
      earlyGap: encodeNumber(this.earlyGap),
      peakStrength: this.peakStrength,
      deviatingUp: this.deviatingUp,
      deviatingDown: this.deviatingDown,
      previousGap: encodeNumber(this.previousGap),
      peak: p
        ? {
            time: p.time,
            value: encodeNumber(p.value),
            score: p.score,
            strength: p.strength,
            method: p.method ?? null,
            baseline: encodeNumber(p.baseline),
            spread: encodeNumber(p.spread),
            slotWeekday: encodeNumber(p.slotWeekday),
            slotStart: encodeNumber(p.slotStart),
          }
        : null,
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'spans', 2);
    this.riseStart = decodeNumber(state['riseStart']);
    this.open = state['open'] === true;
    this.onset = decodeNumber(state['onset']);
    this.lastAbove = decodeNumber(state['lastAbove']);
    this.lastDeviating = decodeNumber(state['lastDeviating']);
    this.below = decodeNumber(state['below']);
    this.points = decodeNumber(state['points']);
    // absent in states saved before it existed: such a span is not called a trend
    this.earlyGap = state['earlyGap'] === undefined ? Number.NaN : decodeNumber(state['earlyGap']);
    this.peakStrength = decodeNumber(state['peakStrength']);
    this.deviatingUp = decodeNumber(state['deviatingUp']);
    this.deviatingDown = decodeNumber(state['deviatingDown']);
    this.previousGap = decodeNumber(state['previousGap']);
    const p = state['peak'] as Record<string, number | string | null> | null | undefined;
    this.peak =
      p && typeof p === 'object'
        ? {
            time: decodeNumber(p['time']),
            value: decodeNumber(p['value']),
            score: decodeNumber(p['score']),
            strength: decodeNumber(p['strength']),
            method: typeof p['method'] === 'string' ? (p['method'] as AnomalyMethod) : undefined,
            baseline: decodeNumber(p['baseline']),
            spread: decodeNumber(p['spread']),
            slotWeekday: decodeNumber(p['slotWeekday']),
            slotStart: decodeNumber(p['slotStart']),
          }
        : undefined;
    this.finished = [];
  }
}
