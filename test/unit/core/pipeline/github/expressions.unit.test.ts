import * as assert from 'node:assert/strict';
import { OpsloopError } from '../../../../../src/core/errors';
import { evaluate, parseExpression, substituteKnown, unknown, whenOfCondition } from '../../../../../src/core/pipeline/github/expressions';

describe('GitHub expressions', () => {
  const value = (source: string, contexts: Record<string, unknown> = {}) => evaluate(parseExpression(source), { contexts });

  it('compares like GitHub: strings ignore case, mixed types become numbers', () => {
    assert.equal(value("'ABC' == 'abc'"), true);
    assert.equal(value("'1' == 1"), true);
    assert.equal(value('true == 1'), true);
    assert.equal(value("null == 0"), true);
    assert.equal(value("'a' != 'b'"), true);
    assert.equal(value('3 < 10'), true);
    assert.equal(value("'abc' < 'abd'"), true);
  });

  it('returns operands from && and ||, as JavaScript does', () => {
    assert.equal(value("'' || 'fallback'"), 'fallback');
    assert.equal(value("'x' && 'y'"), 'y');
    assert.equal(value('!0'), true);
  });

  it('reads matrix values and leaves run-time contexts unknown', () => {
    assert.equal(value('matrix.os', { matrix: { os: 'linux' } }), 'linux');
    assert.equal(value("matrix['os']", { matrix: { os: 'linux' } }), 'linux');
    assert.equal(value('github.ref'), unknown);
    assert.equal(value("github.ref == 'x' && false"), false);
    assert.equal(value("github.ref == 'x' || true"), true);
    assert.equal(value("contains('hello', 'ELL')"), true);
    assert.equal(value("startsWith('refs/heads/main', 'refs/heads')"), true);
    assert.equal(value("format('{0}-{1}', 'a', 2)"), 'a-2');
  });

  it('substitutes the values it knows and keeps the rest', () => {
    assert.equal(substituteKnown('Test ${{ matrix.os }} on ${{ github.ref }}', { matrix: { os: 'mac' } }), 'Test mac on ${{ github.ref }}');
  });

  it('throws OpsloopError with a position for bad syntax', () => {
    for (const bad of ['success(', "'open", 'a ==', '== b', 'a b', '#']) {
      assert.throws(() => parseExpression(bad), (e: unknown) => OpsloopError.is(e, 'invalidInput'), bad);
    }
  });

  it('refuses nesting past a limit instead of overflowing the stack', () => {
    assert.throws(() => parseExpression(`${'('.repeat(500)}1${')'.repeat(500)}`), (e: unknown) => OpsloopError.is(e, 'invalidInput'));
    assert.throws(() => parseExpression('!'.repeat(100_000)), (e: unknown) => OpsloopError.is(e, 'invalidInput'));
  });

  it('derives when from the status functions, with GitHub\'s implicit success()', () => {
    assert.equal(whenOfCondition(undefined).when, 'on_success');
    assert.equal(whenOfCondition("github.ref == 'x'").when, 'on_success');
    assert.equal(whenOfCondition('always()').when, 'always');
    assert.equal(whenOfCondition('${{ failure() }}').when, 'on_failure');
    assert.equal(whenOfCondition('!cancelled()').when, 'always');
    assert.equal(whenOfCondition('cancelled()').when, 'never');
    assert.equal(whenOfCondition('!failure()').when, 'on_success');
    assert.equal(whenOfCondition(false).when, 'never');
    assert.equal(whenOfCondition('false').when, 'never');
    assert.equal(whenOfCondition('failure() && matrix.x', { matrix: { x: false } }).when, 'never');
    assert.ok(whenOfCondition('success(').problem);
  });
});
