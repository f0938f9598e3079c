import type { DetectorState } from './state';

/** The methods an anomaly can be attributed to, as explanations name them. */
export type AnomalyMethod = 'seasonal' | 'level' | 'changePoint' | 'context' | 'rarity' | 'extreme' | 'spectralResidual';

/**
 * One streaming method of the ensemble. `update` scores a point against what was learned from
 * the points before it, then learns the point: the score of point i never depends on later points.
 */
export interface ComponentDetector {
  readonly method: AnomalyMethod;
  /** A raw surprise >= 0 (in the method's own units), or NaN while it has too little history. */
  update(time: number, value: number): number;
  /** update() over points from..to-1 of a run, raw scores into `out` (a tight loop per method is fast). */
  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number): void;
  /** What the method expected for the last point. */
  readonly baseline: number;
  /** Its robust spread (a MAD, in the series' units) for the last point. */
  readonly spread: number;
  saveState(): DetectorState;
  restoreState(state: DetectorState): void;
}
