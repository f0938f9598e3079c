/**
 * Datadog, GET /api/v1/query?from=<s>&to=<s>&query=... (MetricsQueryResponse):
 *
 *     {"status":"ok","res_type":"time_series","from_date":1714564800000,"to_date":...,
 *      "query":"avg:latency{service:checkout} by {host}","message":"","group_by":["host"],
 *      "series":[{"metric":"latency","display_name":"latency","scope":"host:a,service:checkout",
 *                 "tag_set":["host:a"],"expression":"avg:latency{host:a,service:checkout}",
 *                 "pointlist":[[1714564800000.0,0.25],[1714564820000.0,null]],
 *                 "interval":20,"length":2,"start":...,"end":...,"aggr":"avg","unit":null}]}
 *
 * Point times are milliseconds; null is a gap. Errors: {"errors":["..."]}.
 */
import { OpsloopError } from '../errors';
import { hasLabel, setLabel } from './labels';
import { describeBody } from './prometheusApi';
import type { Series, SeriesResult } from './series';

export function decodeDatadogQuery(body: string): { result: SeriesResult; samples: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new OpsloopError('server', `Datadog answered with text that is not JSON (${describeBody(body)}).`);
  }
  const o = parsed as { status?: unknown; error?: unknown; series?: unknown; message?: unknown; errors?: unknown };
  if (!o || typeof o !== 'object') throw new OpsloopError('server', 'Datadog answered with JSON that is not a query response.');
  if (Array.isArray(o.errors)) throw new OpsloopError('server', `Datadog: ${(o.errors as unknown[]).join('; ')}`);
  if (o.status === 'error') throw new OpsloopError('invalidInput', `Datadog refused the query: ${typeof o.error === 'string' ? o.error : 'no reason given'}`);
  if (!Array.isArray(o.series)) throw new OpsloopError('server', 'Datadog answered without a series list: not the v1 query API.');
  const series: Series[] = [];
  let samples = 0;
  for (const item of o.series as unknown[]) {
    const s = item as { metric?: unknown; expression?: unknown; pointlist?: unknown; tag_set?: unknown; scope?: unknown };
    if (!Array.isArray(s.pointlist)) throw new OpsloopError('server', 'Datadog answered a series without a pointlist.');
    const name = typeof s.metric === 'string' ? s.metric : typeof s.expression === 'string' ? s.expression : 'metric';
    const labels: Record<string, string> = {};
    const tags = Array.isArray(s.tag_set) && s.tag_set.length > 0 ? (s.tag_set as unknown[]) : typeof s.scope === 'string' && s.scope !== '*' ? s.scope.split(',') : [];
    for (const tag of tags) {
      if (typeof tag !== 'string') continue;
      const colon = tag.indexOf(':');
      const key = colon < 0 ? tag : tag.slice(0, colon);
      if (key !== '' && !hasLabel(labels, key)) setLabel(labels, key, colon < 0 ? '' : tag.slice(colon + 1));
    }
    const points = s.pointlist as unknown[];
    const n = points.length;
    const times = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const p = points[i] as unknown[];
      if (!Array.isArray(p)) throw new OpsloopError('server', 'Datadog answered a point that is not [time, value].');
      times[i] = Number(p[0]) / 1000;
      const v = p[1];
      values[i] = typeof v === 'number' ? v : NaN;
    }
    samples += n;
    series.push({ name, labels, times, values });
  }
  const warnings = typeof o.message === 'string' && o.message !== '' ? [`Datadog: ${o.message}`] : [];
  return { result: warnings.length ? { series, warnings } : { series }, samples };
}

/** The messages of Datadog's error body ({"errors":[...]}), when it is one. */
export function datadogErrorMessage(body: string): string | undefined {
  try {
    const o = JSON.parse(body) as { errors?: unknown };
    if (Array.isArray(o?.errors) && o.errors.length > 0) return o.errors.map(String).join('; ');
  } catch {
    // not JSON
  }
  return undefined;
}
