import * as assert from 'assert';
import { explain, formatClock, formatSlot, formatValue } from '../../../../src/core/anomaly/explain';
import { erfc, logUpperTail, logUpperTailExact, scoreToTail, tailToScore } from '../../../../src/core/anomaly/stats';
import { parseTimestamp } from '../../../../src/core/anomaly/timestamps';

describe('anomaly numbers and words', () => {
  it('parses the timestamps metric exports write', () => {
    assert.strictEqual(parseTimestamp('2014-04-01 00:05:00'), 1396310700);
    assert.strictEqual(parseTimestamp('2014-04-01T00:05:00Z'), 1396310700);
    assert.strictEqual(parseTimestamp('2014-04-01T02:05:00+02:00'), 1396310700);
    assert.strictEqual(parseTimestamp('2014-02-19 10:50:00.000000'), 1392807000);
    assert.strictEqual(parseTimestamp('1396310700'), 1396310700);
    assert.strictEqual(parseTimestamp('1396310700000'), 1396310700);
    assert.ok(Number.isNaN(parseTimestamp('yesterday')));
    assert.ok(Number.isNaN(parseTimestamp('')));
  });

  it('computes normal tails: erfc, its log far out, and the score scale', () => {
    assert.ok(Math.abs(erfc(0) - 1) < 1e-7);
    assert.ok(Math.abs(erfc(1) - 0.157299207050285) < 1e-7);
    assert.ok(Math.abs(logUpperTailExact(0) - Math.log(0.5)) < 1e-7);
    // Q(3) = 0.0013498980316301; Q(10) = 7.61985302416047e-24.
    assert.ok(Math.abs(logUpperTailExact(3) - Math.log(0.0013498980316301)) < 1e-6);
    assert.ok(Math.abs(logUpperTailExact(10) - Math.log(7.61985302416047e-24)) < 1e-3);
    for (let z = 0; z < 45; z += 0.37) assert.ok(Math.abs(logUpperTail(z) - logUpperTailExact(z)) < 1e-3, `z ${z}`);
    assert.ok(Math.abs(tailToScore(Math.log(1e-5)) - 0.5) < 1e-12);
    assert.ok(Math.abs(scoreToTail(0.75) - 1e-15) < 1e-24);
    assert.strictEqual(tailToScore(0), 0);
  });

  it('formats values, clocks and slots for people', () => {
    assert.strictEqual(formatValue(0.9234, 's'), '0.923 s');
    assert.strictEqual(formatValue(16841.2), '16841');
    assert.strictEqual(formatValue(2.5e9), '2.50e9');
    assert.strictEqual(formatValue(0), '0');
    assert.strictEqual(formatClock(1396310700), '00:05');
    assert.strictEqual(formatClock(1396310700, true), '2014-04-01 00:05');
    assert.strictEqual(formatSlot(2, 14 * 3600), 'Tuesday 14:00');
    assert.strictEqual(formatSlot(-1, 9 * 3600 + 1800), '09:30');
  });

  it('explains an anomaly in one sentence with value, distance, baseline, slot and onset', () => {
    const text = explain({
      name: 'p99 latency',
      unit: 's',
      kind: 'spike',
      method: 'seasonal',
      value: 0.92,
      baseline: 0.21,
      deviation: 6.1,
      onset: 1396361100, // 14:05 UTC
      slot: { weekday: 2, startSeconds: 14 * 3600 },
      ongoing: true,
    });
    assert.strictEqual(text, 'p99 latency 0.92 s, 6.1 MADs above its usual 0.21 s for Tuesday 14:00, since 14:05 (seasonal baseline).');
    const shift = explain({ name: 'errors', kind: 'levelShift', method: 'changePoint', value: 3, baseline: 12, deviation: -4, onset: 0, ongoing: false });
    assert.strictEqual(shift, 'errors shifted to 3, 4.0 MADs below its usual 12, from 00:00 (change-point test).');
    const leak = explain({ name: 'heap', unit: 'MB', kind: 'trend', method: 'level', value: 900, baseline: 400, deviation: 12, onset: 0, ongoing: true });
    assert.match(leak, /^heap has been climbing to 900 MB, 12\.0 MADs above its usual 400 MB, since 00:00/);
  });
});
