/**
 * Splunk: POST /services/search/jobs/export with `output_mode=json`, read as a stream of JSON
 * lines while it arrives (no job to create, poll and delete). A `timechart` search becomes one
 * series per column; with `by <field>`, the field is the series' label.
 *
 * The export runs a read-only search, so a failed attempt is retried like a GET (the search
 * runs again; nothing is written). Authentication: `Authorization: Bearer <token>` for Splunk
 * authentication tokens (default) or `Splunk <session key>` with `auth: splunk`.
 */
import type { HttpSourceConfig } from '../../core/config/opsloopConfig';
import { OpsloopError } from '../../core/errors';
import type { SeriesResult } from '../../core/telemetry/series';
import { normalizeResult } from '../../core/telemetry/seriesOps';
import type { LogRecord } from '../../core/telemetry/logs';
import { SplunkExportDecoder, splunkErrorMessage, splunkTime, timechartSplitField, type SplunkDecodeOptions } from '../../core/telemetry/splunkApi';
import { buildInfoDeployments } from './buildInfoDeployments';
import { HttpSourceBase } from './httpSourceBase';
import type { DeploymentRequest, DeploymentResult, LogResult, SourceDeps, TelemetrySource, TimeRange } from './telemetrySource';

export class SplunkSource extends HttpSourceBase implements TelemetrySource {
  readonly kind = 'splunk' as const;

  constructor(config: HttpSourceConfig, deps: SourceDeps) {
    super(config, deps);
  }

  async query(q: string, range: TimeRange, signal?: AbortSignal): Promise<SeriesResult> {
    const search = searchCommand(q);
    const splitBy = timechartSplitField(search);
    const decoder = await this.exportSearch(search, range, signal, splitBy !== undefined ? { splitBy, name: this.name } : {});
    return normalizeResult(decoder.end().result);
  }

  /** Events of a search (no timechart) as log records: `_time`, `_raw` as the message, a level field if there is one. */
  async logs(range: TimeRange, signal?: AbortSignal, search?: string): Promise<LogResult> {
    if (search === undefined) throw new OpsloopError('invalidInput', `${this.what}: a log entry for Splunk needs a search.`);
    const decoder = await this.exportSearch(searchCommand(search), range, signal, {});
    const { rows, partial, warnings } = decoder.endRows();
    const records: LogRecord[] = [];
    for (const row of rows) {
      const time = splunkTime(row._time);
      if (time === undefined) continue;
      const levelField = ['level', 'log_level', 'severity'].find((f) => typeof row[f] === 'string');
      const level = levelField ? String(row[levelField]).toLowerCase() : undefined;
      const message = typeof row._raw === 'string' ? row._raw : '';
      records.push(level !== undefined ? { time, level, message, fields: row } : { time, message, fields: row });
    }
    records.sort((a, b) => a.time - b.time);
    return { records, ...(partial.length ? { partial } : {}), ...(warnings.length ? { warnings } : {}) };
  }

  /** One search through `/services/search/jobs/export`, its streamed JSON lines fed to a decoder. */
  private async exportSearch(search: string, range: TimeRange, signal: AbortSignal | undefined, options: SplunkDecodeOptions): Promise<SplunkExportDecoder> {
    if (!(range.end >= range.start)) throw new OpsloopError('invalidInput', 'The end of the range is before its start.');
    const { token } = await this.requireCredentials();
    const scheme = this.config.auth === 'splunk' ? 'Splunk' : 'Bearer';
    let decoder: SplunkExportDecoder | undefined;
    await this.deps.http.request({
      what: `${this.what} search export`,
      url: this.endpoint('/services/search/jobs/export'),
      method: 'POST',
      idempotent: true,
      form: { search, output_mode: 'json', earliest_time: range.start, latest_time: range.end },
      credentials: { origin: this.origin, headers: { Authorization: `${scheme} ${token}` } },
      ...(this.config.headers ? { headers: this.config.headers } : {}),
      errorMessage: splunkErrorMessage,
      stream: () => {
        const d = new SplunkExportDecoder(options);
        decoder = d;
        return (chunk) => d.push(chunk);
      },
      ...(signal ? { signal } : {}),
      ...this.limits(),
    });
    if (!decoder) throw new OpsloopError('server', `${this.what}: the export ended without a body.`);
    return decoder;
  }

  deployments(request: DeploymentRequest, range: TimeRange, signal?: AbortSignal): Promise<DeploymentResult> {
    return buildInfoDeployments(this, this.config, request, range, signal);
  }
}

/** A search as the export endpoint wants it: starting with a command (`search ...` or `| ...`). */
function searchCommand(text: string): string {
  return /^\s*(search\b|\|)/.test(text) ? text.trim() : `search ${text.trim()}`;
}
