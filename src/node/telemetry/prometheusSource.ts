/**
 * Prometheus HTTP API (and everything that speaks it: VictoriaMetrics, Thanos, Mimir, Cortex).
 *
 * - query_range, sent as a form POST (long PromQL stays out of the URL; the API documents POST
 *   for exactly this, and it is read-only, so it is retried like a GET);
 * - the step is chosen from the range unless given, never finer than the source's minStep;
 * - ranges over 11,000 points per series are split on the step grid and fetched two at a time;
 *   a server with a lower limit (its error says "maximum resolution") gets halves instead;
 * - `warnings` of an answer (a Thanos store that did not answer, ...) mark that piece of the
 *   range partial; a piece that fails after its retries is a partial gap, and only when every
 *   piece fails does the query fail;
 * - labels: /api/v1/labels and /api/v1/label/<name>/values for completion;
 * - deployments from `*_build_info{revision=...}`, with each deployment's time refined to the
 *   first raw sample of the new revision.
 */
import { OpsloopError } from '../../core/errors';
import { decodePrometheusQuery, decodePrometheusStrings, prometheusErrorMessage } from '../../core/telemetry/prometheusApi';
import { formatSelector, parseSelector, type Selector } from '../../core/telemetry/selector';
import type { DataGap, SeriesResult } from '../../core/telemetry/series';
import { mergeResults, normalizeResult } from '../../core/telemetry/seriesOps';
import { chooseStep, splitRange, type RangeChunk } from '../../core/telemetry/time';
import type { Credentials } from '../http/httpClient';
import { buildInfoDeployments } from './buildInfoDeployments';
import { HttpSourceBase } from './httpSourceBase';
import {
  type DeploymentRequest,
  type DeploymentResult,
  type LabelRequest,
  type TelemetrySource,
  type TimeRange,
  mapLimit,
} from './telemetrySource';

/** The Prometheus server refuses more points than this per series in one query_range. */
export const prometheusMaxPoints = 11_000;

export class PrometheusSource extends HttpSourceBase implements TelemetrySource {
  readonly kind = 'prometheus' as const;
  /** Points per series per request; tests and servers with other limits change it. */
  maxPoints = prometheusMaxPoints;

  private async credentials(): Promise<Credentials | undefined> {
    if (this.config.auth === 'none') return undefined;
    const c = await this.deps.credentials(this.config);
    if (!c?.token) return undefined;
    const value = this.config.auth === 'basic' ? `Basic ${Buffer.from(c.token, 'utf8').toString('base64')}` : `Bearer ${c.token}`;
    return { origin: this.origin, headers: { Authorization: value } };
  }

  async query(q: string, range: TimeRange, signal?: AbortSignal): Promise<SeriesResult> {
    if (!(range.end >= range.start)) throw new OpsloopError('invalidInput', 'The end of the range is before its start.');
    const step = range.step ?? chooseStep(range.start, range.end, { minStep: this.config.minStepSeconds ?? 15, targetPoints: this.maxPoints });
    const credentials = await this.credentials();
    const chunks = splitRange(range.start, range.end, step, this.maxPoints);
    const pieces = await mapLimit(chunks, this.deps.concurrency ?? 2, (chunk) => this.fetchChunk(q, chunk, step, credentials, signal, 0));
    const results: SeriesResult[] = [];
    const failures: { chunk: RangeChunk; error: OpsloopError }[] = [];
    for (const p of pieces) {
      results.push(...p.results);
      failures.push(...p.failures);
    }
    if (failures.length > 0 && results.length === 0) throw failures[0]!.error;
    if (signal?.aborted) throw new OpsloopError('cancelled', `${this.what}: cancelled.`);
    const gaps: DataGap[] = failures.map((f) => ({ reason: f.error.message, from: f.chunk.start, to: f.chunk.end }));
    const merged = mergeResults(gaps.length ? [...results, { series: [], partial: gaps }] : results);
    return normalizeResult(merged);
  }

  /** One piece of the range; a "too many points" refusal splits it in halves. */
  private async fetchChunk(
    q: string,
    chunk: RangeChunk,
    step: number,
    credentials: Credentials | undefined,
    signal: AbortSignal | undefined,
    depth: number,
  ): Promise<{ results: SeriesResult[]; failures: { chunk: RangeChunk; error: OpsloopError }[] }> {
    try {
      const response = await this.deps.http.request({
        what: `${this.what} query_range`,
        url: this.endpoint('/api/v1/query_range'),
        method: 'POST',
        idempotent: true,
        form: { query: q, start: chunk.start, end: chunk.end, step },
        binary: true,
        ...(credentials ? { credentials } : {}),
        ...(this.config.headers ? { headers: this.config.headers } : {}),
        errorMessage: prometheusErrorMessage,
        ...(signal ? { signal } : {}),
        ...this.limits(),
      });
      const { result } = decodePrometheusQuery(response.body ?? response.text, q, this.what);
      // Warnings mean the server answered with what it had (e.g. a store did not respond).
      const partial: DataGap[] = (result.warnings ?? []).filter((w) => !w.includes('(info)')).map((reason) => ({ reason, from: chunk.start, to: chunk.end }));
      const warnings = (result.warnings ?? []).filter((w) => w.includes('(info)'));
      return { results: [{ series: result.series, ...(partial.length ? { partial } : {}), ...(warnings.length ? { warnings } : {}) }], failures: [] };
    } catch (error) {
      if (!(error instanceof OpsloopError)) throw error;
      if (error.kind === 'cancelled') throw error;
      const tooMany = error.kind === 'invalidInput' && /maximum resolution|too many points|maxPointsPerTimeseries/i.test(error.message);
      if (tooMany && depth < 6 && chunk.end - chunk.start >= 2 * step) {
        const points = Math.floor((chunk.end - chunk.start) / step) + 1;
        const halves = splitRange(chunk.start, chunk.end, step, Math.ceil(points / 2));
        const parts = await Promise.all(halves.map((h) => this.fetchChunk(q, h, step, credentials, signal, depth + 1)));
        return { results: parts.flatMap((p) => p.results), failures: parts.flatMap((p) => p.failures) };
      }
      // Errors in the request itself (a bad query, a missing token) are the same for every piece.
      if (error.kind === 'invalidInput' || error.kind === 'unauthorized' || error.kind === 'forbidden' || error.kind === 'notFound') throw error;
      return { results: [], failures: [{ chunk, error }] };
    }
  }

  async labels(request: LabelRequest, signal?: AbortSignal): Promise<string[]> {
    const credentials = await this.credentials();
    const path = request.label === undefined ? '/api/v1/labels' : `/api/v1/label/${encodeURIComponent(request.label)}/values`;
    const response = await this.deps.http.request({
      what: `${this.what} ${request.label === undefined ? 'label names' : `values of ${request.label}`}`,
      url: this.endpoint(path),
      query: {
        ...(request.match !== undefined ? { 'match[]': [request.match] } : {}),
        ...(request.range ? { start: request.range.start, end: request.range.end } : {}),
      },
      ...(credentials ? { credentials } : {}),
      ...(this.config.headers ? { headers: this.config.headers } : {}),
      errorMessage: prometheusErrorMessage,
      ...(signal ? { signal } : {}),
      ...this.limits(),
    });
    return decodePrometheusStrings(response.text, this.what).sort();
  }

  async deployments(request: DeploymentRequest, range: TimeRange, signal?: AbortSignal): Promise<DeploymentResult> {
    const step = range.step ?? chooseStep(range.start, range.end, { minStep: this.config.minStepSeconds ?? 15, targetPoints: this.maxPoints });
    const found = await buildInfoDeployments(this, this.config, request, { ...range, step }, signal);
    let selector: Selector | undefined;
    try {
      selector = parseSelector(request.query);
    } catch {
      return found; // a computed query: the step grid is as precise as it gets
    }
    const label = request.revisionLabel ?? 'revision';
    const credentials = await this.credentials();
    // The query_range point at t stands for a raw sample in (t - lookback, t]; ask for the raw
    // samples of the new revision just before t and take the first one.
    const window = Math.ceil(step + 300);
    const refined = await mapLimit(found.deployments.slice(0, 50), this.deps.concurrency ?? 2, async (d) => {
      const text = formatSelector(selector!, [{ name: label, op: '=', value: d.revision }]);
      try {
        const response = await this.deps.http.request({
          what: `${this.what} query`,
          url: this.endpoint('/api/v1/query'),
          method: 'POST',
          idempotent: true,
          form: { query: `${text}[${window}s]`, time: d.time },
          ...(credentials ? { credentials } : {}),
          ...(this.config.headers ? { headers: this.config.headers } : {}),
          errorMessage: prometheusErrorMessage,
          ...(signal ? { signal } : {}),
          ...this.limits(),
        });
        const { result } = decodePrometheusQuery(response.text, text, this.what);
        const times: number[] = [];
        for (const s of result.series) {
          for (let i = 0; i < s.times.length; i++) if (s.values[i] !== 0 && !Number.isNaN(s.values[i]!) && s.times[i]! <= d.time) times.push(s.times[i]!);
        }
        const first = startOfLastRun(times) ?? d.time;
        return first === d.time ? d : { ...d, time: first, id: d.id.replace(/:[^:]*$/, `:${first}`) };
      } catch (error) {
        if (OpsloopError.is(error, 'cancelled')) throw error;
        return d;
      }
    });
    return { ...found, deployments: [...refined, ...found.deployments.slice(50)].sort((a, b) => a.time - b.time) };
  }
}

/**
 * The earliest time of the last unbroken run of samples: walking back from the latest sample,
 * a pause of more than three typical intervals ends the run (an earlier stint of the same
 * revision, before a rollback, is not its deployment).
 */
export function startOfLastRun(times: number[]): number | undefined {
  if (times.length === 0) return undefined;
  const sorted = [...new Set(times)].sort((a, b) => a - b);
  if (sorted.length === 1) return sorted[0];
  const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!).sort((a, b) => a - b);
  const typical = gaps[gaps.length >> 1]!;
  let i = sorted.length - 1;
  while (i > 0 && sorted[i]! - sorted[i - 1]! <= 3 * typical) i--;
  return sorted[i];
}
