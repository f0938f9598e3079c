import * as assert from 'assert';
import fc from 'fast-check';
import {
  nabProfiles,
  probationaryPeriod,
  scaledSigmoid,
  scoreAtThreshold,
  scoreFile,
  sweepThreshold,
  windowsToIndices,
  type NabFile,
} from '../../../../src/core/nab/scorer';

const standard = nabProfiles.find((p) => p.name === 'standard')!;
const lowFp = nabProfiles.find((p) => p.name === 'reward_low_FP_rate')!;
const lowFn = nabProfiles.find((p) => p.name === 'reward_low_FN_rate')!;

/** 100 rows, probation 15 rows, one window over rows 40..59 (width 20). */
const file = { name: 'f.csv', length: 100, windows: [{ left: 40, right: 59 }] };

function detectAt(...rows: number[]): boolean[] {
  const d = new Array<boolean>(100).fill(false);
  for (const r of rows) d[r] = true;
  return d;
}

function withScores(rows: number[]): NabFile {
  const scores = new Float64Array(100);
  for (const r of rows) scores[r] = 1;
  return { ...file, scores };
}

describe('NAB scorer', () => {
  it('uses 15% of the rows, at most 750, as the probationary period', () => {
    assert.strictEqual(probationaryPeriod(100), 15);
    assert.strictEqual(probationaryPeriod(1127), 169);
    assert.strictEqual(probationaryPeriod(22695), 750);
  });

  it('has the scaled sigmoid of the documentation (values computed by hand)', () => {
    assert.ok(Math.abs(scaledSigmoid(-1) - 0.9866142981514305) < 1e-12);
    assert.ok(Math.abs(scaledSigmoid(-0.5) - 0.8482836399575131) < 1e-12);
    assert.ok(Math.abs(scaledSigmoid(0)) < 1e-12);
    assert.strictEqual(scaledSigmoid(3.5), -1);
  });

  it('gives the null detector a normalised score of 0 and the perfect one 100', () => {
    assert.strictEqual(scoreAtThreshold([withScores([])], standard, 0.5).normalised, 0);
    assert.strictEqual(scoreAtThreshold([withScores([])], standard, 0.5).raw, -1);
    const perfect = scoreAtThreshold([withScores([40])], standard, 0.5);
    assert.ok(Math.abs(perfect.normalised - 100) < 1e-9, String(perfect.normalised));
    assert.ok(Math.abs(scoreAtThreshold([withScores([40])], lowFn, 0.5).normalised - 100) < 1e-9);
  });

  it('rewards a detection in the middle of the window by sigma(-0.5)/sigma(-1)', () => {
    const s = scoreFile(file, detectAt(50), standard);
    assert.ok(Math.abs(s.raw - 0.8597925669097837) < 1e-12, String(s.raw));
    assert.deepStrictEqual([s.tp, s.fp, s.fn], [1, 0, 0]);
  });

  it('earns more for an early detection than for a late one, and counts only the earliest', () => {
    const early = scoreFile(file, detectAt(42), standard).raw;
    const late = scoreFile(file, detectAt(59), standard).raw;
    assert.ok(early > late);
    assert.ok(Math.abs(late - 0.1260401374727592) < 1e-12, String(late));
    assert.strictEqual(scoreFile(file, detectAt(42, 45, 59), standard).raw, early);
  });

  it('charges a false alarm right after a window less than one far from it', () => {
    const near = scoreFile(file, detectAt(40, 60), standard).raw - 1;
    const far = scoreFile(file, detectAt(40, 99), standard).raw - 1;
    assert.ok(Math.abs(near - 0.11 * -0.13082482642666593) < 1e-12, String(near));
    assert.ok(Math.abs(far - 0.11 * -0.9999463589234484) < 1e-12, String(far));
    assert.ok(near > far);
  });

  it('charges the full false-alarm cost before any window, doubled in the low-FP profile', () => {
    assert.ok(Math.abs(scoreFile(file, detectAt(20, 40), standard).raw - (1 - 0.11)) < 1e-12);
    assert.ok(Math.abs(scoreFile(file, detectAt(20, 40), lowFp).raw - (1 - 0.22)) < 1e-12);
  });

  it('ignores detections in the probationary period', () => {
    const s = scoreFile(file, detectAt(3, 14), standard);
    assert.deepStrictEqual([s.raw, s.tp, s.fp, s.fn], [-1, 0, 0, 1]);
  });

  it('maps labelled time windows to the rows inside them, ends included', () => {
    const times = Float64Array.from([0, 60, 120, 180, 240, 300]);
    assert.deepStrictEqual(windowsToIndices(times, [[60, 180]]), [{ left: 1, right: 3 }]);
    assert.deepStrictEqual(windowsToIndices(times, [[61, 119]]), []);
  });

  it('finds the threshold that a brute-force search over every score finds', () => {
    const arbFile = fc.record({
      scores: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 60, maxLength: 60 }),
      windows: fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(arbFile, { minLength: 1, maxLength: 3 }), (specs) => {
        const files: NabFile[] = specs.map((s, f) => ({
          name: `f${f}`,
          length: 60,
          scores: Float64Array.from(s.scores, (x) => x / 20),
          windows: [...s.windows].sort((a, b) => a - b).map((k) => ({ left: k * 10, right: k * 10 + 4 })),
        }));
        for (const profile of nabProfiles) {
          const swept = sweepThreshold(files, profile);
          let best = scoreAtThreshold(files, profile, Infinity).raw;
          for (let t = 0; t <= 20; t++) best = Math.max(best, scoreAtThreshold(files, profile, t / 20).raw);
          assert.ok(Math.abs(swept.raw - best) < 1e-9, `${profile.name}: ${swept.raw} vs ${best}`);
          assert.ok(Math.abs(scoreAtThreshold(files, profile, swept.threshold).raw - swept.raw) < 1e-9);
        }
      }),
      { numRuns: 200, seed: 42 },
    );
  });
});
