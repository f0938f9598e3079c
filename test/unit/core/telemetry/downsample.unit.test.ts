import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { lttb, m4 } from '../../../../src/core/telemetry/downsample';

function wave(n: number, spikeAt = -1): { times: Float64Array; values: Float64Array } {
  const times = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    times[i] = i * 15;
    values[i] = Math.sin(i / 50) + (i === spikeAt ? 40 : 0);
  }
  return { times, values };
}

/** Per pixel column: min, max, first and last of the points falling in it. */
function columnSummary(times: Float64Array, values: Float64Array, width: number, from: number, to: number): Map<number, [number, number, number, number]> {
  const out = new Map<number, [number, number, number, number]>();
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if (t < from || t > to || Number.isNaN(values[i]!)) continue;
    const c = Math.min(width - 1, Math.floor(((t - from) / (to - from)) * width));
    const v = values[i]!;
    const cur = out.get(c);
    if (!cur) out.set(c, [v, v, t, t]);
    else out.set(c, [Math.min(cur[0], v), Math.max(cur[1], v), Math.min(cur[2], t), Math.max(cur[3], t)]);
  }
  return out;
}

describe('downsampling for display', () => {
  it('M4 keeps every pixel column exactly: min, max, first and last survive, so a one-sample spike shows', () => {
    const { times, values } = wave(172_800, 100_000);
    const width = 800;
    const out = m4(times, values, width);
    assert.ok(out.times.length <= width * 4 + 2, `${out.times.length} points`);
    assert.ok(Math.max(...out.values) >= 40, 'the spike is kept');
    const before = columnSummary(times, values, width, times[0]!, times[times.length - 1]!);
    const after = columnSummary(out.times, out.values, width, times[0]!, times[times.length - 1]!);
    assert.deepEqual([...after.entries()], [...before.entries()]);
  });

  it('M4 keeps a NaN so the line breaks at a gap, and the neighbours outside [from, to]', () => {
    const { times, values } = wave(10_000);
    values[5000] = NaN;
    const out = m4(times, values, 100, times[1000]!, times[9000]!);
    assert.ok([...out.values].some((v) => Number.isNaN(v)));
    assert.equal(out.times[0], times[999], 'the point just before the window is kept');
    assert.equal(out.times[out.times.length - 1], times[9001], 'and the one just after');
    for (let i = 1; i < out.times.length; i++) assert.ok(out.times[i]! > out.times[i - 1]!);
  });

  it('M4 returns small inputs unchanged', () => {
    const { times, values } = wave(100);
    const out = m4(times, values, 800);
    assert.equal(out.times, times);
  });

  it('LTTB keeps first and last, stays near the budget, returns a time-ordered subset (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 3000 }), fc.integer({ min: 3, max: 400 }), fc.integer({ min: 0, max: 5 }), (n, threshold, gaps) => {
        const { times, values } = wave(n);
        for (let g = 0; g < gaps; g++) values[Math.floor(((g + 1) * n) / (gaps + 2))] = NaN;
        const out = lttb(times, values, threshold);
        if (n <= threshold) {
          assert.equal(out.times, times);
          return;
        }
        const index = new Map<number, number>();
        times.forEach((t, i) => index.set(t, i));
        let prev = -1;
        for (let k = 0; k < out.times.length; k++) {
          const i = index.get(out.times[k]!);
          assert.ok(i !== undefined && i > prev, 'a subset, in order');
          assert.ok(Object.is(out.values[k], values[i]), 'values are the input values');
          prev = i;
        }
        assert.ok(out.times.length <= threshold + 3 * (gaps + 1), `${out.times.length} points for threshold ${threshold}`);
        if (!Number.isNaN(values[0]!)) assert.equal(out.times[0], times[0]);
        if (!Number.isNaN(values[n - 1]!)) assert.equal(out.times[out.times.length - 1], times[n - 1]);
        assert.equal([...out.values].filter((v) => Number.isNaN(v)).length, [...values].filter((v, i) => Number.isNaN(v) && (i === 0 || !Number.isNaN(values[i - 1]!))).length);
      }),
    );
  });

  it('LTTB picks the spike over its flat neighbours', () => {
    const n = 10_000;
    const times = Float64Array.from({ length: n }, (_, i) => i);
    const values = new Float64Array(n);
    values[4321] = 100;
    const out = lttb(times, values, 50);
    assert.ok([...out.values].includes(100));
  });
});
