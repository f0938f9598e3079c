import type { DetectorState } from './state';

/** The streaming methods the ensemble can combine. */
export type ComponentMethod = 'seasonal' | 'level' | 'changePoint' | 'context' | 'rarity' | 'spectralResidual';

/** What an anomaly can be attributed to: a method, or a record (a new high or low, a deviation far past any recent one). */
export type AnomalyMethod = ComponentMethod | 'record';

/**
 * One streaming method of the ensemble. `update` scores a point against what was learned from
 * the points before it, then learns the point: the score of point i never depends on later points.
 */
export interface ComponentDetector {
  readonly method: ComponentMethod;
  /** A raw surprise >= 0 (in the method's own units), or NaN while it has too little history. */
  update(time: number, value: number): number;
  /**
   * update() over points from..to-1 of a run, raw scores into `out` (a tight loop per method is
   * fast); a method that sees records writes each point's `lastRecord` into `records` when given.
   */
  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number, records?: Float64Array): void;
  /**
   * Methods that also see records: the record strength of the last point, 1 or more for a record
   * (an alarm by itself, no calibration needed), 0 for none. Undefined for the others.
   */
  readonly lastRecord?: number;
  /** What the method expected for the last point. */
  readonly baseline: number;
  /** Its robust spread (a MAD, in the series' units) for the last point. */
  readonly spread: number;
  saveState(): DetectorState;
  restoreState(state: DetectorState): void;
}
