import { isHttpSource } from '../../core/config/opsloopConfig';
import { OpsloopError } from '../../core/errors';
import type { DataGap, Series, SeriesResult } from '../../core/telemetry/series';
import { finiteStats } from '../../core/telemetry/seriesOps';
import { formatRfc3339, parseDuration, parseTimeSpec } from '../../core/telemetry/time';
import { HttpClient } from '../../node/http/httpClient';
import { createTelemetrySource } from '../../node/telemetry/createSource';
import { envCredentials, envName } from '../../node/telemetry/envCredentials';
import { loadWorkspaceConfig } from '../../node/telemetry/workspaceConfig';
import { parseArgs } from '../args';
import { type CliCommand, type CliIO, ExitCode } from '../cliCommand';

/**
 * `opsloop query`: a query against a configured telemetry source, printed as a summary or as
 * JSON. The JSON form is a contract (docs/telemetry.md): fields are only ever added.
 */
export interface QueryJson {
  readonly series: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>>; readonly times: readonly number[]; readonly values: readonly (number | string | null)[] }[];
  /** Parts of the range without data, and why (present only when the answer is partial). */
  readonly partial?: readonly DataGap[];
  readonly warnings?: readonly string[];
  readonly range: { readonly start: number; readonly end: number; readonly step?: number };
}

/** NaN is null (no value), ±Inf are "+Inf"/"-Inf" as Prometheus writes them: JSON has no such numbers. */
function jsonValue(v: number): number | string | null {
  if (Number.isNaN(v)) return null;
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return v;
}

export function queryToJson(result: SeriesResult, range: { start: number; end: number; step?: number }): QueryJson {
  return {
    series: result.series.map((s) => ({ name: s.name, labels: { ...s.labels }, times: Array.from(s.times), values: Array.from(s.values, jsonValue) })),
    ...(result.partial && result.partial.length > 0 ? { partial: result.partial } : {}),
    ...(result.warnings && result.warnings.length > 0 ? { warnings: result.warnings } : {}),
    range,
  };
}

function describeSeries(s: Series): string {
  const labels = Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(s.labels[k])}`)
    .join(', ');
  return `${s.name}{${labels}}`;
}

function number(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(Math.round(v * 1e4) / 1e4);
}

export function formatQueryText(result: SeriesResult, range: { start: number; end: number }): string {
  const out: string[] = [];
  if (result.series.length === 0) out.push(`No series matched between ${formatRfc3339(range.start)} and ${formatRfc3339(range.end)}.`);
  for (const s of result.series) {
    const n = s.times.length;
    const stats = finiteStats(s.values);
    const gaps = n - stats.count;
    out.push(describeSeries(s));
    if (n === 0) {
      out.push('  no points');
      continue;
    }
    out.push(
      `  ${n} points, ${formatRfc3339(s.times[0]!)} .. ${formatRfc3339(s.times[n - 1]!)}${gaps > 0 ? `, ${gaps} without a finite value` : ''}`,
      `  min ${number(stats.min)}  mean ${number(stats.mean)}  max ${number(stats.max)}  last ${number(s.values[n - 1]!)}`,
    );
  }
  for (const g of result.partial ?? []) {
    const where = g.from !== undefined && g.to !== undefined ? ` (${formatRfc3339(g.from)} .. ${formatRfc3339(g.to)})` : '';
    out.push(`PARTIAL${where}: ${g.reason}`);
  }
  for (const w of result.warnings ?? []) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}

export const queryCommand: CliCommand = {
  name: 'query',
  summary: 'Query a telemetry source of .opsloop.yml and print the series.',
  usage: `Usage: opsloop query --source NAME --query Q [--from T] [--to T] [--step S] [--json] [--config FILE]
       opsloop query --query NAME-OF-A-CONFIGURED-QUERY [...]

Runs a query against a telemetry source named in .opsloop.yml (Prometheus, Dynatrace, Splunk,
Datadog or a file) and prints each series: its points, time span and min/mean/max. Long
Prometheus ranges are split into requests the server accepts.

Options:
  --source NAME   The source under telemetry.sources.
  --query Q       The query in the source's language (PromQL, metric selector, search...), or the
                  name of a query under telemetry.queries (then --source is optional).
  --from T        Start: now, -6h, now-30m, Unix seconds or RFC 3339 (default -1h).
  --to T          End (default now).
  --step S        Seconds between points, e.g. 15s or 1m (default: from the range).
  --json          Print {"series":[{"name","labels","times","values"}],"partial","warnings","range"}:
                  times in Unix seconds, NaN as null, infinities as "+Inf"/"-Inf".
  --config FILE   Read this configuration file instead of .opsloop.yml in the current folder.

Tokens come from the environment (never from the file): OPSLOOP_TOKEN_<SOURCE>, and for Datadog
also OPSLOOP_APP_KEY_<SOURCE>, where <SOURCE> is the source name in upper case with other
characters as _. OPSLOOP_ORIGIN_<SOURCE> pins the origin the token may go to (required when
CI is set). Proxies: HTTPS_PROXY, HTTP_PROXY, NO_PROXY.

Exit status: 0 when the query ran (also when the answer is partial: see "PARTIAL" lines or the
"partial" field), 1 when it failed, 2 on bad usage.
`,
  async run(args: readonly string[], io: CliIO): Promise<number> {
    const { options, positionals } = parseArgs(args, {
      source: { type: 'string', short: 's' },
      query: { type: 'string', short: 'q' },
      from: { type: 'string' },
      to: { type: 'string' },
      step: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string' },
    });
    if (positionals.length > 0) throw new OpsloopError('invalidInput', `unexpected argument '${positionals[0]}' (give the query with --query).`);
    const queryText = options.query as string | undefined;
    if (!queryText) throw new OpsloopError('invalidInput', 'give a query with --query (and the source with --source).');
    const workspace = await loadWorkspaceConfig(io.cwd, options.config as string | undefined);
    if (!workspace) throw new OpsloopError('invalidInput', `no .opsloop.yml in ${io.cwd}: telemetry sources are configured there (see docs/telemetry.md), or name one with --config.`);
    for (const d of workspace.diagnostics.filter((x) => x.severity === 'error')) io.stderr(`${workspace.file}:${d.range.line}:${d.range.column}: ${d.message}\n`);
    const { config } = workspace;

    const named = config.queries.find((q) => q.name === queryText);
    const sourceName = (options.source as string | undefined) ?? named?.source;
    if (!sourceName) {
      const names = config.sources.map((s) => s.name).join(', ');
      throw new OpsloopError('invalidInput', `name the source with --source${names ? ` (sources: ${names})` : ''}.`);
    }
    const sourceConfig = config.sources.find((s) => s.name === sourceName);
    if (!sourceConfig) {
      throw new OpsloopError('invalidInput', `no source is named '${sourceName}' in ${workspace.file}${config.sources.length ? ` (sources: ${config.sources.map((s) => s.name).join(', ')})` : ''}.`);
    }
    const q = named && named.source === sourceConfig.name ? named.query : queryText;

    const now = Date.now() / 1000;
    const start = parseTimeSpec((options.from as string | undefined) ?? '-1h', now);
    const end = parseTimeSpec((options.to as string | undefined) ?? 'now', now);
    if (!(end > start)) throw new OpsloopError('invalidInput', `--to (${formatRfc3339(end)}) must be after --from (${formatRfc3339(start)}).`);
    const stepText = (options.step as string | undefined) ?? (named?.stepSeconds !== undefined ? String(named.stepSeconds) : undefined);
    const step = stepText !== undefined ? parseDuration(stepText) : undefined;
    if (step !== undefined && !(step > 0)) throw new OpsloopError('invalidInput', '--step must be more than 0 seconds.');
    const range = { start, end, ...(step !== undefined ? { step } : {}) };

    const http = new HttpClient({ proxy: 'environment', userAgent: 'opsloop-cli' });
    const source = createTelemetrySource(sourceConfig, {
      http,
      credentials: envCredentials(io.env, io.stderr),
      root: io.cwd,
      allowOutsideRoot: true,
      concurrency: 2,
    });
    let result: SeriesResult;
    try {
      result = await source.query(q, range, io.signal);
    } catch (error) {
      if (OpsloopError.is(error) && (error.kind === 'unauthorized' || error.kind === 'forbidden') && isHttpSource(sourceConfig)) {
        const key = envName(sourceConfig.name);
        throw new OpsloopError(error.kind, `${error.message} Set OPSLOOP_TOKEN_${key}${sourceConfig.kind === 'datadog' ? ` and OPSLOOP_APP_KEY_${key}` : ''}.`, undefined, { cause: error });
      }
      throw error;
    }
    if (options.json) io.stdout(`${JSON.stringify(queryToJson(result, range))}\n`);
    else io.stdout(formatQueryText(result, range));
    if (result.partial && result.partial.length > 0) io.stderr(`opsloop query: the answer is partial (${result.partial.length} gap${result.partial.length === 1 ? '' : 's'}).\n`);
    return ExitCode.ok;
  },
};
