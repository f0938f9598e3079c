import * as assert from 'node:assert/strict';
import { OpsloopError } from '../../../../../src/core/errors';
import { evaluate, evaluateCondition, evaluateExpression, type ExpressionContext, parseExpression, substituteKnown, unknown, whenOfCondition } from '../../../../../src/core/pipeline/github/expressions';

const ctx = (failed = false, cancelled = false): ExpressionContext => ({
  contexts: {
    github: { ref: 'refs/heads/main', event_name: 'push', sha: 'abc' },
    matrix: { node: 20, os: 'ubuntu-latest', list: ['a', 'b'] },
    env: { MODE: 'Release' },
    steps: { build: { outputs: { version: '1.2.3' }, outcome: 'success' } },
  },
  status: { failed, cancelled },
});

describe('GitHub expressions', () => {
  describe('at plan time (three-valued, what only a run knows is unknown)', () => {
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

  describe('at run time (every context and the status given)', () => {
    it('reads contexts, case-insensitively', () => {
      assert.equal(evaluateExpression('github.ref', ctx()), 'refs/heads/main');
      assert.equal(evaluateExpression('${{ matrix.node }}', ctx()), 20);
      assert.equal(evaluateExpression("steps.build.outputs['version']", ctx()), '1.2.3');
      assert.equal(evaluateExpression('GITHUB.EVENT_NAME', ctx()), 'push');
      assert.equal(evaluateExpression('matrix.missing', ctx()), null);
      assert.equal(evaluateExpression('matrix.list[1]', ctx()), 'b');
    });

    it('compares as GitHub does: strings ignore case, mixed types as numbers', () => {
      assert.equal(evaluateExpression("env.MODE == 'release'", ctx()), true);
      assert.equal(evaluateExpression("matrix.node == '20'", ctx()), true);
      assert.equal(evaluateExpression('matrix.node >= 18 && matrix.node < 22', ctx()), true);
      assert.equal(evaluateExpression("'abc' != 'ABC'", ctx()), false);
      assert.equal(evaluateExpression("github.ref == 'refs/heads/main' && 'yes' || 'no'", ctx()), 'yes');
      // GitHub: null becomes 0 when the types differ (the run-time interpreter said false here; the docs say true).
      assert.equal(evaluateExpression('null == 0', ctx()), true);
    });

    it('has the functions workflows use', () => {
      assert.equal(evaluateExpression("contains(github.ref, 'MAIN')", ctx()), true);
      assert.equal(evaluateExpression("contains(matrix.list, 'b')", ctx()), true);
      assert.equal(evaluateExpression("startsWith(github.ref, 'refs/heads/')", ctx()), true);
      assert.equal(evaluateExpression("endsWith(matrix.os, '-latest')", ctx()), true);
      assert.equal(evaluateExpression("format('{0}-{1}', matrix.os, matrix.node)", ctx()), 'ubuntu-latest-20');
      assert.equal(evaluateExpression("join(matrix.list, '+')", ctx()), 'a+b');
      assert.equal(evaluateExpression("fromJSON('[1,2]')[1]", ctx()), 2);
    });

    it('an if: without a status function means success() && (condition)', () => {
      assert.equal(evaluateCondition("github.event_name == 'push'", ctx()), true);
      assert.equal(evaluateCondition("github.event_name == 'push'", ctx(true)), false);
      assert.equal(evaluateCondition('always()', ctx(true)), true);
      assert.equal(evaluateCondition('failure()', ctx(true)), true);
      assert.equal(evaluateCondition('failure()', ctx(false)), false);
      assert.equal(evaluateCondition('${{ !cancelled() }}', ctx(true)), true);
      assert.equal(evaluateCondition('cancelled()', ctx(false, true)), true);
      assert.equal(evaluateCondition(undefined, ctx(true)), false);
      assert.equal(evaluateCondition('', ctx()), true);
    });

    it('reports bad expressions with the project\'s error, never evaluates code', () => {
      assert.throws(() => evaluateExpression("github.ref == 'x", ctx()), /Unterminated/);
      assert.throws(() => evaluateExpression('exit(1)', ctx()), /Unknown function exit/);
      assert.throws(() => evaluateExpression('process.exit(1)', ctx()), /Cannot read expression/);
      assert.throws(() => evaluateExpression('a ==', ctx()), /ends too early/);
      assert.throws(() => evaluateExpression('a b', ctx()), /unexpected text/);
    });
  });
});
