import { OpsloopError } from '../errors';
import type { Series } from '../telemetry/series';
import { seriesKey as keyOf } from '../telemetry/series';
import type { Anomaly } from './anomaly';
import { EnsembleDetector, defaultEnsembleConfig, type EnsembleConfig } from './ensemble';
import { SeasonalDetector } from './seasonalDetector';
import { SpanTracker, type PointInsight } from './spans';
import type { DetectorState } from './state';
import { expectVersion } from './state';

/** How readily a person wants to be told: low = only the clearest anomalies. */
export type Sensitivity = 'low' | 'medium' | 'high';

export const sensitivities: readonly Sensitivity[] = ['low', 'medium', 'high'];

/**
 * What each sensitivity asks of a point before it is flagged: an ensemble score of at least
 * `alarmLevel` (how rare the recent points are for this series, 0..1) and a value at least
 * `minDeviation` MADs away from its usual for that hour (so what is flagged is visibly off on the
 * chart, never a 2-MAD wobble that happens to be rare). docs/anomaly.md explains and measures them.
 */
export interface SensitivityLevel {
  readonly alarmLevel: number;
  readonly minDeviation: number;
}

export const sensitivityLevels: Readonly<Record<Sensitivity, SensitivityLevel>> = {
  low: { alarmLevel: 0.75, minDeviation: 10 },
  medium: { alarmLevel: 0.7, minDeviation: 7 },
  high: { alarmLevel: 0.6, minDeviation: 4 },
};

/** The alarm level (score threshold) of each sensitivity: scores at or above it are alarms. */
export const sensitivityAlarmLevels: Readonly<Record<Sensitivity, number>> = {
  low: sensitivityLevels.low.alarmLevel,
  medium: sensitivityLevels.medium.alarmLevel,
  high: sensitivityLevels.high.alarmLevel,
};

export function isSensitivity(value: unknown): value is Sensitivity {
  return value === 'low' || value === 'medium' || value === 'high';
}

export interface DetectorOptions {
  readonly sensitivity?: Sensitivity;
  /** Names the series in anomalies and explanations. */
  readonly seriesKey?: string;
  readonly name?: string;
  readonly unit?: string;
  /** Replaces the default ensemble (benchmarks and experiments; the product uses the default). */
  readonly config?: EnsembleConfig;
}

/** A streaming detector for one series: feed points in time order, read scores and anomalies. */
export interface AnomalyDetector {
  readonly sensitivity: Sensitivity;
  /** Scores the point in [0, 1] (0 for a gap or a point out of order) and learns it. */
  update(time: number, value: number): number;
  /** The anomaly still going on, if any (its `end` is undefined). */
  current(): Anomaly | undefined;
  /** Anomalies that ended since the last call. */
  takeFinished(): Anomaly[];
  /** Everything learnt so far, as plain JSON. */
  saveState(): DetectorState;
  /** Continues from a saved state (same sensitivity and configuration). */
  restoreState(state: DetectorState): void;
}

function configFor(options: DetectorOptions): EnsembleConfig {
  const sensitivity = options.sensitivity ?? 'medium';
  if (!isSensitivity(sensitivity)) throw new OpsloopError('invalidInput', `Unknown sensitivity '${String(sensitivity)}'.`, 'Use low, medium or high');
  if (options.config) return options.config;
  return { ...defaultEnsembleConfig, ...sensitivityLevels[sensitivity] };
}

/** Days of history an hour slot needs before a sentence calls its median "usual for 14:00". */
const minSlotDays = 2;

class StreamingAnomalyDetector implements AnomalyDetector {
  readonly sensitivity: Sensitivity;
  private readonly ensemble: EnsembleDetector;
  private readonly spans: SpanTracker;
  private readonly seasonal: SeasonalDetector | undefined;
  private readonly point: PointInsight = {
    time: 0,
    value: 0,
    score: 0,
    strength: 0,
    method: undefined,
    baseline: Number.NaN,
    spread: Number.NaN,
    slotWeekday: -1,
    slotStart: Number.NaN,
  };

  constructor(options: DetectorOptions) {
    this.sensitivity = options.sensitivity ?? 'medium';
    const config = configFor(options);
    this.ensemble = new EnsembleDetector(config);
    this.seasonal = this.ensemble.components.find((c): c is SeasonalDetector => c instanceof SeasonalDetector);
    this.spans = new SpanTracker({
      seriesKey: options.seriesKey ?? options.name ?? 'series',
      name: options.name ?? options.seriesKey ?? 'value',
      ...(options.unit ? { unit: options.unit } : {}),
      alarmLevel: config.alarmLevel,
      holdLevel: 0.6 * config.alarmLevel,
      closeAfterPoints: 5,
    });
  }

  update(time: number, value: number): number {
    const score = this.ensemble.update(time, value);
    if (value !== value || time !== time) return score;
    const p = this.point;
    p.time = time;
    p.value = value;
    p.score = score;
    p.strength = this.ensemble.lastStrength;
    const w = this.ensemble.lastWinner;
    const winner = w >= 0 ? this.ensemble.components[w] : undefined;
    p.method = this.ensemble.lastRecord ? 'record' : winner?.method;
    // The baseline a person recognises is the seasonal one ("usual for Tuesday 14:00"), whichever
    // method saw the anomaly most clearly; before its hour has history, the series-wide median.
    // The slot is named once it has a few days (the weekday-hour: a few weeks) behind it.
    const s = this.seasonal;
    if (s) {
      p.baseline = s.baseline;
      p.spread = s.spread;
      const named = s.trusted && (s.lastWeekday >= 0 || s.lastSlotDays >= minSlotDays);
      p.slotWeekday = named ? s.lastWeekday : -1;
      p.slotStart = named ? s.lastSlotStart : Number.NaN;
    } else {
      p.baseline = winner ? winner.baseline : Number.NaN;
      p.spread = winner ? winner.spread : Number.NaN;
      p.slotWeekday = -1;
      p.slotStart = Number.NaN;
    }
    this.spans.observe(p);
    return score;
  }

  current(): Anomaly | undefined {
    return this.spans.current();
  }

  takeFinished(): Anomaly[] {
    return this.spans.takeFinished();
  }

  saveState(): DetectorState {
    return { kind: 'anomalyDetector', version: 1, sensitivity: this.sensitivity, ensemble: this.ensemble.saveState(), spans: this.spans.saveState() };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'anomalyDetector', 1);
    if (state['sensitivity'] !== this.sensitivity) {
      throw new OpsloopError('invalidInput', `Saved anomaly-detector state is for sensitivity '${String(state['sensitivity'])}', not '${this.sensitivity}'.`, 'Start the detector afresh');
    }
    this.ensemble.restoreState(state['ensemble'] as DetectorState);
    this.spans.restoreState(state['spans'] as DetectorState);
  }
}

/** A streaming detector with the default ensemble at the given sensitivity. */
export function createDetector(options: DetectorOptions = {}): AnomalyDetector {
  return new StreamingAnomalyDetector(options);
}

export interface DetectionResult {
  /** One score in [0, 1] per point of the series (0 for gaps). */
  readonly scores: Float64Array;
  /** Anomalies as spans, oldest first; the last may still be going on (no `end`). */
  readonly anomalies: Anomaly[];
}

/** Scores a whole series and groups its alarms into anomalies, exactly as a stream would. */
export function detectAnomalies(series: Series, options: DetectorOptions = {}): DetectionResult {
  const detector = createDetector({ seriesKey: keyOf(series), name: series.name, ...options });
  const { times, values } = series;
  const scores = new Float64Array(values.length);
  const anomalies: Anomaly[] = [];
  for (let i = 0; i < values.length; i++) {
    scores[i] = detector.update(times[i]!, values[i]!);
    const done = detector.takeFinished();
    for (const a of done) anomalies.push(a);
  }
  const open = detector.current();
  if (open) anomalies.push(open);
  return { scores, anomalies };
}
