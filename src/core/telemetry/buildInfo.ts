/**
 * `*_build_info{revision="<sha>"} 1` series → deployments. A service exports which commit it
 * runs; the moment a new revision value first appears is a deployment of that revision.
 *
 * Rules (each one is a test):
 * - Series are grouped by the labels in `groupBy` (default: `service`, `environment`, `env`,
 *   `namespace`, whichever exist), so instances of one service form one timeline and different
 *   services never mask each other.
 * - A sample counts when its value is finite and not 0 (build_info is 1 while a build runs).
 * - Revisions seen within the first `lookback` of a group's data were already running: they
 *   are not deployments (their deploy time is before the data).
 * - A revision seen for the first time after that is a deployment at its first sample.
 * - A revision seen before is deployed again (a rollback) when it was absent for more than
 *   `lookback` and another revision was seen in between. A revision that merely pauses (a
 *   scrape gap, instances scraped at different offsets) is not a new deployment.
 * - `lookback` defaults to twice the median sample interval of the group's series (at least 1 s).
 */
import type { Deployment } from '../incidents/model';
import { labelValue } from './labels';
import type { Series } from './series';

export interface BuildInfoOptions {
  /** The label that holds the revision (default `revision`; some exporters use `version` or `commit`). */
  readonly revisionLabel?: string;
  readonly groupBy?: readonly string[];
  /** Used when the series carry no environment label. */
  readonly environment: string;
  /** Used when the series carry no service label. */
  readonly service?: string;
  /** Names the source in deployment ids (`<sourceId>:<service>:<revision>:<time>`). */
  readonly sourceId: string;
  readonly lookback?: number;
}

export interface BuildInfoResult {
  readonly deployments: Deployment[];
  /** Revisions already running when the data starts, per group: context for the UI. */
  readonly initial: { readonly service?: string; readonly environment: string; readonly revision: string; readonly since: number }[];
  readonly warnings: string[];
}

const defaultGroupBy = ['service', 'environment', 'env', 'namespace'];

export function deploymentsFromBuildInfo(series: readonly Series[], options: BuildInfoOptions): BuildInfoResult {
  const revisionLabel = options.revisionLabel ?? 'revision';
  const groupBy = options.groupBy ?? defaultGroupBy.filter((l) => series.some((s) => labelValue(s.labels, l) !== undefined));
  const warnings: string[] = [];
  const groups = new Map<string, Series[]>();
  let missingRevision = 0;
  for (const s of series) {
    if (labelValue(s.labels, revisionLabel) === undefined) {
      missingRevision++;
      continue;
    }
    const key = groupBy.map((l) => `${l}=${labelValue(s.labels, l) ?? ''}`).join('\u0000');
    const list = groups.get(key);
    if (list) list.push(s);
    else groups.set(key, [s]);
  }
  if (missingRevision > 0) warnings.push(`${missingRevision} build-info series have no '${revisionLabel}' label and were ignored.`);

  const deployments: Deployment[] = [];
  const initial: BuildInfoResult['initial'][number][] = [];
  for (const list of groups.values()) {
    const first = list[0]!.labels;
    const service = labelValue(first, 'service') ?? options.service;
    const environment = labelValue(first, 'environment') ?? labelValue(first, 'env') ?? options.environment;
    const samples: { t: number; r: string }[] = [];
    const intervals: number[] = [];
    for (const s of list) {
      const revision = labelValue(s.labels, revisionLabel)!;
      let prev = NaN;
      for (let i = 0; i < s.times.length; i++) {
        const v = s.values[i]!;
        if (!Number.isFinite(v) || v === 0) continue;
        const t = s.times[i]!;
        samples.push({ t, r: revision });
        if (prev === prev && t > prev) intervals.push(t - prev);
        prev = t;
      }
    }
    if (samples.length === 0) continue;
    samples.sort((a, b) => a.t - b.t || (a.r < b.r ? -1 : a.r > b.r ? 1 : 0));
    const lookback = options.lookback ?? Math.max(1, 2 * median(intervals));
    const start = samples[0]!.t;
    const lastSeen = new Map<string, number>();
    for (const { t, r } of samples) {
      const seen = lastSeen.get(r);
      if (seen === undefined) {
        if (t - start <= lookback) initial.push({ ...(service !== undefined ? { service } : {}), environment, revision: r, since: t });
        else deployments.push(deployment(options.sourceId, service, environment, r, t));
      } else if (t - seen > lookback) {
        let otherSince = false;
        for (const [other, when] of lastSeen) {
          if (other !== r && when > seen) {
            otherSince = true;
            break;
          }
        }
        if (otherSince) deployments.push(deployment(options.sourceId, service, environment, r, t));
      }
      lastSeen.set(r, t);
    }
  }
  deployments.sort((a, b) => a.time - b.time || a.id.localeCompare(b.id));
  return { deployments, initial, warnings };
}

function deployment(sourceId: string, service: string | undefined, environment: string, revision: string, time: number): Deployment {
  const base = { id: `${sourceId}:${service ?? ''}:${revision}:${time}`, environment, revision, time, source: 'buildInfo' as const };
  return service !== undefined ? { ...base, service } : base;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
