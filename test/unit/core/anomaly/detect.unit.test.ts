import * as assert from 'assert';
import type { Anomaly } from '../../../../src/core/anomaly/anomaly';
import { createDetector, detectAnomalies, sensitivityAlarmLevels, type Sensitivity } from '../../../../src/core/anomaly/detect';
import { OpsloopError } from '../../../../src/core/errors';
import type { Series } from '../../../../src/core/telemetry/series';
import { gaussian, maxIn, pointsPerDay, seasonalSeries, seededRandom, start, stepSeconds, type SyntheticSeries } from './synthetic';

const days = 10;
const points = days * pointsPerDay;
/** Anomalies are injected on day 7, well after every method has learnt the series. */
const at = 7 * pointsPerDay + 100;

function asSeries(s: SyntheticSeries, name = 'p99 latency'): Series {
  return { name, labels: { service: 'api' }, times: s.times, values: s.values };
}

function timeOf(i: number): number {
  return start + i * stepSeconds;
}

/** Anomalies whose span (onset..end, or peak when still open) comes near index i. */
function near(anomalies: readonly Anomaly[], i: number, slackPoints = 30): Anomaly[] {
  const t = timeOf(i);
  return anomalies.filter((a) => a.onset <= t + slackPoints * stepSeconds && (a.end ?? a.peak) >= t - slackPoints * stepSeconds);
}

/** Anomalies that start after the learning days and away from index i. */
function elsewhere(anomalies: readonly Anomaly[], i: number, learnDays = 2): Anomaly[] {
  const found = new Set(near(anomalies, i, 300));
  return anomalies.filter((a) => a.onset >= timeOf(learnDays * pointsPerDay) && !found.has(a));
}

describe('anomaly detection on synthetic series', () => {
  it('marks a spike as a spike at the spike, with the value, baseline and deviation', () => {
    const s = seasonalSeries({ points });
    s.values[at] = s.values[at]! + 40;
    const { scores, anomalies } = detectAnomalies(asSeries(s), { unit: 'ms' });
    assert.ok(scores[at]! >= sensitivityAlarmLevels.medium, `score at spike ${scores[at]}`);
    const hits = near(anomalies, at, 2);
    assert.strictEqual(hits.length, 1, JSON.stringify(anomalies));
    const a = hits[0]!;
    assert.strictEqual(a.kind, 'spike');
    assert.strictEqual(a.peak, timeOf(at));
    assert.strictEqual(a.value, s.values[at]);
    assert.ok(a.deviation > 5, `deviation ${a.deviation}`);
    assert.ok(Math.abs(a.value - a.baseline) > 25, `baseline ${a.baseline}`);
    assert.ok(a.onset <= a.peak && a.peak <= a.end!, JSON.stringify(a));
    assert.strictEqual(a.seriesKey, 'p99 latency{service="api"}');
    assert.match(a.explanation, /^p99 latency \d+ ms, [\d.]+ MADs above its usual \d+ ms for \d\d:\d\d, from \d\d:\d\d/);
  });

  it('marks a dip as a dip', () => {
    const s = seasonalSeries({ points });
    s.values[at] = s.values[at]! - 40;
    const hits = near(detectAnomalies(asSeries(s)).anomalies, at, 2);
    assert.strictEqual(hits.length, 1);
    assert.strictEqual(hits[0]!.kind, 'dip');
    assert.ok(hits[0]!.deviation < -5);
    assert.match(hits[0]!.explanation, /MADs below/);
  });

  it('marks a level shift (a deploy) as a level shift with its onset at the shift', () => {
    const s = seasonalSeries({ points });
    for (let i = at; i < points; i++) s.values[i] = s.values[i]! + 15;
    const hits = near(detectAnomalies(asSeries(s)).anomalies, at, 12);
    assert.ok(hits.length >= 1, 'no anomaly at the shift');
    assert.strictEqual(hits[0]!.kind, 'levelShift');
    assert.ok(Math.abs(hits[0]!.onset - timeOf(at)) <= 12 * stepSeconds, `onset ${(hits[0]!.onset - start) / stepSeconds}`);
  });

  it('marks a slow climb (a memory leak) as a trend', () => {
    const s = seasonalSeries({ points });
    for (let i = at; i < points; i++) s.values[i] = s.values[i]! + 0.1 * (i - at);
    const { anomalies } = detectAnomalies(asSeries(s));
    const leak = anomalies.filter((a) => a.onset >= timeOf(at) && a.onset <= timeOf(at + 300));
    assert.ok(leak.length >= 1, 'the climb was not flagged within a day');
    assert.strictEqual(leak[0]!.kind, 'trend', leak.map((a) => a.explanation).join(' | '));
    assert.match(leak[0]!.explanation, /has been climbing to/);
    assert.ok(leak[0]!.deviation > 0);
  });

  it('calls a step that drifts a little further afterwards a level shift, not a climb', () => {
    // a deploy that quadruples latency, which then creeps up a few per cent: the step is the news
    const s = seasonalSeries({ points });
    for (let i = at; i < points; i++) s.values[i] = s.values[i]! + 15 + 0.05 * (i - at);
    for (const end of [at + 60, at + 200]) {
      const hits = near(detectAnomalies(asSeries({ times: s.times.subarray(0, end), values: s.values.subarray(0, end) })).anomalies, at, 12);
      assert.ok(hits.length >= 1, `no anomaly at the shift (first ${end - at} points after it)`);
      assert.strictEqual(hits[0]!.kind, 'levelShift', hits[0]!.explanation);
    }
  });

  it('notices when the daily rhythm disappears', () => {
    const s = seasonalSeries({ points });
    const random = seededRandom(99);
    for (let i = at; i < points; i++) s.values[i] = 100 + 2 * gaussian(random);
    const { scores } = detectAnomalies(asSeries(s));
    assert.ok(maxIn(scores, at, at + pointsPerDay) >= sensitivityAlarmLevels.medium, `max ${maxIn(scores, at, at + pointsPerDay)}`);
  });

  it('notices when the noise grows fivefold', () => {
    const s = seasonalSeries({ points });
    const random = seededRandom(5);
    for (let i = at; i < points; i++) s.values[i] = s.values[i]! + 10 * gaussian(random);
    const { scores } = detectAnomalies(asSeries(s));
    assert.ok(maxIn(scores, at, at + pointsPerDay) >= sensitivityAlarmLevels.medium);
  });

  it('raises few false alarms on a clean seasonal series', () => {
    for (const seed of [1, 2, 3]) {
      const { anomalies } = detectAnomalies(asSeries(seasonalSeries({ points, seed })));
      assert.ok(elsewhere(anomalies, -1e6).length <= 1, `seed ${seed}: ${anomalies.map((a) => a.explanation).join(' | ')}`);
    }
  });

  it('scores gaps (NaN) as 0, learns nothing from them and still sees a later spike', () => {
    const s = seasonalSeries({ points });
    for (let i = 1000; i < 1100; i++) s.values[i] = Number.NaN;
    s.values[at] = s.values[at]! + 40;
    const { scores, anomalies } = detectAnomalies(asSeries(s));
    for (let i = 1000; i < 1100; i++) assert.strictEqual(scores[i], 0);
    assert.strictEqual(near(anomalies, at, 2).length, 1);
    assert.ok(scores.every((x) => x >= 0 && x <= 1));
  });

  it('handles irregular timestamps and points out of order', () => {
    const random = seededRandom(11);
    const s = seasonalSeries({ points });
    let t = start;
    for (let i = 0; i < points; i++) {
      t += stepSeconds * (0.2 + 1.6 * random());
      s.times[i] = t;
    }
    s.times[500] = s.times[499]! - 3600;
    s.values[at] = s.values[at]! + 40;
    const { scores, anomalies } = detectAnomalies(asSeries(s));
    assert.strictEqual(scores[500], 0, 'a point out of order is ignored');
    assert.ok(scores[at]! >= sensitivityAlarmLevels.medium);
    assert.ok(anomalies.some((a) => a.peak === s.times[at]));
  });

  it('survives a constant series without dividing by zero, then flags a step', () => {
    const times = new Float64Array(3000).map((_, i) => start + i * 60);
    const values = new Float64Array(3000).fill(5);
    const flat = detectAnomalies({ name: 'queue depth', labels: {}, times, values });
    assert.ok(flat.scores.every((x) => x === 0), 'a flat line is never anomalous');
    assert.deepStrictEqual(flat.anomalies, []);
    for (let i = 2000; i < 3000; i++) values[i] = 6;
    const step = detectAnomalies({ name: 'queue depth', labels: {}, times, values });
    assert.ok(step.scores.every((x) => Number.isFinite(x) && x >= 0 && x <= 1));
    const hits = step.anomalies.filter((a) => a.onset >= times[1995]! && a.onset <= times[2005]!);
    assert.strictEqual(hits.length, 1, JSON.stringify(step.anomalies));
    assert.ok(Number.isFinite(hits[0]!.deviation) && hits[0]!.deviation > 0);
    assert.doesNotMatch(hits[0]!.explanation, /NaN|Infinity|undefined/);
  });

  it('is deterministic: the same input gives the same scores and anomalies', () => {
    const s = seasonalSeries({ points, seed: 4 });
    s.values[at] = 200;
    const a = detectAnomalies(asSeries(s));
    const b = detectAnomalies(asSeries({ times: Float64Array.from(s.times), values: Float64Array.from(s.values) }));
    assert.deepStrictEqual(Array.from(a.scores), Array.from(b.scores));
    assert.deepStrictEqual(a.anomalies, b.anomalies);
  });

  it('flags more with higher sensitivity', () => {
    const random = seededRandom(21);
    const s = seasonalSeries({ points, noise: 4 });
    for (let k = 0; k < 12; k++) {
      const i = 2 * pointsPerDay + Math.floor(random() * (points - 2 * pointsPerDay));
      s.values[i] = s.values[i]! + (10 + 20 * random()) * (random() < 0.5 ? -1 : 1);
    }
    const count = (sensitivity: Sensitivity): number => detectAnomalies(asSeries(s), { sensitivity }).anomalies.length;
    const low = count('low');
    const medium = count('medium');
    const high = count('high');
    assert.ok(low <= medium && medium <= high, `${low} ${medium} ${high}`);
    assert.ok(low < high, `${low} ${high}`);
  });

  it('keeps an anomaly open (no end) while it is going on', () => {
    const s = seasonalSeries({ points: at + 3 });
    for (let i = at; i < at + 3; i++) s.values[i] = s.values[i]! + 60;
    const { anomalies } = detectAnomalies(asSeries(s));
    const last = anomalies[anomalies.length - 1]!;
    assert.strictEqual(last.end, undefined);
    assert.match(last.explanation, /since/);
  });

  it('rejects an unknown sensitivity with a kind the caller can branch on', () => {
    assert.throws(
      () => createDetector({ sensitivity: 'extreme' as Sensitivity }),
      (e: unknown) => OpsloopError.is(e, 'invalidInput'),
    );
  });
});
