/**
 * The Prometheus HTTP API's JSON (also spoken by VictoriaMetrics, Thanos, Mimir, Cortex):
 *
 *     {"status":"success","data":{"resultType":"matrix","result":[
 *        {"metric":{"__name__":"up","job":"x"},"values":[[1714564800,"1"],...]}]},
 *      "warnings":["..."], "infos":["..."]}
 *     {"status":"error","errorType":"bad_data","error":"parse error at char 5: ..."}
 *
 * Values are strings so that NaN and ±Inf survive JSON ("NaN", "+Inf", "-Inf").
 */
import { OpsloopError } from '../errors';
import { setLabel } from './labels';
import { decodeMatrixFast } from './prometheusMatrix';
import type { Series, SeriesResult } from './series';

const utf8 = new TextDecoder('utf-8');

export interface PrometheusEnvelope {
  readonly status: 'success' | 'error';
  readonly data?: unknown;
  readonly errorType?: string;
  readonly error?: string;
  readonly warnings?: readonly string[];
  readonly infos?: readonly string[];
}

/** Parses the envelope; a body that is not the API's JSON is a `server` error that says so. */
export function parsePrometheusEnvelope(body: string, what = 'Prometheus'): PrometheusEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new OpsloopError('server', `${what} answered with text that is not JSON (${describeBody(body)}).`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new OpsloopError('server', `${what} answered with JSON that is not an API response.`);
  const o = parsed as Record<string, unknown>;
  if (o.status !== 'success' && o.status !== 'error') throw new OpsloopError('server', `${what} answered without a status: not the Prometheus HTTP API.`);
  return o as unknown as PrometheusEnvelope;
}

/** The server's own message from an error body, when it is the API's error JSON. */
export function prometheusErrorMessage(body: string): string | undefined {
  try {
    const o = JSON.parse(body) as { status?: unknown; error?: unknown; errorType?: unknown };
    if (o && o.status === 'error' && typeof o.error === 'string') return typeof o.errorType === 'string' ? `${o.errorType}: ${o.error}` : o.error;
  } catch {
    // not JSON: the caller describes the status instead
  }
  return undefined;
}

/** A Prometheus sample value: decimal text, "NaN", "+Inf" or "-Inf". */
export function prometheusValue(text: unknown): number {
  if (typeof text === 'number') return text;
  if (typeof text !== 'string') return NaN;
  const n = +text;
  if (n === n && text !== '') return n;
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  throw new OpsloopError('server', `The answer holds '${text.slice(0, 40)}' where a number belongs.`);
}

export interface DecodedMatrix {
  readonly result: SeriesResult;
  readonly samples: number;
}

/**
 * A query or query_range answer as series. Matrix and vector results are both accepted (an
 * instant query returns a vector); native-histogram samples, which have no single value, are
 * left out with a warning. `name` is used for series without a `__name__` (computed queries).
 */
export function decodePrometheusQuery(raw: string | Uint8Array, name: string, what = 'Prometheus'): DecodedMatrix {
  if (typeof raw !== 'string') {
    const fast = decodeMatrixFast(raw, name);
    if (fast) {
      const warnings = [...fast.warnings.map((w) => `${what}: ${w}`), ...fast.infos.map((w) => `${what} (info): ${w}`)];
      return { result: { series: fast.series, ...(warnings.length ? { warnings } : {}) }, samples: fast.samples };
    }
  }
  const body = typeof raw === 'string' ? raw : utf8.decode(raw);
  const env = parsePrometheusEnvelope(body, what);
  if (env.status === 'error') {
    throw new OpsloopError(env.errorType === 'bad_data' ? 'invalidInput' : 'server', `${what} refused the query: ${env.errorType ? `${env.errorType}: ` : ''}${env.error ?? 'no reason given'}`);
  }
  const data = env.data as { resultType?: unknown; result?: unknown } | undefined;
  if (!data || !Array.isArray(data.result)) throw new OpsloopError('server', `${what} answered without data.result.`);
  const warnings: string[] = [...(env.warnings ?? []).map((w) => `${what}: ${w}`), ...(env.infos ?? []).map((w) => `${what} (info): ${w}`)];
  const series: Series[] = [];
  let samples = 0;
  let histograms = 0;
  const type = data.resultType;
  if (type === 'scalar' || type === 'string') {
    const v = data.result as unknown as [number, string];
    const times = Float64Array.of(Number(v[0]));
    const values = Float64Array.of(type === 'scalar' ? prometheusValue(v[1]) : NaN);
    return { result: { series: [{ name, labels: {}, times, values }], ...(warnings.length ? { warnings } : {}) }, samples: 1 };
  }
  for (const item of data.result as unknown[]) {
    const entry = item as { metric?: Record<string, unknown>; values?: unknown; value?: unknown; histograms?: unknown; histogram?: unknown };
    const metric = entry.metric ?? {};
    const labels: Record<string, string> = {};
    let seriesName = name;
    for (const key of Object.keys(metric)) {
      const v = metric[key];
      if (typeof v !== 'string') continue;
      if (key === '__name__') seriesName = v;
      else setLabel(labels, key, v);
    }
    let points: unknown[];
    if (Array.isArray(entry.values)) points = entry.values;
    else if (Array.isArray(entry.value)) points = [entry.value];
    else points = [];
    if (entry.histograms !== undefined || entry.histogram !== undefined) histograms++;
    const n = points.length;
    const times = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const p = points[i] as [unknown, unknown];
      if (!Array.isArray(p)) throw new OpsloopError('server', `${what} answered with a sample that is not [time, value].`);
      const t = p[0];
      times[i] = typeof t === 'number' ? t : Number(t);
      values[i] = prometheusValue(p[1]);
    }
    samples += n;
    if (n > 0 || entry.histograms === undefined) series.push({ name: seriesName, labels, times, values });
  }
  if (histograms > 0) warnings.push(`${what}: ${histograms} series hold native histograms, which Opsloop does not chart; use histogram_quantile() or a _count/_sum series.`);
  return { result: { series, ...(warnings.length ? { warnings } : {}) }, samples };
}

/** `data` of /api/v1/labels and /api/v1/label/<name>/values: a list of strings. */
export function decodePrometheusStrings(body: string, what = 'Prometheus'): string[] {
  const env = parsePrometheusEnvelope(body, what);
  if (env.status === 'error') throw new OpsloopError('server', `${what}: ${env.errorType ?? 'error'}: ${env.error ?? ''}`);
  if (!Array.isArray(env.data)) throw new OpsloopError('server', `${what} answered without a list.`);
  return (env.data as unknown[]).filter((v): v is string => typeof v === 'string');
}

/** A short, safe description of a body for an error message (start of it, length). */
export function describeBody(body: string): string {
  const start = body.slice(0, 60).replace(/\s+/g, ' ');
  return body.length === 0 ? 'an empty body' : `${body.length} bytes starting with ${JSON.stringify(start)}`;
}
