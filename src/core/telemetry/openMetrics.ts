/**
 * OpenMetrics text (and the Prometheus text format it grew from) with timestamps: the format
 * `promtool tsdb create-blocks-from openmetrics` loads, and the embedded default file source.
 *
 * Streaming: feed text chunks of any size with `push`, call `end` once. Bad lines do not stop
 * the parse; each becomes an issue with its line number (the first `maxIssues` are kept, all are
 * counted). Labels are parsed once per distinct series, so the cost per sample is a scan of the
 * line and two number conversions.
 */
import { hasLabel, setLabel } from './labels';
import { LineSplitter } from './lineSplitter';
import { SeriesBuilder } from './seriesBuilder';
import { type Series } from './series';
import { describeNormalizeReport, normalizeSeries } from './seriesOps';

export interface ParseIssue {
  /** 1-based line in the input. */
  readonly line: number;
  readonly message: string;
}

export interface OpenMetricsOptions {
  /** OpenMetrics timestamps are seconds; the older Prometheus text format uses milliseconds. */
  readonly timestampUnit?: 'seconds' | 'milliseconds';
  /** Keeps only the series this returns true for (decided once per series). */
  readonly accept?: (name: string, labels: Readonly<Record<string, string>>) => boolean;
  /** Time for samples that carry none (e.g. a scraped /metrics page); without it they are issues. */
  readonly defaultTime?: number;
  readonly maxIssues?: number;
  /** Longer lines are skipped and reported (default 16 MB). */
  readonly maxLineLength?: number;
}

export interface OpenMetricsResult {
  /** Series in order of first appearance, sorted by time, duplicate timestamps removed. */
  readonly series: Series[];
  /** Metric family name → type, from `# TYPE` lines. */
  readonly types: Readonly<Record<string, string>>;
  readonly samples: number;
  readonly issues: readonly ParseIssue[];
  readonly issueCount: number;
  /** Whether the input ended with `# EOF` (OpenMetrics requires it; a missing one may mean a cut-off file). */
  readonly sawEof: boolean;
  /** What normalization repaired (out-of-order samples, duplicates), as sentences. */
  readonly warnings: readonly string[];
}

interface Entry {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly builder: SeriesBuilder;
}

export class OpenMetricsParser {
  private readonly lines: LineSplitter;
  private readonly entries = new Map<string, Entry | null>();
  private readonly order: Entry[] = [];
  private readonly types: Record<string, string> = {};
  private readonly issues: ParseIssue[] = [];
  private issueCount = 0;
  private samples = 0;
  private eof = false;
  private lastKey = '';
  private lastEntry: Entry | null = null;
  private readonly scale: number;
  private readonly maxIssues: number;

  constructor(private readonly options: OpenMetricsOptions = {}) {
    this.scale = options.timestampUnit === 'milliseconds' ? 0.001 : 1;
    this.maxIssues = options.maxIssues ?? 100;
    this.lines = new LineSplitter(
      (text, start, end) => this.line(text, start, end),
      options.maxLineLength,
      () => this.issue('the line is too long; it was skipped'),
    );
  }

  push(chunk: string): void {
    this.lines.push(chunk);
  }

  end(): OpenMetricsResult {
    this.lines.end();
    const series: Series[] = [];
    const warnings: string[] = [];
    for (const e of this.order) {
      const { times, values } = e.builder.build();
      const { series: s, report } = normalizeSeries({ name: e.name, labels: e.labels, times, values });
      warnings.push(...describeNormalizeReport(report, seriesLabel(e.name, e.labels)));
      series.push(s);
    }
    return { series, types: this.types, samples: this.samples, issues: this.issues, issueCount: this.issueCount, sawEof: this.eof, warnings };
  }

  private issue(message: string): void {
    this.issueCount++;
    if (this.issues.length < this.maxIssues) this.issues.push({ line: this.lines.lineNo, message });
  }

  private line(data: string, start: number, end: number): void {
    if (end <= start) return;
    const c0 = data.charCodeAt(start);
    if (c0 === 35 /* # */) {
      this.comment(data.slice(start, end));
      return;
    }
    if (this.eof) {
      this.issue('text after "# EOF" is ignored');
      return;
    }
    // The series part: name, then an optional {label set} whose quoted values may hold '}' or ' '.
    let i = start;
    const lastKey = this.lastKey;
    let entry: Entry | null | undefined;
    if (lastKey.length > 0 && data.startsWith(lastKey, start) && isBlank(data.charCodeAt(start + lastKey.length))) {
      i = start + lastKey.length;
      entry = this.lastEntry;
    } else {
      while (i < end) {
        const c = data.charCodeAt(i);
        if (c === 123 /* { */ || c === 32 || c === 9) break;
        i++;
      }
      if (i < end && data.charCodeAt(i) === 123) {
        let quoted = false;
        i++;
        while (i < end) {
          const c = data.charCodeAt(i);
          if (quoted) {
            if (c === 92 /* \ */) i++;
            else if (c === 34) quoted = false;
          } else if (c === 34 /* " */) quoted = true;
          else if (c === 125 /* } */) break;
          i++;
        }
        if (i >= end) {
          this.issue('the label set is not closed with }');
          return;
        }
        i++;
      }
      const key = data.slice(start, i);
      entry = this.entries.get(key);
      if (entry === undefined) {
        entry = this.newSeries(key);
        this.entries.set(key, entry);
      }
      this.lastKey = key;
      this.lastEntry = entry;
    }
    if (entry === null) return;

    // Value.
    while (i < end && isBlank(data.charCodeAt(i))) i++;
    let j = i;
    while (j < end && !isBlank(data.charCodeAt(j))) j++;
    if (j === i) {
      this.issue('the sample has no value');
      return;
    }
    const value = parseNumber(data, i, j);
    if (value === undefined) {
      this.issue(`'${data.slice(i, j)}' is not a number`);
      return;
    }
    // Timestamp (optional), then an optional exemplar starting with '#'.
    i = j;
    while (i < end && isBlank(data.charCodeAt(i))) i++;
    let time: number;
    if (i >= end || data.charCodeAt(i) === 35) {
      if (this.options.defaultTime === undefined) {
        this.issue('the sample has no timestamp');
        return;
      }
      time = this.options.defaultTime;
    } else {
      j = i;
      while (j < end && !isBlank(data.charCodeAt(j))) j++;
      const ts = parseNumber(data, i, j);
      if (ts === undefined || !Number.isFinite(ts)) {
        this.issue(`'${data.slice(i, j)}' is not a timestamp`);
        return;
      }
      time = ts * this.scale;
      i = j;
      while (i < end && isBlank(data.charCodeAt(i))) i++;
      if (i < end && data.charCodeAt(i) !== 35) {
        this.issue(`unexpected '${data.slice(i, Math.min(end, i + 20))}' after the timestamp`);
        return;
      }
    }
    entry.builder.push(time, value);
    this.samples++;
  }

  private newSeries(key: string): Entry | null {
    const brace = key.indexOf('{');
    const name = brace < 0 ? key : key.slice(0, brace);
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) {
      this.issue(`'${name}' is not a metric name`);
      return null;
    }
    let labels: Record<string, string> = {};
    if (brace >= 0) {
      const parsed = parseLabelSet(key.slice(brace + 1, -1));
      if (typeof parsed === 'string') {
        this.issue(parsed);
        return null;
      }
      labels = parsed;
    }
    if (this.options.accept && !this.options.accept(name, labels)) return null;
    const entry: Entry = { name, labels, builder: new SeriesBuilder(256) };
    this.order.push(entry);
    return entry;
  }

  private comment(text: string): void {
    if (text === '# EOF') {
      if (this.eof) this.issue('a second "# EOF"');
      this.eof = true;
      return;
    }
    if (text.startsWith('# TYPE ')) {
      const parts = text.slice(7).trim().split(/\s+/);
      if (parts.length >= 2) this.types[parts[0]!] = parts[1]!;
    }
    // HELP, UNIT and free comments carry nothing a series needs.
  }
}

/** Parses a whole text at once. */
export function parseOpenMetrics(text: string, options?: OpenMetricsOptions): OpenMetricsResult {
  const parser = new OpenMetricsParser(options);
  parser.push(text);
  return parser.end();
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function parseNumber(data: string, from: number, to: number): number | undefined {
  const c = data.charCodeAt(from);
  // Fast path for plain decimals; Number() handles exponents and the rest.
  if (c === 43 /* + */ || c === 45 /* - */ || c === 78 /* N */ || c === 73 /* I */) {
    const token = data.slice(from, to);
    if (token === 'NaN') return NaN;
    if (token === '+Inf' || token === 'Inf' || token === '+inf' || token === 'inf') return Infinity;
    if (token === '-Inf' || token === '-inf') return -Infinity;
    const n = Number(token);
    return Number.isNaN(n) ? undefined : n;
  }
  const n = Number(data.slice(from, to));
  return Number.isNaN(n) ? undefined : n;
}

/** The label set between the braces: `a="x",b="y\"z"` → record, or a message saying what is wrong. */
export function parseLabelSet(text: string): Record<string, string> | string {
  const labels: Record<string, string> = {};
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text[i] === ' ' || text[i] === ',')) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && /[a-zA-Z0-9_]/.test(text[i]!)) i++;
    const name = text.slice(start, i);
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) return `'${text.slice(start, start + 20)}' is not a label name`;
    while (i < n && text[i] === ' ') i++;
    if (text[i] !== '=') return `expected = after label '${name}'`;
    i++;
    while (i < n && text[i] === ' ') i++;
    if (text[i] !== '"') return `the value of label '${name}' is not quoted`;
    i++;
    let value = '';
    let closed = false;
    while (i < n) {
      const c = text[i]!;
      if (c === '\\') {
        const e = text[i + 1];
        value += e === 'n' ? '\n' : e === '"' ? '"' : e === '\\' ? '\\' : `\\${e ?? ''}`;
        i += 2;
        continue;
      }
      if (c === '"') {
        closed = true;
        i++;
        break;
      }
      value += c;
      i++;
    }
    if (!closed) return `the value of label '${name}' is not closed`;
    if (hasLabel(labels, name)) return `label '${name}' appears twice`;
    setLabel(labels, name, value);
  }
  return labels;
}

/** `name{a="x"}` for messages. */
export function seriesLabel(name: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? name : `${name}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}
