/**
 * Splunk, POST /services/search/jobs/export with output_mode=json: a stream of JSON objects,
 * one per line, read as it arrives:
 *
 *     {"preview":true,"offset":0,"result":{"_time":"2024-05-01T12:00:00.000+00:00","checkout":"0.25",...}}
 *     {"preview":false,"offset":0,"lastrow":true,"result":{...}}
 *     {"messages":[{"type":"ERROR","text":"Unknown search command 'timechrt'."}]}
 *
 * A `timechart` search gives one row per time bucket and one column per series (`by host` makes
 * a column per host); `_span` and other underscore columns are metadata. Preview rows are
 * replaced by the final ones; a stream that ends with previews only is reported as partial.
 */
import { OpsloopError } from '../errors';
import { setLabel } from './labels';
import { LineSplitter } from './lineSplitter';
import type { DataGap, Series, SeriesResult } from './series';
import { normalizeSeries } from './seriesOps';
import { epochToSeconds } from './logs';
import { parseRfc3339 } from './time';

export interface SplunkMessage {
  readonly type: string;
  readonly text: string;
}

export interface SplunkDecodeOptions {
  /** The `by` field of the timechart, when there is one: it becomes the series' label. */
  readonly splitBy?: string;
  /** Series name when there is a split field (default `splunk`). */
  readonly name?: string;
}

export interface SplunkDecoded {
  readonly result: SeriesResult;
  readonly rows: number;
  readonly messages: readonly SplunkMessage[];
}

export type Row = Record<string, unknown>;

export class SplunkExportDecoder {
  private readonly lines = new LineSplitter(
    (text, start, end) => this.line(text.slice(start, end)),
    undefined,
    () => {
      throw new OpsloopError('server', `Splunk's export stream has a line longer than 16 MB (line ${this.lines.lineNo}).`);
    },
  );
  private readonly finalRows = new Map<number, Row>();
  private readonly previewRows = new Map<number, Row>();
  private finalAppended = 0;
  private readonly messages: SplunkMessage[] = [];
  private sawLastRow = false;

  constructor(private readonly options: SplunkDecodeOptions = {}) {}

  push(chunk: string): void {
    this.lines.push(chunk);
  }

  /** Ends the stream; throws when Splunk reported an error or the body was not its JSON. */
  end(): SplunkDecoded {
    const { rows, partial, warnings } = this.endRows();
    const series = this.toSeries(rows);
    const result: { series: Series[]; partial?: DataGap[]; warnings?: string[] } = { series };
    if (partial.length) result.partial = partial;
    if (warnings.length) result.warnings = warnings;
    return { result, rows: rows.length, messages: this.messages };
  }

  /** Ends the stream and gives the result rows as they are (an event search: `_time`, `_raw`, fields). */
  endRows(): { rows: Row[]; partial: DataGap[]; warnings: string[] } {
    this.lines.end();
    const errors = this.messages.filter((m) => m.type === 'ERROR' || m.type === 'FATAL');
    if (errors.length > 0) {
      const text = errors.map((m) => m.text).join(' ');
      const auth = /not properly authenticated|unauthori[sz]ed|authentication/i.test(text);
      throw new OpsloopError(auth ? 'unauthorized' : 'invalidInput', `Splunk refused the search: ${text}`, auth ? 'Set Token' : undefined);
    }
    const warnings = this.messages.filter((m) => m.type === 'WARN').map((m) => `Splunk: ${m.text}`);
    const partial: DataGap[] = [];
    let rows: Row[];
    if (this.finalRows.size > 0) {
      rows = [...this.finalRows.values()];
    } else if (this.previewRows.size > 0) {
      rows = [...this.previewRows.values()];
      partial.push({ reason: 'Splunk ended the stream before the final results; these are preview results.' });
    } else {
      rows = [];
    }
    return { rows, partial, warnings };
  }

  private line(raw: string): void {
    const text = raw.trim();
    if (text === '') return;
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch {
      throw new OpsloopError('server', `Splunk's export stream has a line that is not JSON (line ${this.lines.lineNo}).`);
    }
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw new OpsloopError('server', `Splunk's export stream has a line that is not a JSON object (line ${this.lines.lineNo}).`);
    const obj = o as { preview?: unknown; offset?: unknown; result?: unknown; results?: unknown; messages?: unknown; lastrow?: unknown };
    if (Array.isArray(obj.messages)) {
      for (const m of obj.messages as { type?: unknown; text?: unknown }[]) {
        if (m && typeof m.text === 'string') this.messages.push({ type: typeof m.type === 'string' ? m.type.toUpperCase() : 'INFO', text: m.text });
      }
    }
    const preview = obj.preview === true;
    const offset = typeof obj.offset === 'number' ? obj.offset : undefined;
    if (obj.result && typeof obj.result === 'object') this.row(obj.result as Row, preview, offset);
    if (Array.isArray(obj.results)) for (const r of obj.results as Row[]) if (r && typeof r === 'object') this.row(r, preview, undefined);
    if (obj.lastrow === true) this.sawLastRow = true;
  }

  private row(row: Row, preview: boolean, offset: number | undefined): void {
    if (preview) {
      this.previewRows.set(offset ?? this.previewRows.size, row);
      return;
    }
    this.finalRows.set(offset ?? 1e12 + this.finalAppended++, row);
  }

  private toSeries(rows: Row[]): Series[] {
    const columns = new Map<string, { times: number[]; values: number[] }>();
    for (const row of rows) {
      const time = splunkTime(row._time);
      if (time === undefined) continue;
      for (const key of Object.keys(row)) {
        if (key.startsWith('_')) continue;
        const raw = row[key];
        if (Array.isArray(raw) || (raw !== null && typeof raw === 'object')) continue;
        let col = columns.get(key);
        if (!col) {
          col = { times: [], values: [] };
          columns.set(key, col);
        }
        col.times.push(time);
        col.values.push(raw === null || raw === undefined || raw === '' ? NaN : toNumber(raw));
      }
    }
    const out: Series[] = [];
    for (const [column, { times, values }] of columns) {
      const labels: Record<string, string> = {};
      let name = column;
      if (this.options.splitBy) {
        setLabel(labels, this.options.splitBy, column);
        name = this.options.name ?? 'splunk';
      }
      out.push(normalizeSeries({ name, labels, times: Float64Array.from(times), values: Float64Array.from(values) }).series);
    }
    return out;
  }

  /** True once Splunk marked the last row (the search finished). */
  get finished(): boolean {
    return this.sawLastRow;
  }
}

function toNumber(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string') return NaN;
  const n = Number(raw);
  if (!Number.isNaN(n)) return n;
  const l = raw.toLowerCase();
  if (l === 'inf' || l === '+inf' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return NaN;
}

/** `_time` as Splunk writes it: ISO 8601 with an offset, or epoch seconds as text. */
export function splunkTime(raw: unknown): number | undefined {
  if (typeof raw === 'number') return epochToSeconds(raw);
  if (typeof raw !== 'string' || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isNaN(n)) return epochToSeconds(n);
  return parseRfc3339(raw);
}

/** The `by` field of a timechart search (`| timechart span=1m avg(latency) by host` → host). */
export function timechartSplitField(search: string): string | undefined {
  const m = /\btimechart\b[^|]*?\bby\s+([A-Za-z_][\w.]*)/i.exec(search);
  return m?.[1];
}

/** Splunk's error body in JSON mode: {"messages":[{"type":"ERROR","text":"..."}]}. */
export function splunkErrorMessage(body: string): string | undefined {
  try {
    const o = JSON.parse(body) as { messages?: { type?: unknown; text?: unknown }[] };
    if (Array.isArray(o?.messages)) {
      const texts = o.messages.filter((m) => typeof m?.text === 'string').map((m) => m.text as string);
      if (texts.length > 0) return texts.join(' ');
    }
  } catch {
    // XML or text: Splunk answers XML when output_mode is not honoured
  }
  return undefined;
}
