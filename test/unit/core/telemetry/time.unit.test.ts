import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { OpsloopError } from '../../../../src/core/errors';
import { chooseStep, formatDuration, formatRfc3339, parseDuration, parseRfc3339, parseTimeSpec, splitRange } from '../../../../src/core/telemetry/time';

const now = 1_714_564_800; // 2024-05-01T12:00:00Z

describe('time specs and durations', () => {
  it('reads durations the Prometheus way and plain seconds', () => {
    assert.equal(parseDuration('15s'), 15);
    assert.equal(parseDuration('1h30m'), 5400);
    assert.equal(parseDuration('500ms'), 0.5);
    assert.equal(parseDuration('2d'), 172_800);
    assert.equal(parseDuration('90'), 90);
    assert.equal(parseDuration('1.5h'), 5400);
    for (const bad of ['', 'h', '5 minutes', '1x', '-5m', '5m3']) assert.throws(() => parseDuration(bad), (e: unknown) => OpsloopError.is(e, 'invalidInput'), bad);
    assert.equal(formatDuration(5400), '1h30m');
    assert.equal(formatDuration(15), '15s');
    assert.equal(formatDuration(0.5), '500ms');
  });

  it('reads now, relative times, Unix seconds and RFC 3339', () => {
    assert.equal(parseTimeSpec('now', now), now);
    assert.equal(parseTimeSpec('-6h', now), now - 21_600);
    assert.equal(parseTimeSpec('now-30m', now), now - 1800);
    assert.equal(parseTimeSpec('now+1h', now), now + 3600);
    assert.equal(parseTimeSpec('1714564800', 0), now);
    assert.equal(parseTimeSpec('1714564800.25', 0), now + 0.25);
    assert.equal(parseTimeSpec('2024-05-01T12:00:00Z', 0), now);
    assert.equal(parseTimeSpec('2024-05-01T14:00:00+02:00', 0), now);
    assert.equal(parseTimeSpec('2024-05-01T12:00:00.5Z', 0), now + 0.5);
    assert.equal(parseTimeSpec('2024-05-01', 0), now - 43_200);
    assert.throws(() => parseTimeSpec('1714564800000', 0), /looks like milliseconds; times are Unix seconds \(use 1714564800\)/);
    assert.throws(() => parseTimeSpec('yesterday', now), /not a time/);
    assert.equal(parseRfc3339('2024-02-31T00:00:00Z'), undefined);
  });

  it('round-trips RFC 3339 for any second in 1970..2100', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800 }), (t) => {
        assert.equal(parseTimeSpec(formatRfc3339(t), 0), t);
      }),
    );
  });

  it('chooses a familiar step, never finer than the minimum', () => {
    assert.equal(chooseStep(0, 6 * 3600), 15);
    assert.equal(chooseStep(0, 30 * 86_400), 300);
    assert.equal(chooseStep(0, 3600, { minStep: 60 }), 60);
    assert.equal(chooseStep(0, 86_400, { targetPoints: 100 }), 900);
  });

  it('splits a long range into chunks of at most 11,000 points on the same grid, without overlap', () => {
    const step = 15;
    const start = 1_700_000_000;
    const end = start + 30 * 86_400 - step;
    const chunks = splitRange(start, end, step);
    assert.equal(chunks.length, Math.ceil(172_800 / 11_000));
    let points = 0;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      const n = Math.round((c.end - c.start) / step) + 1;
      assert.ok(n <= 11_000, `chunk ${i} has ${n} points`);
      assert.equal((c.start - start) % step, 0);
      if (i > 0) assert.equal(c.start, chunks[i - 1]!.end + step);
      points += n;
    }
    assert.equal(points, 172_800);
    assert.equal(chunks[0]!.start, start);
    assert.equal(chunks[chunks.length - 1]!.end, end);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 1, max: 600 }), fc.integer({ min: 2, max: 20_000 }), (span, st, max) => {
        const cs = splitRange(0, span, st, max);
        const total = cs.reduce((a, c) => a + Math.round((c.end - c.start) / st) + 1, 0);
        assert.equal(total, Math.floor(span / st) + 1);
        for (const c of cs) assert.ok(Math.round((c.end - c.start) / st) + 1 <= max);
      }),
    );
  });
});
