/**
 * CSV exports as series, streaming. Two shapes, told apart by the header:
 *
 * - long form: a time column, a `value` column, an optional name column (`metric`, `__name__`,
 *   `name`, `series`) and any other columns as labels:
 *       timestamp,service,value            → series {service="checkout"}
 * - wide form: a time column and one column per series (what a spreadsheet or Splunk's
 *   timechart export looks like):
 *       _time,checkout,payments            → series "checkout" and "payments"
 *
 * Times are Unix seconds (or milliseconds with `timestampUnit`) or RFC 3339. Quoted fields
 * follow RFC 4180 (doubled quotes, separators and line breaks inside quotes).
 */
import { hasLabel, setLabel } from './labels';
import { LineSplitter } from './lineSplitter';
import { type ParseIssue, seriesLabel } from './openMetrics';
import { type Series } from './series';
import { SeriesBuilder } from './seriesBuilder';
import { describeNormalizeReport, normalizeSeries } from './seriesOps';
import { parseRfc3339 } from './time';

export interface CsvOptions {
  readonly timestampUnit?: 'seconds' | 'milliseconds';
  /** Series name in long form when there is no name column. */
  readonly name?: string;
  readonly accept?: (name: string, labels: Readonly<Record<string, string>>) => boolean;
  readonly maxIssues?: number;
}

export interface CsvResult {
  readonly series: Series[];
  readonly shape: 'long' | 'wide' | 'unknown';
  readonly rows: number;
  readonly issues: readonly ParseIssue[];
  readonly issueCount: number;
  readonly warnings: readonly string[];
}

const timeColumns = ['timestamp', 'time', 'ts', '_time', 'date', 'datetime', '@timestamp'];
const nameColumns = ['metric', '__name__', 'name', 'series'];

interface Entry {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly builder: SeriesBuilder;
}

export class CsvSeriesParser {
  private readonly lines = new LineSplitter(
    (text, start, end) => this.physicalLine(text.slice(start, end)),
    undefined,
    () => this.issue('the line is too long; it was skipped'),
  );
  private pending = '';
  private header: string[] | undefined;
  private timeIndex = -1;
  private valueIndex = -1;
  private nameIndex = -1;
  private wideEntries: (Entry | null)[] = [];
  private readonly entries = new Map<string, Entry | null>();
  private readonly order: Entry[] = [];
  private readonly issues: ParseIssue[] = [];
  private issueCount = 0;
  private rows = 0;
  private readonly scale: number;

  constructor(private readonly options: CsvOptions = {}) {
    this.scale = options.timestampUnit === 'milliseconds' ? 0.001 : 1;
  }

  push(chunk: string): void {
    this.lines.push(chunk);
  }

  end(): CsvResult {
    this.lines.end();
    if (this.pending.length > 0) {
      this.issue('a quoted field is not closed at the end of the file');
      this.pending = '';
    }
    if (!this.header) this.issue('the file has no header row');
    const series: Series[] = [];
    const warnings: string[] = [];
    for (const e of this.order) {
      const { times, values } = e.builder.build();
      const { series: s, report } = normalizeSeries({ name: e.name, labels: e.labels, times, values });
      warnings.push(...describeNormalizeReport(report, seriesLabel(e.name, e.labels)));
      series.push(s);
    }
    const shape = !this.header || this.timeIndex < 0 ? 'unknown' : this.valueIndex >= 0 ? 'long' : 'wide';
    return { series, shape, rows: this.rows, issues: this.issues, issueCount: this.issueCount, warnings };
  }

  private issue(message: string): void {
    this.issueCount++;
    if (this.issues.length < (this.options.maxIssues ?? 100)) this.issues.push({ line: this.lines.lineNo, message });
  }

  /** Joins physical lines while a quoted field is open, then handles one record. */
  private physicalLine(text: string): void {
    const line = this.pending.length > 0 ? `${this.pending}\n${text}` : text;
    const fields = splitCsvLine(line);
    if (fields === undefined) {
      this.pending = line;
      return;
    }
    this.pending = '';
    if (line.trim() === '') return;
    if (!this.header) {
      this.setHeader(fields);
      return;
    }
    this.record(fields);
  }

  private setHeader(fields: string[]): void {
    this.header = fields.map((f) => f.trim());
    const lower = this.header.map((h) => h.toLowerCase());
    this.timeIndex = lower.findIndex((h) => timeColumns.includes(h));
    this.valueIndex = lower.indexOf('value');
    this.nameIndex = lower.findIndex((h) => nameColumns.includes(h));
    if (this.timeIndex < 0) {
      this.issue(`no time column in the header (one of: ${timeColumns.join(', ')})`);
      return;
    }
    if (this.valueIndex < 0) {
      this.wideEntries = this.header.map((h, i) => {
        if (i === this.timeIndex || h.startsWith('_')) return null; // _time, _span, _spandays...
        if (this.options.accept && !this.options.accept(h, {})) return null;
        const entry: Entry = { name: h, labels: {}, builder: new SeriesBuilder(256) };
        this.order.push(entry);
        return entry;
      });
    }
  }

  private record(fields: string[]): void {
    const header = this.header!;
    if (this.timeIndex < 0) return;
    if (fields.length !== header.length) {
      this.issue(`${fields.length} fields where the header has ${header.length}`);
      return;
    }
    const time = this.parseTime(fields[this.timeIndex]!);
    if (time === undefined) {
      this.issue(`'${fields[this.timeIndex]}' is not a time (Unix seconds or RFC 3339)`);
      return;
    }
    this.rows++;
    if (this.valueIndex < 0) {
      for (let i = 0; i < fields.length; i++) {
        const entry = this.wideEntries[i];
        if (!entry) continue;
        const cell = fields[i]!.trim();
        if (cell === '') continue; // no sample for this series at this time
        const value = parseValue(cell);
        if (value === undefined) this.issue(`'${cell}' in column '${header[i]}' is not a number`);
        else entry.builder.push(time, value);
      }
      return;
    }
    const cell = fields[this.valueIndex]!.trim();
    const value = parseValue(cell);
    if (value === undefined) {
      this.issue(cell === '' ? 'the value is empty' : `'${cell}' is not a number`);
      return;
    }
    // Long form: the key is every column but time and value.
    let key = '';
    for (let i = 0; i < fields.length; i++) if (i !== this.timeIndex && i !== this.valueIndex) key += `${fields[i]}\u0000`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const name = this.nameIndex >= 0 ? fields[this.nameIndex]!.trim() : (this.options.name ?? 'value');
      const labels: Record<string, string> = {};
      for (let i = 0; i < fields.length; i++) {
        if (i === this.timeIndex || i === this.valueIndex || i === this.nameIndex) continue;
        const v = fields[i]!.trim();
        if (v !== '' && !hasLabel(labels, header[i]!)) setLabel(labels, header[i]!, v);
      }
      entry = this.options.accept && !this.options.accept(name, labels) ? null : { name, labels, builder: new SeriesBuilder(256) };
      if (entry) this.order.push(entry);
      this.entries.set(key, entry);
    }
    entry?.builder.push(time, value);
  }

  private parseTime(cell: string): number | undefined {
    const t = cell.trim();
    if (t === '') return undefined;
    const n = Number(t);
    if (!Number.isNaN(n)) return Number.isFinite(n) ? n * this.scale : undefined;
    return parseRfc3339(t);
  }
}

export function parseCsvSeries(text: string, options?: CsvOptions): CsvResult {
  const parser = new CsvSeriesParser(options);
  parser.push(text);
  return parser.end();
}

function parseValue(cell: string): number | undefined {
  if (cell === '') return undefined;
  const lower = cell.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === '+inf' || lower === 'inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  const n = Number(cell);
  return Number.isNaN(n) ? undefined : n;
}

/** Fields of one CSV record, or undefined when a quoted field continues on the next line. */
export function splitCsvLine(line: string): string[] | undefined {
  if (line.indexOf('"') < 0) return line.split(',');
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) return undefined;
        const c = line[i]!;
        if (c === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      // Text between the closing quote and the separator is kept, as spreadsheets do.
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(value + line.slice(i));
        return fields;
      }
      fields.push(value + line.slice(i, comma));
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}
