/**
 * JSON lines logs (one JSON object per line: pino, bunyan, zap, logrus, Vector, Splunk exports),
 * streaming, and the series that logs give: lines per interval by level, or a numeric field
 * over time (the latency in an access log).
 *
 * A line that is not JSON becomes an issue with its line number; a torn last line (a writer
 * that crashed mid-line) is skipped and reported, never fatal.
 */
import { setLabel } from './labels';
import { LineSplitter } from './lineSplitter';
import { type ParseIssue } from './openMetrics';
import { type Series } from './series';
import { SeriesBuilder } from './seriesBuilder';
import { normalizeSeries } from './seriesOps';
import { parseRfc3339 } from './time';

export interface LogRecord {
  /** Unix seconds. */
  readonly time: number;
  /** Lower-case level name (trace, debug, info, warn, error, fatal) when the record has one. */
  readonly level?: string;
  readonly message: string;
  /** The whole parsed object, for fields the caller wants. */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface JsonLinesResult {
  readonly records: LogRecord[];
  readonly lines: number;
  readonly issues: readonly ParseIssue[];
  readonly issueCount: number;
  /** The last line had no newline and was not valid JSON: a writer was cut off. */
  readonly tornLastLine: boolean;
}

export interface JsonLinesOptions {
  readonly maxIssues?: number;
  /** Stop keeping records after this many (the rest are counted in `lines` only). */
  readonly maxRecords?: number;
}

const timeFields = ['time', 'timestamp', 'ts', '@timestamp', '_time', 't', 'date'];
const levelFields = ['level', 'severity', 'lvl', 'levelname', 'log.level', 'loglevel'];
const messageFields = ['msg', 'message', 'event', 'log', 'text'];

/** pino/bunyan numeric levels. */
const numericLevels: readonly [number, string][] = [
  [60, 'fatal'],
  [50, 'error'],
  [40, 'warn'],
  [30, 'info'],
  [20, 'debug'],
  [10, 'trace'],
];

const levelAliases: Readonly<Record<string, string>> = {
  warning: 'warn',
  err: 'error',
  critical: 'fatal',
  crit: 'fatal',
  panic: 'fatal',
  emerg: 'fatal',
  alert: 'fatal',
  information: 'info',
  notice: 'info',
  dbg: 'debug',
  verbose: 'debug',
};

export class JsonLinesParser {
  private readonly lines = new LineSplitter(
    (text, start, end) => this.line(text.slice(start, end), this.ending),
    undefined,
    () => this.issue('the line is too long; it was skipped'),
  );
  private ending = false;
  private readonly records: LogRecord[] = [];
  private readonly issues: ParseIssue[] = [];
  private issueCount = 0;
  private torn = false;

  constructor(private readonly options: JsonLinesOptions = {}) {}

  push(chunk: string): void {
    this.lines.push(chunk);
  }

  end(): JsonLinesResult {
    // The line handed out now had no line break after it: if it is not JSON, it was cut off.
    this.ending = true;
    this.lines.end();
    return { records: this.records, lines: this.lines.lineNo, issues: this.issues, issueCount: this.issueCount, tornLastLine: this.torn };
  }

  private issue(message: string): void {
    this.issueCount++;
    if (this.issues.length < (this.options.maxIssues ?? 100)) this.issues.push({ line: this.lines.lineNo, message });
  }

  private line(raw: string, last: boolean): void {
    const text = raw.trim();
    if (text === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      if (last) this.torn = true;
      else this.issue('not valid JSON');
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      this.issue('not a JSON object');
      return;
    }
    const record = toLogRecord(parsed as Record<string, unknown>);
    if (typeof record === 'string') {
      this.issue(record);
      return;
    }
    if (this.options.maxRecords === undefined || this.records.length < this.options.maxRecords) this.records.push(record);
  }
}

export function parseJsonLines(text: string, options?: JsonLinesOptions): JsonLinesResult {
  const parser = new JsonLinesParser(options);
  parser.push(text);
  return parser.end();
}

function field(obj: Record<string, unknown>, names: readonly string[]): unknown {
  for (const n of names) {
    if (Object.prototype.hasOwnProperty.call(obj, n)) return obj[n];
  }
  return undefined;
}

/**
 * Epoch numbers in logs come in seconds, milliseconds, microseconds or nanoseconds; their size
 * tells which (a seconds value above 1e11 would be after the year 5000).
 */
export function epochToSeconds(n: number): number {
  const a = Math.abs(n);
  if (a >= 1e17) return n / 1e9;
  if (a >= 1e14) return n / 1e6;
  if (a >= 1e11) return n / 1e3;
  return n;
}

function toLogRecord(obj: Record<string, unknown>): LogRecord | string {
  const rawTime = field(obj, timeFields);
  let time: number | undefined;
  if (typeof rawTime === 'number' && Number.isFinite(rawTime)) time = epochToSeconds(rawTime);
  else if (typeof rawTime === 'string') {
    const n = Number(rawTime);
    time = rawTime.trim() !== '' && Number.isFinite(n) ? epochToSeconds(n) : parseRfc3339(rawTime);
  }
  if (time === undefined) return `no time field (one of: ${timeFields.join(', ')})`;
  const rawLevel = field(obj, levelFields);
  let level: string | undefined;
  if (typeof rawLevel === 'number') level = numericLevels.find(([n]) => rawLevel >= n)?.[1] ?? 'trace';
  else if (typeof rawLevel === 'string' && rawLevel !== '') {
    const l = rawLevel.toLowerCase();
    level = levelAliases[l] ?? l;
  }
  const rawMessage = field(obj, messageFields);
  const message = typeof rawMessage === 'string' ? rawMessage : rawMessage === undefined ? '' : JSON.stringify(rawMessage);
  return level === undefined ? { time, message, fields: obj } : { time, level, message, fields: obj };
}

/**
 * Lines per `step` seconds, one series per level (label `level`, "none" when a record has no
 * level), on the grid start + k·step. Intervals without lines are 0, not gaps: no errors is a
 * fact the logs do tell.
 */
export function logRateSeries(records: readonly LogRecord[], start: number, end: number, step: number, name = 'log_lines'): Series[] {
  const buckets = Math.max(1, Math.floor((end - start) / step) + 1);
  const byLevel = new Map<string, Float64Array>();
  for (const r of records) {
    if (r.time < start || r.time > end + step) continue;
    const b = Math.floor((r.time - start) / step);
    if (b < 0 || b >= buckets) continue;
    const level = r.level ?? 'none';
    let counts = byLevel.get(level);
    if (!counts) {
      counts = new Float64Array(buckets);
      byLevel.set(level, counts);
    }
    counts[b]!++;
  }
  const times = new Float64Array(buckets);
  for (let i = 0; i < buckets; i++) times[i] = start + i * step;
  return [...byLevel.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([level, values]) => {
      const labels: Record<string, string> = {};
      setLabel(labels, 'level', level);
      return { name, labels, times, values };
    });
}

/** A numeric field of the records over time (records without it are skipped), sorted. */
export function fieldSeries(records: readonly LogRecord[], fieldName: string): Series {
  const b = new SeriesBuilder(records.length);
  for (const r of records) {
    const raw = Object.prototype.hasOwnProperty.call(r.fields, fieldName) ? r.fields[fieldName] : undefined;
    const v = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isNaN(v)) b.push(r.time, v);
  }
  const { times, values } = b.build();
  return normalizeSeries({ name: fieldName, labels: {}, times, values }).series;
}
