/**
 * Files: the source that needs no server. OpenMetrics text with timestamps (what promtool
 * loads), the Prometheus text format, CSV (`timestamp,value`, long form with labels, or wide),
 * and JSON lines logs. Read as a stream in 1 MB pieces through the core parsers.
 *
 * Queries are series selectors (`checkout_latency_p99_seconds{service="checkout"}`). For a JSON
 * lines file, `log_lines{level="error"}` counts lines per step, and any other name is a numeric
 * field of the records (`latency_ms{service="checkout"}`, matching on the records' fields).
 *
 * Paths are relative to the workspace; one that leads outside it (also through a symlink) is
 * read only when the workspace is trusted. Files up to 64 MB are parsed once and kept until
 * they change (size or modification time).
 */
import { createReadStream, promises as fs } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { type FileSourceConfig, fileFormatOf } from '../../core/config/opsloopConfig';
import { OpsloopError } from '../../core/errors';
import { CsvSeriesParser } from '../../core/telemetry/csv';
import { labelValue } from '../../core/telemetry/labels';
import { JsonLinesParser, type LogRecord, fieldSeries, logRateSeries } from '../../core/telemetry/logs';
import { OpenMetricsParser, type ParseIssue } from '../../core/telemetry/openMetrics';
import { parseSelector } from '../../core/telemetry/selector';
import type { DataGap, Series, SeriesResult } from '../../core/telemetry/series';
import { lowerBound, upperBound } from '../../core/telemetry/seriesOps';
import { chooseStep } from '../../core/telemetry/time';
import { buildInfoDeployments } from './buildInfoDeployments';
import { type DeploymentRequest, type DeploymentResult, type LabelRequest, type LogResult, type SourceDeps, type TelemetrySource, type TimeRange, describeSource } from './telemetrySource';

/** Parsed files kept in memory: only small ones. */
const cacheLimitBytes = 64 * 1024 * 1024;
/** Larger files are refused: they belong in a TSDB (promtool can load OpenMetrics into one). */
export const maxFileBytes = 2 * 1024 * 1024 * 1024;

interface Parsed {
  readonly series: Series[];
  readonly records?: LogRecord[];
  readonly issues: readonly ParseIssue[];
  readonly issueCount: number;
  readonly warnings: readonly string[];
}

interface CacheEntry {
  readonly key: string;
  readonly parsed: Parsed;
}

export class FileSource implements TelemetrySource {
  readonly name: string;
  readonly kind = 'file' as const;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly what: string;

  constructor(
    private readonly config: FileSourceConfig,
    private readonly deps: SourceDeps,
  ) {
    this.name = config.name;
    this.what = describeSource(config);
  }

  get format(): 'openmetrics' | 'prometheus' | 'csv' | 'jsonl' {
    const f = fileFormatOf(this.config);
    if (!f) throw new OpsloopError('invalidInput', `${this.what}: cannot tell the format of '${this.config.path}' from its name; add format: openmetrics, prometheus, csv or jsonl.`);
    return f;
  }

  /** The absolute path, after checking it stays inside the workspace unless that is allowed. */
  async resolvePath(path = this.config.path): Promise<string> {
    const abs = resolve(this.deps.root, path);
    let real: string;
    try {
      real = await fs.realpath(abs);
    } catch {
      throw new OpsloopError('notFound', `${this.what}: ${path} does not exist (looked in ${abs}).`);
    }
    if (!this.deps.allowOutsideRoot) {
      const root = await fs.realpath(this.deps.root).catch(() => this.deps.root);
      const rel = relative(root, real);
      if (rel.startsWith('..') || isAbsolute(rel)) {
        throw new OpsloopError('untrusted', `${this.what}: ${path} is outside the workspace; Opsloop reads it only in a trusted workspace.`, 'Manage Workspace Trust');
      }
    }
    return real;
  }

  /** Parses the whole file (all series), from the cache when the file did not change. */
  async load(signal?: AbortSignal, accept?: (name: string, labels: Readonly<Record<string, string>>) => boolean, path = this.config.path): Promise<Parsed> {
    const file = await this.resolvePath(path);
    const stat = await fs.stat(file);
    if (stat.size > maxFileBytes) throw new OpsloopError('tooLarge', `${this.what}: ${path} is ${Math.round(stat.size / 1e6)} MB; file sources read up to ${maxFileBytes / 1024 ** 3} GB.`);
    const format = path === this.config.path ? this.format : 'jsonl';
    const key = `${file}\u0000${stat.size}\u0000${stat.mtimeMs}\u0000${format}`;
    const cached = this.cache.get(file);
    if (cached?.key === key) return cached.parsed;
    const cacheable = stat.size <= cacheLimitBytes;
    const parsed = await this.parse(file, format, signal, cacheable ? undefined : accept, stat.mtimeMs / 1000);
    if (cacheable) {
      if (this.cache.size >= 8) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(file, { key, parsed });
    }
    return parsed;
  }

  private async parse(file: string, format: string, signal: AbortSignal | undefined, accept: ((name: string, labels: Readonly<Record<string, string>>) => boolean) | undefined, mtime: number): Promise<Parsed> {
    if (signal?.aborted) throw new OpsloopError('cancelled', `${this.what}: cancelled.`);
    // OpenMetrics is parsed from bytes (only new series' text is decoded); the others read text.
    const binary = format === 'openmetrics' || format === 'prometheus';
    const stream = binary ? createReadStream(file, { highWaterMark: 1024 * 1024 }) : createReadStream(file, { encoding: 'utf8', highWaterMark: 1024 * 1024 });
    const onAbort = (): void => {
      stream.destroy(new OpsloopError('cancelled', `${this.what}: cancelled.`));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (format === 'jsonl') {
        const parser = new JsonLinesParser();
        for await (const chunk of stream) parser.push(chunk as string);
        const r = parser.end();
        const warnings = r.tornLastLine ? [`${this.config.path}: the last line is cut off (a writer stopped mid-line); it was skipped.`] : [];
        return { series: [], records: r.records, issues: r.issues, issueCount: r.issueCount, warnings };
      }
      if (format === 'csv') {
        const parser = new CsvSeriesParser({ ...(this.config.timestampUnit ? { timestampUnit: this.config.timestampUnit } : {}), name: this.name, ...(accept ? { accept } : {}) });
        for await (const chunk of stream) parser.push(chunk as string);
        const r = parser.end();
        return { series: r.series, issues: r.issues, issueCount: r.issueCount, warnings: r.warnings };
      }
      const parser = new OpenMetricsParser({
        timestampUnit: format === 'prometheus' ? 'milliseconds' : 'seconds',
        // A scraped /metrics page has no timestamps: its samples are as of the file's last change.
        defaultTime: mtime,
        ...(accept ? { accept } : {}),
      });
      for await (const chunk of stream) parser.push(chunk as Buffer);
      const r = parser.end();
      const warnings = [...r.warnings];
      if (format === 'openmetrics' && !r.sawEof && r.samples > 0) warnings.push(`${this.config.path} does not end with "# EOF": it may have been cut off.`);
      return { series: r.series, issues: r.issues, issueCount: r.issueCount, warnings };
    } catch (error) {
      if (OpsloopError.is(error)) throw error;
      throw new OpsloopError('network', `${this.what}: could not read ${this.config.path}: ${(error as Error).message}`, undefined, { cause: error });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private issuesAsGaps(parsed: Parsed, path: string): DataGap[] {
    if (parsed.issueCount === 0) return [];
    const first = parsed.issues.slice(0, 3).map((i) => `line ${i.line}: ${i.message}`).join('; ');
    return [{ reason: `${parsed.issueCount} line${parsed.issueCount === 1 ? '' : 's'} of ${path} could not be read (${first}${parsed.issueCount > 3 ? '; ...' : ''}).` }];
  }

  async query(q: string, range: TimeRange, signal?: AbortSignal): Promise<SeriesResult> {
    if (!(range.end >= range.start)) throw new OpsloopError('invalidInput', 'The end of the range is before its start.');
    const selector = parseSelector(q);
    const parsed = await this.load(signal, (name, labels) => selector.matches(name, labels));
    const partial = this.issuesAsGaps(parsed, this.config.path);
    let series: Series[];
    if (parsed.records) {
      const inRange = parsed.records.filter((r) => r.time >= range.start && r.time <= range.end);
      if (selector.metric === 'log_lines' || selector.metric === undefined) {
        const step = range.step ?? chooseStep(range.start, range.end, { minStep: 60, targetPoints: 2000 });
        series = logRateSeries(inRange, range.start, range.end, step).filter((s) => selector.matches(s.name, s.labels));
      } else {
        const matching = inRange.filter((r) => selector.matches(selector.metric!, stringFields(r.fields)));
        const s = fieldSeries(matching, selector.metric);
        series = s.times.length > 0 ? [s] : [];
      }
    } else {
      series = parsed.series
        .filter((s) => selector.matches(s.name, s.labels))
        .map((s) => {
          const lo = lowerBound(s.times, range.start);
          const hi = upperBound(s.times, range.end);
          return { name: s.name, labels: s.labels, times: s.times.slice(lo, hi), values: s.values.slice(lo, hi) };
        })
        .filter((s) => s.times.length > 0);
    }
    return {
      series,
      ...(partial.length ? { partial } : {}),
      ...(parsed.warnings.length ? { warnings: [...parsed.warnings] } : {}),
    };
  }

  async labels(request: LabelRequest, signal?: AbortSignal): Promise<string[]> {
    const parsed = await this.load(signal);
    const selector = request.match !== undefined ? parseSelector(request.match) : undefined;
    const out = new Set<string>();
    const series = parsed.records ? [] : parsed.series;
    for (const s of series) {
      if (selector && !selector.matches(s.name, s.labels)) continue;
      if (request.label === undefined) {
        out.add('__name__');
        for (const k of Object.keys(s.labels)) out.add(k);
      } else if (request.label === '__name__') out.add(s.name);
      else {
        const v = labelValue(s.labels, request.label);
        if (v !== undefined) out.add(v);
      }
    }
    return [...out].sort();
  }

  deployments(request: DeploymentRequest, range: TimeRange, signal?: AbortSignal): Promise<DeploymentResult> {
    return buildInfoDeployments(this, this.config, request, range, signal);
  }

  /** Log records in the range: the source's own file when it is JSON lines, or `path` (a log entry's file). */
  async logs(range: TimeRange, signal?: AbortSignal, path?: string): Promise<LogResult> {
    const file = path ?? this.config.path;
    if (path === undefined && this.format !== 'jsonl') throw new OpsloopError('invalidInput', `${this.what} is not a JSON lines file; logs come from .jsonl files.`);
    const parsed = await this.load(signal, undefined, file);
    const records = (parsed.records ?? []).filter((r) => r.time >= range.start && r.time <= range.end).sort((a, b) => a.time - b.time);
    const partial = this.issuesAsGaps(parsed, file);
    return { records, ...(partial.length ? { partial } : {}), ...(parsed.warnings.length ? { warnings: [...parsed.warnings] } : {}) };
  }
}

function stringFields(fields: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') Object.defineProperty(out, k, { value: String(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
