import * as assert from 'assert';
import { explain, formatClock, formatSlot } from '../../../../src/core/anomaly/explain';
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

  it('formats clocks and slots for people', () => {
    assert.strictEqual(formatClock(1396310700), '00:05');
    assert.strictEqual(formatClock(1396310700, true), '2014-04-01 00:05');
    assert.strictEqual(formatSlot(2, 14 * 3600), 'Tuesday 14:00');
    assert.strictEqual(formatSlot(-1, 9 * 3600 + 1800), '09:30');
  });

  it('explains an anomaly in one sentence with value, distance, baseline, slot and onset, values as the charts print them', () => {
    const text = explain({
      name: 'p99 latency',
      unit: 's',
      kind: 'spike',
      value: 0.92,
      baseline: 0.21,
      deviation: 6.1,
      onset: 1396361100, // 14:05 UTC
      slot: { weekday: 2, startSeconds: 14 * 3600 },
      ongoing: true,
    });
    assert.strictEqual(text, 'p99 latency 920 ms, 6.1 MADs above its usual 210 ms for Tuesday 14:00, since 14:05.');
    const shift = explain({ name: 'errors', kind: 'levelShift', value: 3, baseline: 12, deviation: -4, onset: 0, ongoing: false });
    assert.strictEqual(shift, 'errors shifted to 3, 4.0 MADs below its usual 12, from 00:00.');
    const leak = explain({ name: 'heap', unit: 'MB', kind: 'trend', value: 900, baseline: 400, deviation: 12, onset: 0, ongoing: true });
    assert.strictEqual(leak, 'heap has been climbing to 900 MB, 12.0 MADs above its usual 400 MB, since 00:00.');
  });

  it('writes ratios as percentages, rates with their unit, and a step off a flat line as far', () => {
    const ratio = explain({ name: 'error ratio', unit: 'ratio', kind: 'levelShift', value: 0.0319, baseline: 0.00181, deviation: 78.1, onset: 1794492120, slot: { weekday: -1, startSeconds: 16 * 3600 }, ongoing: true });
    assert.strictEqual(ratio, 'error ratio shifted to 3.19 %, 78.1 MADs above its usual 0.181 % for 16:00, since 14:02.');
    assert.doesNotMatch(ratio, /ratio \d|0\.0319/);
    const rate = explain({ name: 'requests', unit: 'req/s', kind: 'dip', value: 41.2, baseline: 12300, deviation: -12, onset: 0, ongoing: false });
    assert.strictEqual(rate, 'requests 41.2 req/s, 12.0 MADs below its usual 12.3k req/s, from 00:00.');
    const flat = explain({ name: 'queue depth', kind: 'levelShift', value: 6, baseline: 5, deviation: 1e4, onset: 0, ongoing: false });
    assert.strictEqual(flat, 'queue depth shifted to 6, far above its usual 5, from 00:00.');
  });
});
