/** A metric series: parallel Float64Arrays of Unix-second times and values, sorted by time. */
export interface Series {
  /** Human name ("p99 latency") or the metric name. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly times: Float64Array;
  readonly values: Float64Array;
}

/** Why data is incomplete: shown as such, never as "no anomaly". */
export interface DataGap {
  readonly reason: string;
  readonly from?: number;
  readonly to?: number;
}

export interface SeriesResult {
  readonly series: readonly Series[];
  /** Present when the source answered only in part (Prometheus warnings, truncated range...). */
  readonly partial?: readonly DataGap[];
  readonly warnings?: readonly string[];
}

/** A stable key for a series: name plus sorted labels. */
export function seriesKey(series: Pick<Series, 'name' | 'labels'>): string {
  const labels = Object.keys(series.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(series.labels[k])}`)
    .join(',');
  return `${series.name}{${labels}}`;
}
