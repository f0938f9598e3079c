/**
 * "Did this deploy hurt production?" as a verdict per query and overall, from the anomalies the
 * detector found in each series around the deployment. Pure: the fetching is done elsewhere.
 */
import type { Anomaly } from '../anomaly/anomaly';
import type { DataGap } from '../telemetry/series';
import type { Deployment } from './model';

export type Verdict = 'healthy' | 'regressed' | 'unknown';

export interface QueryEvidence {
  readonly name: string;
  readonly source: string;
  /** Anomalies found over the fetched history (before and after the deployment). */
  readonly anomalies: readonly Anomaly[];
  /** Seconds of finite data after the deployment, within the window. */
  readonly observedAfterSeconds: number;
  readonly partial?: readonly DataGap[];
  /** Why there is no data at all (the source failed). */
  readonly failure?: string;
  readonly unit?: string;
  /** Mean before and after the deployment (equal windows), of the series that changed most. */
  readonly change?: MeanChange;
}

export interface MeanChange {
  readonly before: number;
  readonly after: number;
}

export interface QueryVerdict {
  readonly name: string;
  readonly source: string;
  readonly verdict: Verdict;
  /** Anomalies that began after the deployment, within the window. */
  readonly anomalies: readonly Anomaly[];
  /** Why the verdict is `unknown`. */
  readonly reason?: string;
  readonly unit?: string;
  readonly change?: MeanChange;
}

export interface DeployAssessment {
  readonly deployment: Deployment;
  readonly window: { readonly start: number; readonly end: number };
  readonly verdict: Verdict;
  readonly queries: readonly QueryVerdict[];
}

/**
 * A query regressed when an anomaly began after the deployment and within the window; it is
 * unknown when its data failed, is partial inside the window, or covers too little of it (a
 * missing answer is never "healthy"); otherwise healthy. Overall: regressed if any query
 * regressed, else unknown if any is unknown, else healthy.
 */
export function assessDeployment(deployment: Deployment, evidence: readonly QueryEvidence[], windowSeconds: number, minObservedFraction = 0.5): DeployAssessment {
  const window = { start: deployment.time, end: deployment.time + windowSeconds };
  const queries = evidence.map((e): QueryVerdict => {
    const base = { name: e.name, source: e.source, ...(e.unit !== undefined ? { unit: e.unit } : {}), ...(e.change ? { change: e.change } : {}) };
    if (e.failure !== undefined) return { ...base, verdict: 'unknown', anomalies: [], reason: e.failure };
    const after = e.anomalies.filter((a) => a.onset >= window.start && a.onset <= window.end);
    if (after.length > 0) return { ...base, verdict: 'regressed', anomalies: after };
    const gap = (e.partial ?? []).find((g) => (g.to ?? Number.POSITIVE_INFINITY) >= window.start && (g.from ?? Number.NEGATIVE_INFINITY) <= window.end);
    if (gap) return { ...base, verdict: 'unknown', anomalies: [], reason: `partial data after the deployment: ${gap.reason}` };
    if (e.observedAfterSeconds < windowSeconds * minObservedFraction) {
      return { ...base, verdict: 'unknown', anomalies: [], reason: `only ${Math.round(e.observedAfterSeconds / 60)} min of data after the deployment (the check looks at ${Math.round(windowSeconds / 60)} min)` };
    }
    return { ...base, verdict: 'healthy', anomalies: [] };
  });
  const verdict: Verdict = queries.some((q) => q.verdict === 'regressed') ? 'regressed' : queries.length === 0 || queries.some((q) => q.verdict === 'unknown') ? 'unknown' : 'healthy';
  return { deployment, window, verdict, queries };
}

/** Seconds between the first and the last finite sample in [from, to], plus one sampling step for the last. */
export function observedSeconds(times: Float64Array, values: Float64Array, from: number, to: number): number {
  let first = Number.NaN;
  let last = Number.NaN;
  let previousTime = Number.NaN;
  let step = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if (t < from || t > to) continue;
    // The sampling step comes from the timestamps, so a gap of NaNs does not stretch it.
    if (!Number.isNaN(previousTime) && t > previousTime) step = Math.min(step, t - previousTime);
    previousTime = t;
    if (!Number.isFinite(values[i]!)) continue;
    if (Number.isNaN(first)) first = t;
    last = t;
  }
  if (Number.isNaN(first)) return 0;
  return last - first + (Number.isFinite(step) ? step : 0);
}
