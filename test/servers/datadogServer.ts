/**
 * A local server speaking Datadog's GET /api/v1/query as documented: `DD-API-KEY` and
 * `DD-APPLICATION-KEY` (403 {"errors":["Forbidden"]} when either is missing or wrong), `from`
 * and `to` in seconds, queries `<aggr>:<metric>{<tag>:<value>,...|*} [by {<tag>,...}]` with an
 * optional `.rollup(<fn>, <seconds>)`, an automatic rollup interval that keeps a series near
 * 300 points, point lists `[[ms, value]]`, the X-RateLimit-* headers on every answer, and 400
 * {"errors":["..."]} for what it cannot parse.
 */
import { aggregate, type RawSeries } from './dataset';
import { queryOf, sendJson, startServer, type TestServer } from './testServer';

export interface DatadogServerOptions {
  readonly series: readonly RawSeries[];
  readonly apiKeys: readonly string[];
  readonly applicationKeys: readonly string[];
}

const intervals = [20, 60, 300, 600, 1800, 3600, 7200, 14_400, 86_400];

export async function startDatadogServer(options: DatadogServerOptions): Promise<TestServer> {
  let remaining = 1000;
  return startServer((req, res) => {
    const rate = { 'X-RateLimit-Limit': '1000', 'X-RateLimit-Period': '3600', 'X-RateLimit-Remaining': String(Math.max(0, --remaining)), 'X-RateLimit-Reset': '1800', 'X-RateLimit-Name': 'query' };
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v1/query') return sendJson(res, 404, { errors: ['Not found'] }, rate);
    const api = req.headers['dd-api-key'];
    const app = req.headers['dd-application-key'];
    if (typeof api !== 'string' || !options.apiKeys.includes(api) || typeof app !== 'string' || !options.applicationKeys.includes(app)) return sendJson(res, 403, { errors: ['Forbidden'] }, rate);
    const q = queryOf(req.url ?? '/');
    const from = Number(q.get('from'));
    const to = Number(q.get('to'));
    const query = q.get('query') ?? '';
    if (!q.get('from') || !Number.isFinite(from)) return sendJson(res, 400, { errors: ["The value provided for parameter 'from' is invalid"] }, rate);
    if (!q.get('to') || !Number.isFinite(to)) return sendJson(res, 400, { errors: ["The value provided for parameter 'to' is invalid"] }, rate);
    const m = /^(avg|sum|min|max):([\w.]+)\{([^}]*)\}(?:\s*by\s*\{([^}]*)\})?(?:\.rollup\((avg|sum|min|max|count),\s*(\d+)\))?$/.exec(query.trim());
    if (!m) return sendJson(res, 400, { errors: [`Error parsing query: unable to parse ${query}: Rule 'scope_expr' didn't match`] }, rate);
    const [, aggr, metric, scopeText, byText, rollupFn, rollupSeconds] = m;
    const scope = scopeText!.trim() === '*' ? [] : scopeText!.split(',').map((s) => s.trim().split(':') as [string, string]);
    const by = byText ? byText.split(',').map((s) => s.trim()) : [];
    const interval = rollupSeconds ? Number(rollupSeconds) : (intervals.find((i) => (to - from) / i <= 350) ?? 86_400);
    const matching = options.series.filter((s) => s.name === metric && scope.every(([k, v]) => s.labels[k] === v));
    const groups = new Map<string, RawSeries[]>();
    for (const s of matching) {
      const key = by.map((b) => `${b}:${s.labels[b] ?? 'N/A'}`).join(',');
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    const series = [...groups.entries()].map(([key, members]) => {
      const pointlist: [number, number | null][] = [];
      for (let t = Math.floor(from / interval) * interval; t <= to; t += interval) {
        const perSeries = members.map((s) => {
          const inBucket: number[] = [];
          for (let i = 0; i < s.times.length; i++) if (s.times[i]! >= t && s.times[i]! < t + interval && s.times[i]! >= from && s.times[i]! <= to) inBucket.push(s.values[i]!);
          return aggregate(inBucket, rollupFn ?? 'avg');
        });
        const present = perSeries.filter((v) => !Number.isNaN(v));
        if (present.length === 0) continue;
        pointlist.push([t * 1000, Math.round(aggregate(present, aggr!) * 1e6) / 1e6]);
      }
      const tagSet = key === '' ? [] : key.split(',');
      const scopeOut = [...scope.map(([k, v]) => `${k}:${v}`), ...tagSet].join(',') || '*';
      return {
        metric,
        display_name: metric,
        scope: scopeOut,
        tag_set: tagSet,
        expression: `${aggr}:${metric}{${scopeOut}}`,
        pointlist,
        start: (pointlist[0]?.[0] ?? from * 1000),
        end: (pointlist[pointlist.length - 1]?.[0] ?? to * 1000) + interval * 1000 - 1,
        interval,
        length: pointlist.length,
        aggr,
        unit: null,
        query_index: 0,
      };
    });
    sendJson(res, 200, { status: 'ok', res_type: 'time_series', resp_version: 1, query, message: '', from_date: from * 1000, to_date: to * 1000, group_by: by, series }, rate);
  });
}
