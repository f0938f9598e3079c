/**
 * A telemetry chart as a drawing: scales, ticks, line paths (downsampled so that spikes
 * survive), anomaly bands, deployment markers and data gaps, all in pixels. Pure and
 * unit-tested (GitLens' timeline: view-model here, the renderer only draws).
 */
import type { Anomaly } from '../anomaly/anomaly';
import type { Deployment } from '../incidents/model';
import { downsampleForDisplay } from '../telemetry/downsample';
import type { DataGap, Series } from '../telemetry/series';
import { formatClock, formatDateTime, formatDay, formatValue } from './format';

export interface ChartInput {
  readonly title: string;
  readonly unit?: string;
  readonly series: readonly Series[];
  readonly anomalies: readonly Anomaly[];
  readonly deployments: readonly Deployment[];
  readonly gaps?: readonly DataGap[];
  readonly from: number;
  readonly to: number;
  readonly width: number;
  readonly height: number;
  /** Tick labels in this fixed offset from UTC (the host passes the person's). */
  readonly utcOffsetMinutes?: number;
}

export interface ChartLine {
  readonly key: string;
  readonly label: string;
  readonly path: string;
  /** Index into the renderer's palette. */
  readonly color: number;
}

export interface ChartAnomalyMark {
  readonly x: number;
  readonly width: number;
  readonly peakX: number;
  readonly peakY: number;
  readonly severity: 'low' | 'medium' | 'high';
  readonly ongoing: boolean;
  readonly label: string;
}

export interface ChartDeploymentMark {
  readonly x: number;
  readonly label: string;
  readonly detail: string;
}

export interface ChartView {
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly plot: { readonly left: number; readonly top: number; readonly width: number; readonly height: number };
  readonly lines: readonly ChartLine[];
  readonly yTicks: readonly { readonly y: number; readonly label: string }[];
  readonly xTicks: readonly { readonly x: number; readonly label: string; readonly major: boolean }[];
  readonly anomalies: readonly ChartAnomalyMark[];
  readonly deployments: readonly ChartDeploymentMark[];
  readonly gaps: readonly { readonly x: number; readonly width: number; readonly reason: string }[];
  /** The latest value, formatted ("0.92 s"). */
  readonly latest?: string;
  /** Why nothing is drawn. */
  readonly empty?: string;
}

export const chartMargins = { left: 64, right: 16, top: 12, bottom: 26 } as const;

const round = (n: number): number => Math.round(n * 10) / 10;

/** "Nice" tick values (1, 2, 5 × 10^k) covering [min, max]. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

const timeSteps = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400];

export function layoutChart(input: ChartInput): ChartView {
  const m = chartMargins;
  const plot = { left: m.left, top: m.top, width: Math.max(10, input.width - m.left - m.right), height: Math.max(10, input.height - m.top - m.bottom) };
  const offset = input.utcOffsetMinutes ?? 0;
  const span = input.to - input.from;
  const xOf = (t: number): number => round(plot.left + ((t - input.from) / (span || 1)) * plot.width);

  // The value domain of what is visible; anomalies' baselines are drawn against it too.
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let latest: number | undefined;
  let latestTime = Number.NEGATIVE_INFINITY;
  for (const s of input.series) {
    for (let i = 0; i < s.times.length; i++) {
      const t = s.times[i]!;
      const v = s.values[i]!;
      if (t < input.from || t > input.to || !Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      if (t >= latestTime) {
        latestTime = t;
        latest = v;
      }
    }
  }
  const base = {
    title: input.title,
    width: input.width,
    height: input.height,
    plot,
    gaps: (input.gaps ?? []).map((g) => {
      const from = Math.max(input.from, g.from ?? input.from);
      const to = Math.min(input.to, g.to ?? input.to);
      return { x: xOf(from), width: round(Math.max(2, xOf(to) - xOf(from))), reason: g.reason };
    }),
  };
  if (!(span > 0) || min === Number.POSITIVE_INFINITY) {
    return { ...base, lines: [], yTicks: [], xTicks: [], anomalies: [], deployments: [], empty: input.series.length === 0 ? 'No data for this query.' : 'No data in this time range.' };
  }
  // Start the axis at zero when the data sits close to it: small changes should not look dramatic.
  if (min > 0 && min < (max - min) * 0.5) min = 0;
  const yTickValues = niceTicks(min, max, Math.max(2, Math.floor(plot.height / 40)));
  const yMin = yTickValues[0]!;
  const yMax = yTickValues[yTickValues.length - 1]!;
  const yOf = (v: number): number => round(plot.top + plot.height - ((v - yMin) / (yMax - yMin || 1)) * plot.height);

  const lines: ChartLine[] = input.series.map((s, index) => {
    const points = downsampleForDisplay(s, plot.width, input.from, input.to);
    let path = '';
    let pen = false;
    for (let i = 0; i < points.times.length; i++) {
      const t = points.times[i]!;
      const v = points.values[i]!;
      if (t < input.from || t > input.to || !Number.isFinite(v)) {
        pen = false;
        continue;
      }
      path += `${pen ? 'L' : 'M'}${xOf(t)} ${yOf(v)} `;
      pen = true;
    }
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    return { key: `${s.name}{${labels}}`, label: labels ? `${s.name} {${labels}}` : s.name, path: path.trim(), color: index };
  });

  const step = timeSteps.find((st) => span / st <= Math.max(2, plot.width / 90)) ?? timeSteps[timeSteps.length - 1]!;
  const xTicks: { x: number; label: string; major: boolean }[] = [];
  const first = Math.ceil((input.from + offset * 60) / step) * step - offset * 60;
  for (let t = first; t <= input.to; t += step) {
    const local = formatClock(t, offset);
    const major = local === '00:00';
    xTicks.push({ x: xOf(t), label: major || step >= 86400 ? formatDay(t, offset) : local, major });
  }

  const anomalies: ChartAnomalyMark[] = input.anomalies
    .filter((a) => (a.end ?? input.to) >= input.from && a.onset <= input.to)
    .map((a) => {
      const x = xOf(Math.max(input.from, a.onset));
      const end = xOf(Math.min(input.to, a.end ?? input.to));
      return {
        x,
        width: round(Math.max(3, end - x)),
        peakX: xOf(Math.min(input.to, Math.max(input.from, a.peak))),
        peakY: yOf(Math.min(yMax, Math.max(yMin, a.value))),
        severity: a.score >= 0.8 ? 'high' : a.score >= 0.5 ? 'medium' : 'low',
        ongoing: a.end === undefined,
        label: a.explanation,
      };
    });

  const deployments: ChartDeploymentMark[] = input.deployments
    .filter((d) => d.time >= input.from && d.time <= input.to)
    .map((d) => ({
      x: xOf(d.time),
      label: d.revision.slice(0, 7),
      detail: `Deployed ${d.revision.slice(0, 12)} to ${d.environment}${d.service ? ` (${d.service})` : ''} at ${formatDateTime(d.time, offset)}, from ${d.source}${d.jobName ? ` job ${d.jobName}` : ''}`,
    }));

  return {
    ...base,
    lines,
    yTicks: yTickValues.map((v) => ({ y: yOf(v), label: formatValue(v, input.unit) })),
    xTicks,
    anomalies,
    deployments,
    ...(latest !== undefined ? { latest: formatValue(latest, input.unit) } : {}),
  };
}
