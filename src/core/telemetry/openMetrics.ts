/**
 * OpenMetrics text (and the Prometheus text format it grew from) with timestamps: the format
 * `promtool tsdb create-blocks-from openmetrics` loads, and the embedded default file source.
 *
 * Streaming: feed text chunks of any size with `push`, call `end` once. Bad lines do not stop
 * the parse; each becomes an issue with its line number (the first `maxIssues` are kept, all are
 * counted). Labels are parsed once per distinct series, so the cost per sample is a scan of the
 * line and two number conversions.
 */
import { decimalResult, readDecimalBytes } from './decimal';
import { hasLabel, setLabel } from './labels';
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
  /** The series text as written (`name{labels}`), as UTF-8 bytes. */
  readonly key: Uint8Array;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly builder: SeriesBuilder | null;
  /** The series whose line followed this one's last time: files repeat their series in a fixed order. */
  next: Entry | undefined;
}

const utf8 = new TextDecoder('utf-8');
const encoder = new TextEncoder();

export class OpenMetricsParser {
  /** Series by hash of their text; a bucket holds the (rare) collisions. */
  private readonly byHash = new Map<number, Entry[]>();
  private readonly order: Entry[] = [];
  private readonly types: Record<string, string> = {};
  private readonly issues: ParseIssue[] = [];
  private issueCount = 0;
  private samples = 0;
  private eof = false;
  private lineNo = 0;
  private carry: Uint8Array | undefined;
  private skipping = false;
  private previous: Entry | undefined;
  private readonly scale: number;
  private readonly maxIssues: number;
  private readonly maxLineLength: number;

  constructor(private readonly options: OpenMetricsOptions = {}) {
    this.scale = options.timestampUnit === 'milliseconds' ? 0.001 : 1;
    this.maxIssues = options.maxIssues ?? 100;
    this.maxLineLength = options.maxLineLength ?? 16 * 1024 * 1024;
  }

  /**
   * Feeds the next piece of the input: UTF-8 bytes as read from a file or a socket (the fast
   * way: nothing is decoded but new series' names and labels), or text.
   */
  push(chunk: Uint8Array | string): void {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    let nl = bytes.indexOf(10);
    if (nl < 0) {
      this.hold(bytes, 0);
      return;
    }
    let start = 0;
    if (this.carry !== undefined || this.skipping) {
      const skipped = this.skipping;
      const head = this.carry;
      this.carry = undefined;
      this.skipping = false;
      this.lineNo++;
      if (!skipped) {
        const line = new Uint8Array((head?.length ?? 0) + nl);
        if (head) line.set(head, 0);
        line.set(bytes.subarray(0, nl), head?.length ?? 0);
        this.line(line, 0, line.length);
      }
      start = nl + 1;
      nl = bytes.indexOf(10, start);
    }
    while (nl >= 0) {
      this.lineNo++;
      this.line(bytes, start, nl);
      start = nl + 1;
      nl = bytes.indexOf(10, start);
    }
    if (start < bytes.length) this.hold(bytes, start);
  }

  end(): OpenMetricsResult {
    if (this.carry !== undefined && !this.skipping) {
      const rest = this.carry;
      this.carry = undefined;
      this.lineNo++;
      this.line(rest, 0, rest.length);
    }
    this.carry = undefined;
    this.skipping = false;
    const series: Series[] = [];
    const warnings: string[] = [];
    for (const e of this.order) {
      const { times, values } = e.builder!.build();
      const { series: s, report } = normalizeSeries({ name: e.name, labels: e.labels, times, values });
      warnings.push(...describeNormalizeReport(report, seriesLabel(e.name, e.labels)));
      series.push(s);
    }
    return { series, types: this.types, samples: this.samples, issues: this.issues, issueCount: this.issueCount, sawEof: this.eof, warnings };
  }

  /** Keeps an unfinished line for the next chunk (copied: the caller may reuse its buffer). */
  private hold(bytes: Uint8Array, from: number): void {
    if (this.skipping) return;
    const tail = bytes.subarray(from);
    const size = (this.carry?.length ?? 0) + tail.length;
    if (size > this.maxLineLength) {
      this.carry = undefined;
      this.skipping = true;
      this.issueAt(this.lineNo + 1, 'the line is too long; it was skipped');
      return;
    }
    const joined = new Uint8Array(size);
    if (this.carry) joined.set(this.carry, 0);
    joined.set(tail, this.carry?.length ?? 0);
    this.carry = joined;
  }

  private issue(message: string): void {
    this.issueAt(this.lineNo, message);
  }

  private issueAt(line: number, message: string): void {
    this.issueCount++;
    if (this.issues.length < this.maxIssues) this.issues.push({ line, message });
  }

  private line(b: Uint8Array, start: number, end: number): void {
    if (end > start && b[end - 1] === 13) end--;
    if (end <= start) return;
    if (b[start] === 35 /* # */) {
      this.comment(utf8.decode(b.subarray(start, end)));
      return;
    }
    if (this.eof) {
      this.issue('text after "# EOF" is ignored');
      return;
    }
    // The series part: a name, then an optional {label set} whose quoted values may hold '}' or
    // ' '. First try the series that followed the previous one last time (one comparison), else
    // hash the text (FNV-1a) and look it up; only a new series' text is decoded.
    let entry: Entry | undefined;
    let i = start;
    const predicted = this.previous?.next;
    if (predicted !== undefined) {
      const key = predicted.key;
      const n = key.length;
      if (start + n < end && (b[start + n] === 32 || b[start + n] === 9)) {
        let k = 0;
        while (k < n && key[k] === b[start + k]) k++;
        if (k === n) {
          entry = predicted;
          i = start + n;
        }
      }
    }
    if (entry === undefined) {
      let h = 0x811c9dc5;
      while (i < end) {
        const c = b[i]!;
        if (c === 123 /* { */ || c === 32 || c === 9) break;
        h = Math.imul(h ^ c, 16777619);
        i++;
      }
      if (i < end && b[i] === 123) {
        let quoted = false;
        for (;;) {
          if (i >= end) {
            this.issue('the label set is not closed with }');
            return;
          }
          const c = b[i]!;
          h = Math.imul(h ^ c, 16777619);
          i++;
          if (quoted) {
            if (c === 92 /* \ */ && i < end) {
              h = Math.imul(h ^ b[i]!, 16777619);
              i++;
            } else if (c === 34) quoted = false;
          } else if (c === 34 /* " */) quoted = true;
          else if (c === 125 /* } */) break;
        }
      }
      entry = this.find(h, b, start, i - start) ?? this.add(h, b.slice(start, i));
    }
    if (this.previous !== undefined) this.previous.next = entry;
    this.previous = entry;
    const builder = entry.builder;
    if (builder === null) return;

    // Value.
    while (i < end && (b[i] === 32 || b[i] === 9)) i++;
    let j = i;
    while (j < end && b[j] !== 32 && b[j] !== 9) j++;
    if (j === i) {
      this.issue('the sample has no value');
      return;
    }
    let value: number;
    if (readDecimalBytes(b, i, j)) value = decimalResult[0]!;
    else {
      const v = parseNumberText(utf8.decode(b.subarray(i, j)));
      if (v === undefined) {
        this.issue(`'${utf8.decode(b.subarray(i, j))}' is not a number`);
        return;
      }
      value = v;
    }
    // Timestamp (optional), then an optional exemplar starting with '#'.
    i = j;
    while (i < end && (b[i] === 32 || b[i] === 9)) i++;
    let time: number;
    if (i >= end || b[i] === 35) {
      if (this.options.defaultTime === undefined) {
        this.issue('the sample has no timestamp');
        return;
      }
      time = this.options.defaultTime;
    } else {
      j = i;
      while (j < end && b[j] !== 32 && b[j] !== 9) j++;
      if (readDecimalBytes(b, i, j)) time = decimalResult[0]! * this.scale;
      else {
        const ts = parseNumberText(utf8.decode(b.subarray(i, j)));
        if (ts === undefined || !Number.isFinite(ts)) {
          this.issue(`'${utf8.decode(b.subarray(i, j))}' is not a timestamp`);
          return;
        }
        time = ts * this.scale;
      }
      i = j;
      while (i < end && (b[i] === 32 || b[i] === 9)) i++;
      if (i < end && b[i] !== 35) {
        this.issue(`unexpected '${utf8.decode(b.subarray(i, Math.min(end, i + 20)))}' after the timestamp`);
        return;
      }
    }
    builder.push(time, value);
    this.samples++;
  }

  private find(hash: number, b: Uint8Array, start: number, length: number): Entry | undefined {
    const bucket = this.byHash.get(hash);
    if (bucket === undefined) return undefined;
    for (const e of bucket) {
      const key = e.key;
      if (key.length !== length) continue;
      let k = 0;
      while (k < length && key[k] === b[start + k]) k++;
      if (k === length) return e;
    }
    return undefined;
  }

  private add(hash: number, key: Uint8Array): Entry {
    const entry = this.newSeries(key);
    const bucket = this.byHash.get(hash);
    if (bucket) bucket.push(entry);
    else this.byHash.set(hash, [entry]);
    return entry;
  }

  /** A series seen for the first time; its `builder` is null when it is skipped (invalid or not accepted). */
  private newSeries(keyBytes: Uint8Array): Entry {
    const key = utf8.decode(keyBytes);
    const brace = key.indexOf('{');
    const name = brace < 0 ? key : key.slice(0, brace);
    const skipped = (message?: string): Entry => {
      if (message) this.issue(message);
      return { key: keyBytes, name, labels: {}, builder: null, next: undefined };
    };
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) return skipped(`'${name}' is not a metric name`);
    let labels: Record<string, string> = {};
    if (brace >= 0) {
      const parsed = parseLabelSet(key.slice(brace + 1, -1));
      if (typeof parsed === 'string') return skipped(parsed);
      labels = parsed;
    }
    if (this.options.accept && !this.options.accept(name, labels)) return skipped();
    const entry: Entry = { key: keyBytes, name, labels, builder: new SeriesBuilder(256), next: undefined };
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

/** The tokens Number() does not read: NaN and the infinities as OpenMetrics writes them. */
function parseNumberText(token: string): number | undefined {
  if (token === 'NaN') return NaN;
  if (token === '+Inf' || token === 'Inf' || token === '+inf' || token === 'inf') return Infinity;
  if (token === '-Inf' || token === '-inf') return -Infinity;
  if (token.trim() !== token || token === '') return undefined;
  const n = Number(token);
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
