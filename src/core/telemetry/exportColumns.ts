/**
 * Which columns of an imported table (a CSV or JSON export of a dashboard) are the time, the
 * values and the labels, and which unit its times are in. Pure, so the choice is tested apart
 * from the table layer that reads the file.
 */
import type { Series } from './series';

export interface ExportColumns {
  readonly time: string;
  readonly values: readonly string[];
  readonly labels: readonly string[];
}

const timeNames = /^(@?timestamp|time|_time|ts|date|datetime|time_?stamp|period|bucket)$/i;

/** The time column (by name, else the first column), numeric value columns, and text label columns. */
export function chooseExportColumns(columns: readonly string[], dtypes: readonly string[]): ExportColumns | undefined {
  if (columns.length < 2) return undefined;
  const time = columns.find((c) => timeNames.test(c.trim())) ?? columns[0]!;
  const values: string[] = [];
  const labels: string[] = [];
  columns.forEach((c, i) => {
    if (c === time) return;
    if (/^(float|int)/.test(dtypes[i] ?? '')) values.push(c);
    else if ((dtypes[i] ?? '') === 'string') labels.push(c);
  });
  return values.length > 0 ? { time, values, labels } : undefined;
}

/**
 * Exports write Unix seconds, milliseconds or microseconds; Opsloop's series are in seconds.
 * Decided from the median time (no date after 2100 is plausible in seconds).
 */
export function timesInSeconds(series: Series): Series {
  const finite = Array.from(series.times).filter(Number.isFinite).sort((a, b) => a - b);
  const median = finite[Math.floor(finite.length / 2)] ?? 0;
  const divisor = median > 4.1e12 ? 1e6 : median > 4.1e9 ? 1e3 : 1;
  if (divisor === 1) return series;
  return { ...series, times: series.times.map((t) => t / divisor) };
}
