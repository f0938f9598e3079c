import * as assert from 'node:assert/strict';
import { evaluateCondition, evaluateExpression, type ExpressionContext } from '../../../../src/core/run/githubExpressions';

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
    assert.equal(evaluateExpression('null == 0', ctx()), false);
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
