/**
 * Datadog: GET /api/v1/query?from=<s>&to=<s>&query=... with `DD-API-KEY` and
 * `DD-APPLICATION-KEY`. Datadog rolls points up by itself for long ranges (add
 * `.rollup(avg, 60)` to the query to choose). On 429 it says when to come back in
 * `X-RateLimit-Reset` (seconds), which the client honours like Retry-After.
 */
import type { HttpSourceConfig } from '../../core/config/opsloopConfig';
import { OpsloopError } from '../../core/errors';
import { datadogErrorMessage, decodeDatadogQuery } from '../../core/telemetry/datadogApi';
import type { SeriesResult } from '../../core/telemetry/series';
import { normalizeResult } from '../../core/telemetry/seriesOps';
import { buildInfoDeployments } from './buildInfoDeployments';
import { HttpSourceBase } from './httpSourceBase';
import type { DeploymentRequest, DeploymentResult, SourceDeps, TelemetrySource, TimeRange } from './telemetrySource';

export class DatadogSource extends HttpSourceBase implements TelemetrySource {
  readonly kind = 'datadog' as const;

  constructor(config: HttpSourceConfig, deps: SourceDeps) {
    super(config, deps);
  }

  async query(q: string, range: TimeRange, signal?: AbortSignal): Promise<SeriesResult> {
    if (!(range.end >= range.start)) throw new OpsloopError('invalidInput', 'The end of the range is before its start.');
    const { token, applicationKey } = await this.requireCredentials(true);
    const response = await this.deps.http.request({
      what: `${this.what} query`,
      url: this.endpoint('/api/v1/query'),
      query: { from: Math.floor(range.start), to: Math.ceil(range.end), query: q },
      credentials: { origin: this.origin, headers: { 'DD-API-KEY': token, 'DD-APPLICATION-KEY': applicationKey! } },
      ...(this.config.headers ? { headers: this.config.headers } : {}),
      errorMessage: datadogErrorMessage,
      retryAfterHeaders: ['x-ratelimit-reset'],
      ...(signal ? { signal } : {}),
      ...this.limits(),
    });
    return normalizeResult(decodeDatadogQuery(response.text).result);
  }

  deployments(request: DeploymentRequest, range: TimeRange, signal?: AbortSignal): Promise<DeploymentResult> {
    return buildInfoDeployments(this, this.config, request, range, signal);
  }
}
