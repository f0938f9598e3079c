import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Series } from '../../../../src/core/telemetry/series';
import { finiteStats, infinitiesAsGaps, mergeResults, normalizeSeries, sliceSeries } from '../../../../src/core/telemetry/seriesOps';

const series = (times: number[], values: number[], labels: Record<string, string> = {}): Series => ({
  name: 'm',
  labels,
  times: Float64Array.from(times),
  values: Float64Array.from(values),
});

describe('series utilities', () => {
  it('leaves a clean series alone (same object)', () => {
    const s = series([1, 2, 3], [1, NaN, Infinity]);
    const { series: out, report } = normalizeSeries(s);
    assert.equal(out, s);
    assert.deepEqual(report, { duplicates: 0, reordered: false, invalidTimes: 0, nanValues: 1, infiniteValues: 1 });
  });

  it('sorts out-of-order samples, keeps the last of duplicate timestamps, drops NaN times', () => {
    const s = series([3, 1, 2, 2, NaN, 1], [30, 10, 20, 21, 99, 11]);
    const { series: out, report } = normalizeSeries(s);
    assert.deepEqual([...out.times], [1, 2, 3]);
    assert.deepEqual([...out.values], [11, 21, 30]);
    assert.deepEqual(report, { duplicates: 2, reordered: true, invalidTimes: 1, nanValues: 0, infiniteValues: 0 });
  });

  it('normalizing is idempotent and yields strictly increasing times (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.double({ noNaN: false })), { maxLength: 200 }), (pairs) => {
        const s = series(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
        const once = normalizeSeries(s).series;
        for (let i = 1; i < once.times.length; i++) assert.ok(once.times[i]! > once.times[i - 1]!);
        assert.equal(once.times.length, new Set(pairs.map((p) => p[0])).size);
        // The value kept for each time is the last one that arrived for it.
        const last = new Map<number, number>();
        for (const [t, v] of pairs) last.set(t, v);
        for (let i = 0; i < once.times.length; i++) assert.ok(Object.is(once.values[i], last.get(once.times[i]!)));
        const twice = normalizeSeries(once);
        assert.equal(twice.series, once);
      }),
    );
  });

  it('merges the pieces of a split range: matching series joined, edge overlaps not doubled, gaps kept', () => {
    const a = { series: [series([0, 15, 30], [1, 2, 3], { job: 'a' }), series([0], [9], { job: 'b' })], warnings: ['w1'] };
    const b = { series: [series([30, 45], [3, 4], { job: 'a' })], partial: [{ reason: 'chunk failed', from: 60, to: 90 }], warnings: ['w1', 'w2'] };
    const merged = mergeResults([a, b]);
    assert.equal(merged.series.length, 2);
    const jobA = merged.series.find((s) => s.labels.job === 'a')!;
    assert.deepEqual([...jobA.times], [0, 15, 30, 45]);
    assert.deepEqual([...jobA.values], [1, 2, 3, 4]);
    assert.deepEqual(merged.partial, [{ reason: 'chunk failed', from: 60, to: 90 }]);
    assert.deepEqual(merged.warnings, ['w1', 'w2']);
  });

  it('slices by time, turns ±Inf into gaps on request, and computes finite stats', () => {
    const s = series([0, 10, 20, 30, 40], [1, Infinity, 3, -Infinity, NaN]);
    assert.deepEqual([...sliceSeries(s, 10, 30).times], [10, 20, 30]);
    assert.deepEqual([...sliceSeries(s, 11, 29).times], [20]);
    const { series: gaps, replaced } = infinitiesAsGaps(s);
    assert.equal(replaced, 2);
    assert.ok(Number.isNaN(gaps.values[1]!) && Number.isNaN(gaps.values[3]!));
    assert.equal(s.values[1], Infinity, 'the input is not changed');
    assert.deepEqual(finiteStats(s.values), { count: 2, min: 1, max: 3, mean: 2 });
  });
});
