/**
 * A local server speaking the Dynatrace Metrics API v2 as documented for
 * GET /api/v2/metrics/query: `Authorization: Api-Token <token>` (401 without or with a wrong
 * token, 403 for a token without the metrics.read scope), `metricSelector` (a metric key with
 * an optional `:filter(eq("dim","value"))`), `resolution` (1m, 5m, 1h, 1d, Inf; default 120
 * points), `from`/`to` in milliseconds or `now-2h`, data points aggregated into time slots
 * whose timestamp is the slot's end, `null` for slots without data, pagination over series by
 * `nextPageKey` (which must then be the only parameter), and the documented error envelope
 * {"error":{"code","message","constraintViolations":[...]}}.
 */
import type * as http from 'node:http';
import { aggregate, type RawSeries } from './dataset';
import { queryOf, sendJson, startServer, type TestServer } from './testServer';

export interface DynatraceServerOptions {
  readonly series: readonly RawSeries[];
  /** Tokens with the metrics.read scope. */
  readonly tokens: readonly string[];
  /** Valid tokens lacking the scope (403). */
  readonly tokensWithoutScope?: readonly string[];
  /** Series per page. */
  readonly pageSize?: number;
  /** Returned as the server's "now" for relative times. */
  readonly nowMs?: number;
}

function error(res: http.ServerResponse, code: number, message: string, violations?: { path: string; message: string }[]): void {
  sendJson(res, code, {
    error: {
      code,
      message,
      ...(violations ? { constraintViolations: violations.map((v) => ({ path: v.path, message: v.message, parameterLocation: 'QUERY', location: null })) } : {}),
    },
  });
}

function parseResolutionMs(text: string | null, spanMs: number): number | 'Inf' | undefined {
  if (text === null || text === '') return Math.max(60_000, Math.ceil(spanMs / 120 / 60_000) * 60_000);
  if (text === 'Inf') return 'Inf';
  const m = /^(\d+)(m|h|d|w)$/.exec(text);
  if (!m) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

function parseTime(text: string | null, nowMs: number, fallback: number): number | undefined {
  if (text === null || text === '') return fallback;
  if (/^\d+$/.test(text)) return Number(text);
  const rel = /^now(?:-(\d+)(m|h|d))?$/.exec(text);
  if (rel) return rel[1] ? nowMs - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'] : nowMs;
  const iso = Date.parse(text);
  return Number.isNaN(iso) ? undefined : iso;
}

export async function startDynatraceServer(options: DynatraceServerOptions): Promise<TestServer> {
  const pageSize = options.pageSize ?? 2;
  return startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v2/metrics/query' || req.method !== 'GET') return error(res, 404, `No API at ${req.method} ${url.pathname}`);
    const auth = req.headers.authorization;
    if (!auth) return error(res, 401, 'Missing authorization parameter.');
    const token = /^Api-Token (.+)$/.exec(auth)?.[1];
    if (token !== undefined && options.tokensWithoutScope?.includes(token)) return error(res, 403, 'Token is missing required scope. Use one of: metrics.read (Read metrics)');
    if (token === undefined || !options.tokens.includes(token)) return error(res, 401, 'Token Authentication failed');
    const q = queryOf(req.url ?? '/');
    let state: { selector: string; from: number; to: number; res: number | 'Inf'; offset: number };
    const pageKey = q.get('nextPageKey');
    if (pageKey !== null) {
      if ([...q.keys()].some((k) => k !== 'nextPageKey')) {
        return error(res, 400, 'Constraints violated.', [{ path: 'nextPageKey', message: 'If nextPageKey is set, all other query parameters must be omitted.' }]);
      }
      try {
        state = JSON.parse(Buffer.from(pageKey, 'base64url').toString('utf8'));
      } catch {
        return error(res, 400, 'The provided nextPageKey is invalid.');
      }
    } else {
      const selector = q.get('metricSelector');
      if (!selector) return error(res, 400, 'Constraints violated.', [{ path: 'metricSelector', message: 'must not be null' }]);
      const nowMs = options.nowMs ?? Date.now();
      const to = parseTime(q.get('to'), nowMs, nowMs);
      const from = parseTime(q.get('from'), nowMs, (to ?? nowMs) - 7_200_000);
      if (from === undefined || to === undefined) return error(res, 400, 'Constraints violated.', [{ path: from === undefined ? 'from' : 'to', message: 'is not a valid timeframe' }]);
      if (from >= to) return error(res, 400, 'The timeframe is invalid: from must be before to.');
      const resolution = parseResolutionMs(q.get('resolution'), to - from);
      if (resolution === undefined) return error(res, 400, 'Constraints violated.', [{ path: 'resolution', message: `'${q.get('resolution')}' is not a valid resolution` }]);
      state = { selector, from, to, res: resolution, offset: 0 };
    }
    const m = /^([\w.:-]+?)(?::filter\(eq\("([^"]+)","([^"]*)"\)\))?$/.exec(state.selector);
    if (!m) return error(res, 400, `The metric selector could not be parsed: ${state.selector}`);
    const [, key, dim, value] = m;
    const matching = options.series.filter((s) => s.name === key && (dim === undefined || s.labels[dim] === value));
    if (!options.series.some((s) => s.name === key)) return error(res, 404, `The metric key '${key}' is not known.`);
    const slots: number[] = [];
    if (state.res === 'Inf') slots.push(state.to);
    else {
      // Slots (end - res, end], aligned to the resolution, covering [from, to].
      const res = state.res;
      for (let end = Math.floor(state.from / res) * res + res; end <= Math.ceil(state.to / res) * res; end += res) slots.push(end);
    }
    if (slots.length > 10_080) return error(res, 400, 'The number of data points per series exceeds the limit of 10080. Choose a coarser resolution.');
    const page = matching.slice(state.offset, state.offset + pageSize);
    const data = page.map((s) => {
      const values = slots.map((end) => {
        const width = state.res === 'Inf' ? end - state.from : (state.res as number);
        const inSlot: number[] = [];
        for (let i = 0; i < s.times.length; i++) {
          const tMs = s.times[i]! * 1000;
          if (tMs > end - width && tMs <= end && tMs >= state.from && tMs <= state.to) inSlot.push(s.values[i]!);
        }
        const v = aggregate(inSlot, 'avg');
        return Number.isNaN(v) ? null : v;
      });
      return { dimensions: Object.values(s.labels), dimensionMap: s.labels, timestamps: slots, values };
    });
    const next = state.offset + pageSize < matching.length ? Buffer.from(JSON.stringify({ ...state, offset: state.offset + pageSize })).toString('base64url') : null;
    sendJson(res, 200, {
      totalCount: matching.length,
      nextPageKey: next,
      resolution: state.res === 'Inf' ? 'Inf' : `${(state.res as number) / 60_000}m`,
      result: [{ metricId: state.selector, dataPointCountRatio: 0.0001, dimensionCountRatio: 0.001, data }],
    });
  });
}
