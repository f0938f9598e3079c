import * as assert from 'node:assert/strict';
import { chartMargins, layoutChart, niceTicks } from '../../../../src/core/charts/chartLayout';
import { formatDateTime, formatDurationMs, formatValue } from '../../../../src/core/charts/format';
import type { Anomaly } from '../../../../src/core/anomaly/anomaly';
import type { Series } from '../../../../src/core/telemetry/series';

function series(points: [number, number][]): Series {
  return { name: 'latency', labels: { service: 'checkout' }, times: Float64Array.from(points.map((p) => p[0])), values: Float64Array.from(points.map((p) => p[1])) };
}
const anomaly = (onset: number, peak: number, end: number | undefined, value: number, score = 0.9): Anomaly => ({
  seriesKey: 'k',
  kind: 'levelShift',
  onset,
  peak,
  ...(end !== undefined ? { end } : {}),
  score,
  method: 'seasonal',
  baseline: 0.2,
  value,
  deviation: 6,
  explanation: 'p99 latency 0.9 s, 6 MADs above its usual 0.2 s',
});

describe('layoutChart', () => {
  const points: [number, number][] = Array.from({ length: 101 }, (_, i) => [1000 + i * 60, i === 50 ? Number.NaN : 0.2 + (i > 70 ? 0.7 : 0)]);
  const view = layoutChart({
    title: 'p99 latency',
    unit: 's',
    series: [series(points)],
    anomalies: [anomaly(1000 + 71 * 60, 1000 + 75 * 60, undefined, 0.9)],
    deployments: [{ id: 'd', environment: 'production', revision: '38f0229490c2e77684ed9c60e474f0eb034d75eb', time: 1000 + 70 * 60, source: 'buildInfo' }],
    from: 1000,
    to: 1000 + 100 * 60,
    width: 800,
    height: 240,
  });

  it('maps time to x across the plot and value to y, upwards', () => {
    const path = view.lines[0]!.path;
    const first = /^M([\d.]+) ([\d.]+)/.exec(path)!;
    assert.equal(Number(first[1]), chartMargins.left);
    const ys = [...path.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => Number(m[2]));
    assert.ok(Math.min(...ys) < Math.max(...ys), 'higher values must be drawn higher (smaller y)');
    assert.ok(ys.every((y) => y >= view.plot.top && y <= view.plot.top + view.plot.height));
  });

  it('breaks the line at a gap instead of drawing across it', () => {
    assert.equal((view.lines[0]!.path.match(/M/g) ?? []).length, 2);
  });

  it('marks the anomaly as a band from its onset to the right edge while it goes on, with its explanation', () => {
    const [mark] = view.anomalies;
    assert.ok(mark);
    assert.equal(mark.ongoing, true);
    assert.equal(mark.severity, 'high');
    assert.ok(Math.abs(mark.x + mark.width - (view.plot.left + view.plot.width)) < 1, 'an ongoing anomaly reaches the right edge');
    assert.match(mark.label, /MADs above/);
  });

  it('marks the deployment at its time with its short revision', () => {
    const [deploy] = view.deployments;
    assert.equal(deploy!.label, '38f0229');
    assert.ok(deploy!.x < view.anomalies[0]!.x, 'the deployment comes before the anomaly it may explain');
    assert.match(deploy!.detail, /production/);
  });

  it('labels the axes: value ticks with their unit, time ticks in order', () => {
    assert.ok(view.yTicks.some((t) => / ms$| s$/.test(t.label)), view.yTicks.map((t) => t.label).join(', '));
    const xs = view.xTicks.map((t) => t.x);
    assert.deepEqual(xs, [...xs].sort((a, b) => a - b));
    assert.equal(view.latest, '900 ms');
  });

  it('says why it draws nothing', () => {
    const empty = layoutChart({ title: 't', series: [], anomalies: [], deployments: [], from: 0, to: 10, width: 300, height: 100 });
    assert.equal(empty.empty, 'No data for this query.');
    const outside = layoutChart({ title: 't', series: [series([[5000, 1]])], anomalies: [], deployments: [], from: 0, to: 10, width: 300, height: 100 });
    assert.equal(outside.empty, 'No data in this time range.');
  });

  it('keeps a one-sample spike among many points (downsampled for the pixels, not averaged away)', () => {
    const many: [number, number][] = Array.from({ length: 50_000 }, (_, i) => [i, i === 31_337 ? 100 : 1]);
    const v = layoutChart({ title: 't', series: [series(many)], anomalies: [], deployments: [], from: 0, to: 50_000, width: 400, height: 200 });
    const ys = [...v.lines[0]!.path.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => Number(m[2]));
    assert.ok(ys.length < 2000, `${ys.length} points drawn for 400 pixels`);
    // The axis tops out at 100 (a nice tick), so the spike must reach the top of the plot.
    assert.equal(v.yTicks[v.yTicks.length - 1]!.label, '100');
    assert.equal(Math.min(...ys), v.plot.top);
  });
});

describe('niceTicks', () => {
  it('covers the range with evenly spaced 1-2-5 steps, about as many as asked', () => {
    assert.deepEqual(niceTicks(0, 0.93, 4), [0, 0.5, 1]);
    for (const [min, max, count] of [[12, 118, 5], [0.0013, 0.0371, 4], [-3, 7, 6]] as const) {
      const t = niceTicks(min, max, count);
      assert.ok(t[0]! <= min && t[t.length - 1]! >= max, `${t} does not cover ${min}..${max}`);
      const steps = t.slice(1).map((v, i) => v - t[i]!);
      assert.ok(steps.every((s) => Math.abs(s - steps[0]!) < 1e-9), `uneven steps ${steps}`);
      const mantissa = steps[0]! / 10 ** Math.floor(Math.log10(steps[0]!));
      assert.ok([1, 2, 5].some((f) => Math.abs(mantissa - f) < 1e-6), `step ${steps[0]} is not 1, 2 or 5 × 10^k`);
      assert.ok(t.length >= 2 && t.length <= count + 2, `${t.length} ticks for ${count}`);
    }
  });

  it('gives a range for a constant series', () => {
    const t = niceTicks(5, 5, 4);
    assert.ok(t[0]! < 5 && t[t.length - 1]! > 5);
  });
});

describe('format', () => {
  it('formats values with units a person reads', () => {
    assert.equal(formatValue(0.92, 's'), '920 ms');
    assert.equal(formatValue(1.5, 's'), '1.5 s');
    assert.equal(formatValue(0.031, 'ratio'), '3.1 %');
    assert.equal(formatValue(12345, 'req/s'), '12.3k req/s');
    assert.equal(formatValue(0), '0');
  });

  it('formats times in a fixed offset and durations', () => {
    assert.equal(formatDateTime(Date.parse('2026-11-18T14:02:00Z') / 1000), 'Wed Nov 18 14:02');
    assert.equal(formatDateTime(Date.parse('2026-11-18T14:02:00Z') / 1000, 60), 'Wed Nov 18 15:02');
    assert.equal(formatDurationMs(95_000), '1 min 35 s');
    assert.equal(formatDurationMs(450), '450 ms');
  });
});
