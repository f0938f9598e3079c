/**
 * The table layer (danfojs-node): where a person works with telemetry as tables. Importing a
 * CSV or JSON export, grouping series by a label, aligning series on one time index, and the
 * summary statistics of an incident report.
 *
 * This module is heavy (danfojs-node and TensorFlow.js load in about a second and weigh several
 * MB): scripts/build.mjs bundles it into dist/tables.js of its own, and `loadTables()`
 * (tablesLoader.ts) requires it the first time a table is asked for, never at activation.
 *
 * What is danfo's and what is not: DataFrames hold imported tables (type inference, columns)
 * and do the grouping (its groupby aggregates in JavaScript doubles). Statistics and alignment
 * run on Float64Arrays here, because danfo's describe() rounds to four decimals and some of its
 * operations go through float32 tensors, which would blur a 0.00012 s latency or a Unix time.
 * Inputs and outputs are plain data, so callers never hold a DataFrame.
 */
import * as dfd from 'danfojs-node';
import { OpsloopError } from '../../core/errors';
import { splitCsvLine } from '../../core/telemetry/csv';
import { labelValue, setLabel } from '../../core/telemetry/labels';
import type { Series } from '../../core/telemetry/series';
import { normalizeSeries } from '../../core/telemetry/seriesOps';
import { parseRfc3339 } from '../../core/telemetry/time';

export type Cell = string | number | boolean | null;

export interface Table {
  readonly columns: readonly string[];
  /** danfo's inferred type per column: float32/int32 (numbers), string, boolean. */
  readonly dtypes: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

export type Aggregate = 'mean' | 'sum' | 'min' | 'max' | 'count';

export interface AlignedSeries {
  /** The union of the series' times, sorted. */
  readonly times: Float64Array;
  readonly columns: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>>; readonly values: Float64Array }[];
}

/** Largest table imported (rows): a DataFrame holds every cell as a JS value. */
export const maxImportRows = 2_000_000;

function numberOrText(cell: string): Cell {
  const t = cell.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isNaN(n) ? cell : n;
}

/**
 * A CSV (header row first, RFC 4180 quotes) or JSON export (an array of records, or an object
 * of columns) as a table. Numbers stay numbers, empty cells are null.
 */
export function importTable(text: string, format: 'csv' | 'json'): Table {
  let df: dfd.DataFrame;
  if (format === 'csv') {
    const lines = text.split(/\r?\n/);
    const records: string[][] = [];
    let pending = '';
    for (const line of lines) {
      const joined = pending ? `${pending}\n${line}` : line;
      const fields = splitCsvLine(joined);
      if (fields === undefined) {
        pending = joined;
        continue;
      }
      pending = '';
      if (joined.trim() !== '') records.push(fields);
      if (records.length > maxImportRows) throw new OpsloopError('limitExceeded', `The CSV has more than ${maxImportRows} rows.`);
    }
    if (pending) throw new OpsloopError('invalidInput', 'The CSV ends inside a quoted field.');
    const [header, ...body] = records;
    if (!header) throw new OpsloopError('invalidInput', 'The CSV is empty: it needs a header row.');
    const width = header.length;
    const bad = body.findIndex((r) => r.length !== width);
    if (bad >= 0) throw new OpsloopError('invalidInput', `Row ${bad + 2} of the CSV has ${body[bad]!.length} fields where the header has ${width}.`);
    const columns = uniqueNames(header.map((h) => h.trim()));
    if (body.length === 0) return { columns, dtypes: columns.map(() => 'string'), rows: [] };
    df = new dfd.DataFrame(body.map((r) => r.map(numberOrText)), { columns });
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new OpsloopError('invalidInput', `The JSON export is not valid JSON: ${(error as Error).message}`);
    }
    if (Array.isArray(parsed)) {
      if (parsed.length > maxImportRows) throw new OpsloopError('limitExceeded', `The JSON export has more than ${maxImportRows} rows.`);
      if (parsed.length === 0) return { columns: [], dtypes: [], rows: [] };
      if (!parsed.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) throw new OpsloopError('invalidInput', 'A JSON export must be an array of records (objects) or an object of columns.');
      const columns = [...new Set(parsed.flatMap((r) => Object.keys(r as object)))];
      const rows = parsed.map((r) => columns.map((c) => cellOf((r as Record<string, unknown>)[c])));
      df = new dfd.DataFrame(rows, { columns });
    } else if (parsed !== null && typeof parsed === 'object') {
      const entries = Object.entries(parsed as Record<string, unknown>);
      if (!entries.every(([, v]) => Array.isArray(v))) throw new OpsloopError('invalidInput', 'A JSON export must be an array of records (objects) or an object of columns.');
      const length = Math.max(0, ...entries.map(([, v]) => (v as unknown[]).length));
      if (length === 0) return { columns: entries.map(([k]) => k), dtypes: entries.map(() => 'string'), rows: [] };
      const rows = Array.from({ length }, (_, i) => entries.map(([, v]) => cellOf((v as unknown[])[i])));
      df = new dfd.DataFrame(rows, { columns: entries.map(([k]) => k) });
    } else {
      throw new OpsloopError('invalidInput', 'A JSON export must be an array of records (objects) or an object of columns.');
    }
  }
  return { columns: [...df.columns], dtypes: [...df.ctypes.values] as string[], rows: df.values as Cell[][] };
}

function cellOf(v: unknown): Cell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return JSON.stringify(v);
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const base = n === '' ? 'column' : n;
    const k = seen.get(base) ?? 0;
    seen.set(base, k + 1);
    return k === 0 ? base : `${base}_${k + 1}`;
  });
}

/**
 * A table as series: `time` names the time column (Unix seconds or RFC 3339); with `value`, one
 * series per distinct combination of `labels` columns (long form), otherwise one series per
 * remaining numeric column (wide form).
 */
export function tableToSeries(table: Table, options: { time: string; value?: string; labels?: readonly string[]; name?: string }): Series[] {
  const col = (name: string): number => {
    const i = table.columns.indexOf(name);
    if (i < 0) throw new OpsloopError('invalidInput', `The table has no column '${name}' (columns: ${table.columns.join(', ')}).`);
    return i;
  };
  const timeIndex = col(options.time);
  const timeOf = (c: Cell): number => (typeof c === 'number' ? c : typeof c === 'string' ? (parseRfc3339(c) ?? NaN) : NaN);
  const out: Series[] = [];
  if (options.value !== undefined) {
    const valueIndex = col(options.value);
    const labelIndexes = (options.labels ?? []).map(col);
    const groups = new Map<string, { labels: Record<string, string>; times: number[]; values: number[] }>();
    for (const row of table.rows) {
      const key = labelIndexes.map((i) => String(row[i] ?? '')).join('\u0000');
      let g = groups.get(key);
      if (!g) {
        const labels: Record<string, string> = {};
        labelIndexes.forEach((i, k) => setLabel(labels, options.labels![k]!, String(row[i] ?? '')));
        g = { labels, times: [], values: [] };
        groups.set(key, g);
      }
      g.times.push(timeOf(row[timeIndex] ?? null));
      const v = row[valueIndex];
      g.values.push(typeof v === 'number' ? v : NaN);
    }
    for (const g of groups.values()) {
      out.push(normalizeSeries({ name: options.name ?? options.value, labels: g.labels, times: Float64Array.from(g.times), values: Float64Array.from(g.values) }).series);
    }
    return out;
  }
  const times = Float64Array.from(table.rows, (r) => timeOf(r[timeIndex] ?? null));
  table.columns.forEach((name, i) => {
    if (i === timeIndex || !/^(float|int)/.test(table.dtypes[i] ?? '')) return;
    const values = Float64Array.from(table.rows, (r) => (typeof r[i] === 'number' ? (r[i] as number) : NaN));
    out.push(normalizeSeries({ name, labels: {}, times, values }).series);
  });
  return out;
}

/**
 * One series per value of `label`: the samples of all series with that value, aggregated per
 * timestamp (danfo's groupby). NaN samples are gaps and take no part; series without the label
 * form the group "" .
 */
export function groupByLabel(series: readonly Series[], label: string, aggregate: Aggregate = 'mean'): Series[] {
  const group: string[] = [];
  const time: number[] = [];
  const value: number[] = [];
  for (const s of series) {
    const g = labelValue(s.labels, label) ?? '';
    for (let i = 0; i < s.times.length; i++) {
      const v = s.values[i]!;
      if (Number.isNaN(v)) continue;
      group.push(g);
      time.push(s.times[i]!);
      value.push(v);
    }
  }
  if (value.length === 0) return [];
  const df = new dfd.DataFrame({ group, time, value });
  const grouped = df.groupby(['group', 'time']).agg({ value: aggregate });
  const rows = grouped.values as [string, number, number][];
  const byGroup = new Map<string, { times: number[]; values: number[] }>();
  for (const [g, t, v] of rows) {
    let entry = byGroup.get(g);
    if (!entry) {
      entry = { times: [], values: [] };
      byGroup.set(g, entry);
    }
    entry.times.push(t);
    entry.values.push(v === null ? NaN : v);
  }
  const name = series[0]?.name ?? 'value';
  return [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([g, { times, values }]) => {
      const labels: Record<string, string> = {};
      if (g !== '') setLabel(labels, label, g);
      return normalizeSeries({ name: `${aggregate}(${name})`, labels, times: Float64Array.from(times), values: Float64Array.from(values) }).series;
    });
}

/**
 * Series on one time index (the union of their times): each column holds the series' value at
 * each time, NaN where it has none; `fill: 'previous'` carries the last value forward (never
 * across a NaN gap the series itself reported), `linear` interpolates between neighbours.
 */
export function alignSeries(series: readonly Series[], options: { fill?: 'none' | 'previous' | 'linear' } = {}): AlignedSeries {
  const all = new Set<number>();
  for (const s of series) for (const t of s.times) all.add(t);
  const times = Float64Array.from([...all].sort((a, b) => a - b));
  const index = new Map<number, number>();
  times.forEach((t, i) => index.set(t, i));
  const columns = series.map((s) => {
    const values = new Float64Array(times.length).fill(NaN);
    const present = new Uint8Array(times.length);
    for (let i = 0; i < s.times.length; i++) {
      const k = index.get(s.times[i]!)!;
      values[k] = s.values[i]!;
      present[k] = 1;
    }
    if (options.fill === 'previous') {
      let last = NaN;
      for (let k = 0; k < values.length; k++) {
        if (present[k]) last = values[k]!;
        else values[k] = last;
      }
    } else if (options.fill === 'linear') {
      let prev = -1;
      for (let k = 0; k < values.length; k++) {
        if (!present[k]) continue;
        if (prev >= 0 && k - prev > 1 && Number.isFinite(values[prev]!) && Number.isFinite(values[k]!)) {
          for (let m = prev + 1; m < k; m++) {
            const f = (times[m]! - times[prev]!) / (times[k]! - times[prev]!);
            values[m] = values[prev]! + f * (values[k]! - values[prev]!);
          }
        }
        prev = k;
      }
    }
    return { name: s.name, labels: s.labels, values };
  });
  return { times, columns };
}

/** The version of danfo in this bundle (for the log). */
export const danfoVersion: string = (dfd as unknown as { __version?: string }).__version ?? 'unknown';


