import * as assert from 'node:assert/strict';
import { OpsloopError } from '../../../../../src/core/errors';
import { evaluate, evaluateCondition, evaluateExpression, type ExpressionContext, knownValue, parseExpression, substituteKnown, truthy, unknown, whenOfCondition } from '../../../../../src/core/pipeline/github/expressions';

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

  /**
   * Each case below is one the two former interpreters (plan time: pipeline/github/expressions.ts,
   * run time: run/githubExpressions.ts) answered differently, or both answered against GitHub's
   * documentation ("Evaluate expressions in workflows and actions"), found by running both on the
   * same generated expressions. Where the docs leave a point open, GitHub's runner decides.
   */
  describe('where the two former interpreters disagreed', () => {
    const contexts = {
      github: { ref: 'refs/heads/main', event_name: 'push' },
      matrix: { node: 20, list: ['a', 'b'], obj: { k: 'v' } },
      inputs: {
        fruits: [
          { name: 'apple', quantity: 1 },
          { name: 'orange', quantity: 2 },
          { name: 'pear', quantity: 1 },
        ],
        vegetables: { scallions: { colors: ['green', 'white'] }, beets: { colors: ['purple', 'red'] } },
      },
    };
    const run = (text: string) => evaluateExpression(text, { contexts, status: { failed: false, cancelled: false } });
    const plan = (text: string) => evaluate(parseExpression(text), { contexts });
    const fails = (text: string, pattern: RegExp) => {
      assert.throws(() => run(text), (e: unknown) => OpsloopError.is(e) && pattern.test(e.message), text);
    };

    it('null becomes 0 when the types differ (docs: Null → 0; run time said null == 0 is false)', () => {
      for (const text of ['null == 0', "null == ''", 'null == false', 'null < 1']) {
        assert.equal(run(text), true, text);
        assert.equal(plan(text), true, text);
      }
      assert.equal(run("null == 'null'"), false);
    });

    it('format() reads braces left to right and refuses what GitHub refuses (run time gave {x} for {{0}})', () => {
      assert.equal(run("format('{{0}}', 'x')"), '{0}');
      assert.equal(run("format('{{Hello {0} {1} {2}!}}', 'Mona', 'the', 'Octocat')"), '{Hello Mona the Octocat!}');
      assert.equal(run("format('{0}{0}', 'ab')"), 'abab');
      // Both returned '' or the brace itself; GitHub's runner stops with an error.
      fails("format('{1}', 'x')", /refers to argument \{1\}/);
      fails("format('{', 'x')", /not a valid format string/);
      fails("format('}', 'x')", /not a valid format string/);
      fails("format('{0:x}', 1)", /not a valid format string/);
      // An argument the text does not use is not evaluated (GitHub evaluates them lazily).
      assert.equal(run("format('plain', fromJSON('not json'))"), 'plain');
    });

    it('arrays and objects are not turned into text (docs: "Arrays are not converted to a string")', () => {
      // Plan time wrote JSON, run time wrote Array/Object and then searched in that word.
      assert.equal(run("format('{0}', matrix.list)"), 'Array');
      assert.equal(plan("format('{0}', matrix.list)"), 'Array');
      assert.equal(run("contains(matrix.obj, 'k')"), false);
      assert.equal(plan("contains(matrix.obj, 'k')"), false);
      assert.equal(run("contains(matrix.obj, 'obj')"), false);
      assert.equal(run("startsWith(matrix.obj, 'Obj')"), false);
      assert.equal(run('join(matrix.obj)'), '');
      assert.equal(substituteKnown('list: ${{ matrix.list }}', contexts), 'list: Array');
    });

    it('object filters as the docs show them (plan time: unknown, or a syntax error for [*])', () => {
      assert.deepEqual(run('inputs.fruits.*.name'), ['apple', 'orange', 'pear']);
      assert.deepEqual(plan('inputs.fruits[*].name'), ['apple', 'orange', 'pear']);
      assert.deepEqual(run('inputs.vegetables.*.colors'), [['green', 'white'], ['purple', 'red']]);
      assert.deepEqual(run('inputs.vegetables.*.colors.*'), ['green', 'white', 'purple', 'red']);
      assert.equal(run("contains(inputs.fruits.*.name, 'PEAR')"), true);
      assert.equal(run("join(inputs.fruits.*.name, ', ')"), 'apple, orange, pear');
      assert.deepEqual(run('matrix.node.*'), []);
      // Without `*` a property of an array is null; run time mapped over the array.
      assert.equal(run('inputs.fruits.name'), null);
      assert.equal(run('matrix.list.length'), null);
    });

    it('takes properties after a group and a call, never after a literal', () => {
      assert.equal(run('(matrix).node'), 20); // plan time: syntax error
      assert.equal(run("fromJSON('{\"A\": {\"b\": 1}}').a.B"), 1);
      fails("'abc'[0]", /unexpected text/); // run time: null
      fails('matrix.1', /property name must follow a dot/); // run time: null
    });

    it('reads numbers the way GitHub does, and writes them in its G15 format', () => {
      assert.equal(run('.5 == 0.5'), true); // both: syntax error
      assert.equal(run('2. == 2'), true); // run time: syntax error
      assert.equal(run('+1'), 1);
      assert.equal(run('-9.2'), -9.2);
      assert.equal(run('-2.99e-2'), -0.0299);
      assert.equal(run('0xff'), 255);
      fails('1.2.3', /not a number/); // run time: null
      fails('-0x10', /not a number/);
      // Text to number: JSON forms, 0x (lower case x) and 0o; JavaScript's 0b and 0X are not numbers.
      assert.equal(run("'0x10' == 16"), true);
      assert.equal(run("'0o17' == 15"), true);
      assert.equal(run("' 1e2 ' == 100"), true);
      assert.equal(run("'0X10' == 16"), false);
      assert.equal(run("'0b11' == 3"), false);
      // Docs: numbers become text in "decimal format, exponential for large numbers".
      assert.equal(run("format('{0}', 1e15)"), '1E+15');
      assert.equal(run("format('{0}', 123456789012345678)"), '1.23456789012346E+17');
      assert.equal(run("format('{0}', 0.00001)"), '1E-05');
      assert.equal(run("format('{0}', 0.0001)"), '0.0001');
      assert.equal(run("format('{0}', 999999999999999)"), '999999999999999');
      assert.equal(run("format('{0}', -1.5)"), '-1.5');
      assert.equal(run('toJSON(1e21)'), '1E+21');
    });

    it('orders strings ignoring case as GitHub does (upper case), not by lower case', () => {
      // '_' sits between 'Z' and 'a': both former interpreters said true.
      assert.equal(run("'_' < 'A'"), false);
      assert.equal(run("'_' > 'a'"), true);
      assert.equal(run("'a' < 'B'"), true);
      assert.equal(run("'STRASSE' == 'strasse'"), true);
    });

    it('indexes as GitHub does: fractional indexes round down, arrays are >= themselves', () => {
      assert.equal(run('matrix.list[1.5]'), 'b'); // both: null
      assert.equal(run("matrix.list['1']"), 'b');
      assert.equal(run('matrix.list[-1]'), null);
      assert.equal(run('matrix.list >= matrix.list'), true); // both: false
      assert.equal(run('matrix.list > matrix.list'), false);
      assert.equal(run('matrix.list == matrix.list'), true);
      assert.equal(run("fromJSON('[]') == fromJSON('[]')"), false);
    });

    it('refuses unknown contexts, unknown functions and wrong argument counts, as GitHub does', () => {
      fails('foo.bar', /Unknown context 'foo'/); // plan: unknown, run: null
      fails('bar(1)', /Unknown function bar\(\)/); // plan: unknown
      fails("contains('a')", /contains\(\) takes 2 arguments, not 1/); // run: true
      fails("contains('a', 'b', 'c')", /takes 2 arguments, not 3/); // both: false
      fails('success(1)', /success\(\) takes 0 arguments/); // both: true
      fails("join('a', ',', 'b')", /join\(\) takes 1 to 2 arguments/);
      fails('TRUE', /Unknown context 'TRUE'/); // true, false and null are lower case only
      assert.ok(whenOfCondition('foo == 1').problem?.includes("Unknown context 'foo'"));
    });

    it('knows at plan time what join, toJSON, fromJSON and case give when their arguments are known', () => {
      assert.equal(plan("join(matrix.list, '+')"), 'a+b');
      assert.equal(plan('toJSON(matrix.list)'), '[\n  "a",\n  "b"\n]');
      assert.equal(plan("fromJSON('[1,2]')[1]"), 2);
      assert.equal(plan("case(matrix.node == 20, 'twenty', 'other')"), 'twenty');
      assert.equal(evaluate(parseExpression("join(github.event.labels, ',')"), { contexts: { matrix: {} } }), unknown);
      assert.equal(run("case(github.ref == 'refs/heads/main', 'production', github.ref == 'refs/heads/staging', 'staging', 'development')"), 'production');
      fails("case(1, 'a', 'b')", /not a boolean/);
      fails("case(true, 'a', false, 'b')", /odd number of arguments/);
      assert.equal(run("toJSON(fromJSON('{\"a\":[1,{\"b\":null}],\"c\":{}}'))"), '{\n  "a": [\n    1,\n    {\n      "b": null\n    }\n  ],\n  "c": {}\n}');
    });

    it('finds the end of ${{ }} outside strings, and reads text around it as a string', () => {
      // Plan time took these for text around ${{ }} (always true); run time cut at the first }}.
      assert.equal(whenOfCondition("${{ format('{0}', '}}') == '}}' }}").when, 'on_success');
      assert.equal(whenOfCondition("${{ format('{0}', '}}') == 'x' }}").when, 'never');
      assert.equal(run("${{ format('}}') }}"), '}');
      // Two expressions with && between them are one string, always true (run time: error).
      assert.equal(evaluateCondition('${{ false }} && ${{ false }}', ctx()), true);
      assert.equal(whenOfCondition('${{ false }} && ${{ false }}').alwaysTrueString, true);
      // A status function inside such a text still switches off the implicit success().
      assert.equal(whenOfCondition('${{ failure() }} and more').when, 'always');
      // ${{ 'text' }} is literal text to GitHub, so an if: reads the text as the condition.
      assert.equal(whenOfCondition("${{ 'false' }}").when, 'never');
      assert.equal(substituteKnown("a ${{ '}}' }} b ${{ github.ref }}", { matrix: {} }), 'a }} b ${{ github.ref }}');
      assert.ok(whenOfCondition('${{ matrix.node').problem?.includes('not closed'));
      assert.ok(whenOfCondition('${{ }}').problem?.includes('empty'));
    });
  });

  describe('three-valued logic at plan time', () => {
    it('keeps what is known of && and || when an operand is unknown', () => {
      const value = (source: string) => evaluate(parseExpression(source), {});
      assert.equal(truthy(value('github.ref && 0')), false);
      assert.equal(truthy(value("github.ref || 'x'")), true);
      assert.equal(value("github.ref == 'x' && false"), false);
      assert.equal(truthy(value('github.ref && false')), false);
      assert.equal(truthy(value('!github.ref')), unknown);
      assert.equal(value("format('{0}', github.ref)"), unknown);
      assert.equal(value("format('{0}', 'known', github.ref)"), 'known');
      assert.equal(whenOfCondition('github.ref && 0').when, 'never');
      assert.equal(whenOfCondition("always() && (github.ref || 'x')").when, 'always');
      assert.equal(whenOfCondition("failure() || github.event_name == 'push'").when, 'always');
      assert.equal(whenOfCondition('${{ always() }} ').when, 'always');
      // Text around unknown parts is still a non-empty string: true, and so not "never".
      assert.equal(truthy(knownValue('${{ github.ref }} x', {})), true);
      assert.equal(whenOfCondition('${{ github.ref == 1 }} && ${{ false }}').when, 'on_success');
    });

    it('gives a known value for a scalar only when the contexts decide it', () => {
      assert.equal(knownValue('${{ matrix.flag }}', { matrix: { flag: true } }), true);
      assert.equal(knownValue('${{ fromJSON(matrix.minutes) }}', { matrix: { minutes: '5' } }), 5);
      assert.equal(knownValue('${{ github.ref }}', { matrix: {} }), unknown);
      assert.equal(knownValue('x-${{ matrix.os }}', { matrix: { os: 'mac' } }), 'x-mac');
      assert.equal(knownValue(3, {}), 3);
    });
  });
});
