import * as assert from 'assert';
import { ChangePointDetector } from '../../../../src/core/anomaly/changePointDetector';
import { ContextDetector } from '../../../../src/core/anomaly/contextDetector';
import { LevelDetector } from '../../../../src/core/anomaly/levelDetector';
import { AnomalyLikelihood, defaultLikelihoodConfig } from '../../../../src/core/anomaly/likelihood';
import { RarityDetector } from '../../../../src/core/anomaly/rarityDetector';
import { SeasonalDetector } from '../../../../src/core/anomaly/seasonalDetector';
import { SpectralResidualDetector, fft } from '../../../../src/core/anomaly/spectralResidual';
import { gaussian, pointsPerDay, seasonalSeries, seededRandom, start, stepSeconds } from './synthetic';

describe('anomaly methods', () => {
  it('seasonal: learns the median of each hour, then of each weekday-hour', () => {
    const d = new SeasonalDetector();
    const random = seededRandom(1);
    // Two values a day: 10 at night (hours 0-11), 50 by day, plus small noise; 3 weeks.
    const points = 21 * pointsPerDay;
    for (let i = 0; i < points; i++) {
      const t = start + i * stepSeconds;
      const hour = Math.floor((t % 86400) / 3600);
      d.update(t, (hour < 12 ? 10 : 50) + 0.5 * gaussian(random));
    }
    const t = start + points * stepSeconds + 14 * 3600; // a Monday, 14:00
    const raw = d.update(t, 50);
    assert.ok(Math.abs(d.baseline - 50) < 1, `baseline ${d.baseline}`);
    assert.ok(raw < 3, `raw ${raw}`);
    assert.strictEqual(d.lastWeekday, 1, 'three weeks of Mondays are enough for a weekday baseline');
    assert.strictEqual(d.lastSlotStart, 14 * 3600);
    const off = d.update(t + 300, 10);
    assert.ok(off > 5 && off > 3 * raw, `a night value by day is far off: ${off}`);
  });

  it('level: follows a ramp (trend) and scores a step in residual MADs', () => {
    const d = new LevelDetector({ alpha: 0.1, beta: 0.05, gamma: 0.02, clip: 4, seasonRate: 0 });
    const random = seededRandom(2);
    let raw = 0;
    for (let i = 0; i < 2000; i++) raw = d.update(start + i * 60, 0.5 * i + gaussian(random));
    assert.ok(raw < 4, `ramp residual ${raw}`);
    assert.ok(Math.abs(d.baseline - 0.5 * 1999) < 5, `baseline ${d.baseline}`);
    assert.ok(d.update(start + 2000 * 60, 0.5 * 2000 + 30) > 10);
  });

  it('change point: accumulates a small persistent shift that no single point shows', () => {
    const d = new ChangePointDetector();
    const random = seededRandom(3);
    let calm = 0;
    for (let i = 0; i < 3000; i++) calm = Math.max(calm, i > 500 ? d.update(i, gaussian(random)) : (d.update(i, gaussian(random)), 0));
    let shifted = 0;
    for (let i = 0; i < 200; i++) shifted = Math.max(shifted, d.update(3000 + i, 1.5 + gaussian(random)));
    assert.ok(shifted > 2 * calm, `calm ${calm}, shifted ${shifted}`);
  });

  it('rarity: a value in a range the series never visited is surprising', () => {
    const d = new RarityDetector();
    const random = seededRandom(4);
    let sum = 0;
    let n = 0;
    for (let i = 0; i < 3000; i++) {
      const raw = d.update(i, 10 + gaussian(random));
      if (raw === raw) {
        sum += raw;
        n++;
      }
    }
    const usual = sum / n;
    const rare = d.update(3000, 30);
    assert.ok(rare > usual + 5, `usual ${usual}, rare ${rare}`);
    assert.ok(d.update(3001, 30) < rare, 'seen once, a bin is a little less rare');
  });

  it('context: a transition never seen after a repeating pattern is surprising', () => {
    const d = new ContextDetector({ learnPoints: 30, bins: 8, maxContexts: 4096, maxOrder: 2 });
    const pattern = [0, 1, 2, 3, 4, 5, 6, 7];
    let usual = 0;
    for (let i = 0; i < 2000; i++) {
      const raw = d.update(i, pattern[i % 8]!);
      if (i > 500) usual = Math.max(usual, raw);
    }
    // 2000 % 8 === 0: the pattern expects 0; 7 after 7 is a new context of known values.
    const novel = d.update(2000, 7);
    assert.ok(novel > usual + 1, `usual ${usual}, novel ${novel}`);
  });

  it('context: forgets old contexts to stay within its memory bound', () => {
    const d = new ContextDetector({ learnPoints: 10, bins: 50, maxContexts: 200, maxOrder: 2 });
    const random = seededRandom(5);
    for (let i = 0; i < 20000; i++) d.update(i, random() * 100);
    const keys = d.saveState()['keys'] as unknown[];
    assert.ok(keys.length <= 200, `${keys.length} contexts`);
  });

  it('records: a new high beyond the range so far is a record, a repeated one is not', () => {
    const d = new SeasonalDetector();
    const s = seasonalSeries({ points: 5 * pointsPerDay, seed: 6 });
    let before = 0;
    // The first day still widens the range (the rhythm has not been seen whole), so range records
    // only count after a day; deviation records after 300 points.
    for (let i = 0; i < s.values.length; i++) {
      d.update(s.times[i]!, s.values[i]!);
      if (i < pointsPerDay) assert.ok(!d.rangeRecord, `range record at ${i}, in the first day`);
      before = Math.max(before, d.lastRecord);
    }
    const t = s.times[s.times.length - 1]! + stepSeconds;
    d.update(t, 400);
    const first = d.lastRecord;
    assert.ok(d.rangeRecord, 'a value far above everything seen is a new high');
    d.update(t + stepSeconds, 400);
    assert.strictEqual(before, 0, 'a clean seasonal series has no records');
    assert.ok(first >= 1, `first ${first}`);
    assert.ok(d.lastRecord < 1, `again ${d.lastRecord}`);
  });

  it('records: a lone dip inside the range, many times any recent deviation, is a record too', () => {
    const d = new SeasonalDetector();
    // Eight days: the large deviations of the first hours (slots still settling) have faded.
    const s = seasonalSeries({ points: 8 * pointsPerDay, seed: 8 });
    for (let i = 0; i < s.values.length; i++) d.update(s.times[i]!, s.values[i]!);
    // 06:00 of the ninth day: the rhythm is at its top (120), and 85 is well inside the range (about 75..125).
    const t = start + 8 * 86400 + 6 * 3600;
    d.update(t, 85);
    assert.ok(!d.rangeRecord, 'not a new low');
    assert.ok(d.lastRecord >= 1, `dip ${d.lastRecord}`);
    // Noise of the same series a few points later is not.
    d.update(t + stepSeconds, 120);
    assert.ok(d.lastRecord < 1);
  });

  it('spectral residual: the FFT round-trips and a spike in a sine stands out', () => {
    const re = Float64Array.from({ length: 16 }, (_, i) => Math.sin(i) + i);
    const im = new Float64Array(16);
    const copy = Float64Array.from(re);
    fft(re, im, false);
    fft(re, im, true);
    re.forEach((x, i) => assert.ok(Math.abs(x - copy[i]!) < 1e-9));
    const d = new SpectralResidualDetector();
    let usual = 0;
    for (let i = 0; i < 500; i++) usual = Math.max(usual, d.update(i, Math.sin(i / 5)) || 0);
    const spike = d.update(500, Math.sin(100) + 5);
    assert.ok(spike > 1.5 * usual, `usual ${usual}, spike ${spike}`);
  });

  it('likelihood: calibrated on noise (rare high scores), certain on a jump', () => {
    const l = new AnomalyLikelihood(defaultLikelihoodConfig);
    const random = seededRandom(7);
    let rare = 0;
    for (let i = 0; i < 20000; i++) if (l.update(Math.abs(gaussian(random))) < Math.log(1e-5)) rare++;
    assert.ok(rare < 20, `${rare} of 20000 below 1e-5`);
    let jump = 0;
    for (let i = 0; i < 20; i++) jump = Math.min(jump, l.update(6));
    assert.ok(jump < Math.log(1e-10), `jump ${jump}`);
    assert.strictEqual(l.update(Number.NaN), 0);
  });
});
