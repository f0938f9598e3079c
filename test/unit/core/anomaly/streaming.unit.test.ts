import * as assert from 'assert';
import fc from 'fast-check';
import { createDetector, sensitivityLevels } from '../../../../src/core/anomaly/detect';
import { EnsembleDetector, defaultEnsembleConfig, type EnsembleConfig } from '../../../../src/core/anomaly/ensemble';
import { OpsloopError } from '../../../../src/core/errors';
import { pointsPerDay, seasonalSeries, start } from './synthetic';

/** Series the properties draw: a rhythm, noise, gaps, spikes and shifts, at random. */
const arbitrarySeries = fc
  .record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    points: fc.integer({ min: 200, max: 900 }),
    events: fc.array(fc.record({ at: fc.nat(899), kind: fc.constantFrom('spike', 'gap', 'shift', 'huge'), size: fc.double({ min: -50, max: 50, noNaN: true }) }), { maxLength: 6 }),
  })
  .map(({ seed, points, events }) => {
    const s = seasonalSeries({ points, seed });
    for (const e of events) {
      if (e.at >= points) continue;
      if (e.kind === 'spike') s.values[e.at] = s.values[e.at]! + e.size;
      else if (e.kind === 'gap') s.values[e.at] = Number.NaN;
      else if (e.kind === 'huge') s.values[e.at] = e.size * 1e12;
      else for (let i = e.at; i < points; i++) s.values[i] = s.values[i]! + e.size;
    }
    return s;
  });

/** The NAB configuration (no deviation condition) and the product's medium level (with it). */
const configs: readonly EnsembleConfig[] = [defaultEnsembleConfig, { ...defaultEnsembleConfig, ...sensitivityLevels.medium }];

function pointByPoint(times: Float64Array, values: Float64Array, config = defaultEnsembleConfig): Float64Array {
  const d = new EnsembleDetector(config);
  return Float64Array.from(values, (v, i) => d.update(times[i]!, v));
}

function batched(times: Float64Array, values: Float64Array, config = defaultEnsembleConfig): Float64Array {
  const d = new EnsembleDetector(config);
  const out = new Float64Array(values.length);
  // Two calls, so a batch boundary falls inside the series too.
  const cut = values.length >> 1;
  d.updateBatch(times, values, out, 0, cut);
  d.updateBatch(times, values, out, cut, values.length);
  return out;
}

describe('streaming anomaly engine', () => {
  it('never lets a later point change an earlier score (no look-ahead)', () => {
    fc.assert(
      fc.property(arbitrarySeries, fc.nat(), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(...configs), (s, k, replacement, config) => {
        const cut = k % s.values.length;
        const before = pointByPoint(s.times, s.values, config);
        const changed = Float64Array.from(s.values);
        for (let i = cut + 1; i < changed.length; i++) changed[i] = i % 2 ? replacement : changed[i]! * 3;
        const after = pointByPoint(s.times, changed, config);
        for (let i = 0; i <= cut; i++) if (!Object.is(before[i], after[i])) return false;
        const afterBatch = batched(s.times, changed, config);
        for (let i = 0; i <= cut; i++) if (!Object.is(before[i], afterBatch[i])) return false;
        return true;
      }),
      { numRuns: 40, seed: 1 },
    );
  });

  it('gives the same scores in batches as point by point, always in [0, 1]', () => {
    fc.assert(
      fc.property(arbitrarySeries, fc.constantFrom(...configs), (s, config) => {
        const a = pointByPoint(s.times, s.values, config);
        const b = batched(s.times, s.values, config);
        return a.every((x, i) => Object.is(x, b[i]) && x >= 0 && x <= 1);
      }),
      { numRuns: 40, seed: 2 },
    );
  });

  it('continues from saved JSON state exactly as if it had never stopped', () => {
    const s = seasonalSeries({ points: 6 * pointsPerDay, seed: 3 });
    for (let i = 1200; i < s.values.length; i++) s.values[i] = s.values[i]! + 25;
    const whole = createDetector({ name: 'cpu' });
    const first = createDetector({ name: 'cpu' });
    const wholeScores: number[] = [];
    const resumedScores: number[] = [];
    const wholeAnomalies = [];
    const resumedAnomalies = [];
    const cut = 1210; // inside the anomaly, so an open span travels in the state too
    for (let i = 0; i < s.values.length; i++) {
      wholeScores.push(whole.update(s.times[i]!, s.values[i]!));
      wholeAnomalies.push(...whole.takeFinished());
    }
    for (let i = 0; i < cut; i++) {
      resumedScores.push(first.update(s.times[i]!, s.values[i]!));
      resumedAnomalies.push(...first.takeFinished());
    }
    const saved = JSON.parse(JSON.stringify(first.saveState())) as ReturnType<typeof first.saveState>;
    const second = createDetector({ name: 'cpu' });
    second.restoreState(saved);
    for (let i = cut; i < s.values.length; i++) {
      resumedScores.push(second.update(s.times[i]!, s.values[i]!));
      resumedAnomalies.push(...second.takeFinished());
    }
    assert.deepStrictEqual(resumedScores, wholeScores);
    assert.deepStrictEqual(resumedAnomalies, wholeAnomalies);
    assert.deepStrictEqual(second.current(), whole.current());
    assert.ok(wholeAnomalies.length + (whole.current() ? 1 : 0) >= 1, 'the shift was flagged');
  });

  it('refuses a state saved by another detector or sensitivity', () => {
    const d = createDetector({ sensitivity: 'low' });
    d.update(start, 1);
    const other = createDetector({ sensitivity: 'high' });
    assert.throws(() => other.restoreState(d.saveState()), (e: unknown) => OpsloopError.is(e, 'invalidInput'));
    assert.throws(() => other.restoreState({ kind: 'something else', version: 1 }), (e: unknown) => OpsloopError.is(e, 'invalidInput'));
    const ensemble = new EnsembleDetector({ ...defaultEnsembleConfig, methods: ['level'] });
    assert.throws(() => ensemble.restoreState(new EnsembleDetector().saveState()), (e: unknown) => OpsloopError.is(e, 'invalidInput'));
  });

  it('keeps bounded memory: the state does not grow with the number of points', () => {
    const size = (points: number): number => {
      const s = seasonalSeries({ points, seed: 9 });
      const d = createDetector();
      for (let i = 0; i < points; i++) d.update(s.times[i]!, s.values[i]!);
      return JSON.stringify(d.saveState()).length;
    };
    const small = size(3 * pointsPerDay);
    const large = size(60 * pointsPerDay);
    assert.ok(large < 1.5 * small, `${small} -> ${large} bytes`);
    assert.ok(large < 64 * 1024, `${large} bytes`);
  });
});
