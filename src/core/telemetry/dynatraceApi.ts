/**
 * Dynatrace Metrics API v2, GET /api/v2/metrics/query (MetricData):
 *
 *     {"totalCount":2,"nextPageKey":"AQ...","resolution":"1m","result":[
 *       {"metricId":"builtin:service.response.time","dataPointCountRatio":0.001,
 *        "dimensionCountRatio":0.01,"warnings":["..."],
 *        "data":[{"dimensions":["SERVICE-1"],"dimensionMap":{"dt.entity.service":"SERVICE-1"},
 *                 "timestamps":[1714564800000,...],"values":[12.5,null,...]}]}]}
 *
 * Timestamps are milliseconds, a null value is a slot without data. Errors:
 *
 *     {"error":{"code":400,"message":"...","constraintViolations":[{"path":"...","message":"...",
 *               "parameterLocation":"QUERY","location":null}]}}
 */
import { OpsloopError } from '../errors';
import { setLabel } from './labels';
import { describeBody } from './prometheusApi';
import type { Series } from './series';

export interface DynatracePage {
  readonly series: Series[];
  readonly nextPageKey?: string;
  readonly totalCount?: number;
  readonly resolution?: string;
  readonly warnings: string[];
  readonly samples: number;
}

export function decodeDynatraceMetrics(body: string): DynatracePage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new OpsloopError('server', `Dynatrace answered with text that is not JSON (${describeBody(body)}).`);
  }
  const o = parsed as { result?: unknown; nextPageKey?: unknown; totalCount?: unknown; resolution?: unknown; warnings?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.result)) throw new OpsloopError('server', 'Dynatrace answered without a result list: not the Metrics API v2.');
  const series: Series[] = [];
  const warnings: string[] = [];
  if (Array.isArray(o.warnings)) for (const w of o.warnings) if (typeof w === 'string') warnings.push(`Dynatrace: ${w}`);
  let samples = 0;
  for (const collection of o.result as unknown[]) {
    const c = collection as { metricId?: unknown; data?: unknown; warnings?: unknown };
    const metricId = typeof c.metricId === 'string' ? c.metricId : 'metric';
    if (Array.isArray(c.warnings)) for (const w of c.warnings) if (typeof w === 'string') warnings.push(`Dynatrace (${metricId}): ${w}`);
    if (!Array.isArray(c.data)) continue;
    for (const item of c.data as unknown[]) {
      const d = item as { dimensionMap?: Record<string, unknown>; timestamps?: unknown; values?: unknown };
      if (!Array.isArray(d.timestamps) || !Array.isArray(d.values)) throw new OpsloopError('server', `Dynatrace answered a series of ${metricId} without timestamps or values.`);
      if (d.timestamps.length !== d.values.length) {
        throw new OpsloopError('server', `Dynatrace answered a series of ${metricId} with ${d.timestamps.length} timestamps but ${d.values.length} values.`);
      }
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(d.dimensionMap ?? {})) if (typeof v === 'string') setLabel(labels, k, v);
      const n = d.timestamps.length;
      const times = new Float64Array(n);
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        times[i] = Number(d.timestamps[i]) / 1000;
        const v = d.values[i];
        values[i] = typeof v === 'number' ? v : NaN;
      }
      samples += n;
      series.push({ name: metricId, labels, times, values });
    }
  }
  const page: { -readonly [K in keyof DynatracePage]: DynatracePage[K] } = { series, warnings, samples };
  if (typeof o.nextPageKey === 'string' && o.nextPageKey !== '') page.nextPageKey = o.nextPageKey;
  if (typeof o.totalCount === 'number') page.totalCount = o.totalCount;
  if (typeof o.resolution === 'string') page.resolution = o.resolution;
  return page;
}

/** "message (path: message; ...)" from Dynatrace's error envelope, when the body is one. */
export function dynatraceErrorMessage(body: string): string | undefined {
  try {
    const o = JSON.parse(body) as { error?: { message?: unknown; constraintViolations?: unknown } };
    const e = o?.error;
    if (!e || typeof e.message !== 'string') return undefined;
    const violations = Array.isArray(e.constraintViolations)
      ? (e.constraintViolations as { path?: unknown; message?: unknown }[])
          .filter((v) => typeof v?.message === 'string')
          .map((v) => (typeof v.path === 'string' && v.path ? `${v.path}: ${v.message as string}` : (v.message as string)))
      : [];
    return violations.length > 0 ? `${e.message} (${violations.join('; ')})` : e.message;
  } catch {
    return undefined;
  }
}

/**
 * The `resolution` for a step in seconds: Dynatrace takes a timespan with a unit of m, h, d
 * or w (minimum 1m).
 */
export function dynatraceResolution(stepSeconds: number): string {
  const minutes = Math.max(1, Math.round(stepSeconds / 60));
  if (minutes % 10_080 === 0) return `${minutes / 10_080}w`;
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}
