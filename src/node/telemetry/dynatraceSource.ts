/**
 * Dynatrace Metrics API v2: GET /api/v2/metrics/query with `metricSelector`, `resolution`,
 * `from`/`to` (milliseconds) and `Authorization: Api-Token <token>`. Pages follow
 * `nextPageKey`; a follow-up request carries only `nextPageKey`, as the API requires.
 * The resolution is chosen from the range so a series stays under the API's 10,080 points per
 * tuple (minimum 1m).
 */
import type { HttpSourceConfig } from '../../core/config/opsloopConfig';
import { OpsloopError } from '../../core/errors';
import { decodeDynatraceMetrics, dynatraceErrorMessage, dynatraceResolution } from '../../core/telemetry/dynatraceApi';
import type { Series, SeriesResult } from '../../core/telemetry/series';
import { mergeResults, normalizeResult } from '../../core/telemetry/seriesOps';
import { chooseStep } from '../../core/telemetry/time';
import { buildInfoDeployments } from './buildInfoDeployments';
import { HttpSourceBase } from './httpSourceBase';
import type { DeploymentRequest, DeploymentResult, SourceDeps, TelemetrySource, TimeRange } from './telemetrySource';

/** More pages than this is a selector that matches far too much. */
const maxPages = 200;

export class DynatraceSource extends HttpSourceBase implements TelemetrySource {
  readonly kind = 'dynatrace' as const;

  constructor(config: HttpSourceConfig, deps: SourceDeps) {
    super(config, deps);
  }

  async query(q: string, range: TimeRange, signal?: AbortSignal): Promise<SeriesResult> {
    if (!(range.end >= range.start)) throw new OpsloopError('invalidInput', 'The end of the range is before its start.');
    const { token } = await this.requireCredentials();
    const step = range.step ?? chooseStep(range.start, range.end, { minStep: Math.max(60, this.config.minStepSeconds ?? 60), targetPoints: 10_000 });
    const credentials = { origin: this.origin, headers: { Authorization: `Api-Token ${token}` } };
    const series: Series[] = [];
    const warnings: string[] = [];
    let nextPageKey: string | undefined;
    let pages = 0;
    do {
      const query = nextPageKey !== undefined
        ? { nextPageKey }
        : { metricSelector: q, resolution: dynatraceResolution(step), from: Math.floor(range.start * 1000), to: Math.ceil(range.end * 1000) };
      const response = await this.deps.http.request({
        what: `${this.what} metrics query`,
        url: this.endpoint('/api/v2/metrics/query'),
        query,
        credentials,
        ...(this.config.headers ? { headers: this.config.headers } : {}),
        errorMessage: dynatraceErrorMessage,
        ...(signal ? { signal } : {}),
        ...this.limits(),
      });
      const page = decodeDynatraceMetrics(response.text);
      series.push(...page.series);
      warnings.push(...page.warnings);
      nextPageKey = page.nextPageKey;
      pages++;
    } while (nextPageKey !== undefined && pages < maxPages);
    const partial = nextPageKey !== undefined ? [{ reason: `${this.what}: stopped after ${maxPages} pages; narrow the metric selector.`, from: range.start, to: range.end }] : [];
    // Pages may split one series' dimensions differently; merging joins what belongs together.
    return normalizeResult(mergeResults([{ series, ...(warnings.length ? { warnings } : {}), ...(partial.length ? { partial } : {}) }]));
  }

  deployments(request: DeploymentRequest, range: TimeRange, signal?: AbortSignal): Promise<DeploymentResult> {
    return buildInfoDeployments(this, this.config, request, range, signal);
  }
}
