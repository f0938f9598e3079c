import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { OpsloopError } from '../../../../../src/core/errors';
import {
  evaluate,
  evaluateCondition,
  evaluateExpression,
  type ExpressionValue,
  isUnknown,
  type JobStatus,
  maxExpressionLength,
  parseExpression,
  substituteKnown,
  truthy,
  unknown,
  type Value,
  whenOfCondition,
} from '../../../../../src/core/pipeline/github/expressions';
import { hangGuardMs, report } from './fuzzSupport';

/** Expressions of GitHub's grammar over a few contexts, with every function at its arity. */
const leaf = fc.oneof(
  fc.constantFrom('0', '1', '-1', '1.5', '.5', '2.', '0xff', '1e3', 'NaN', 'Infinity', 'true', 'false', 'null', "''", "'a'", "'A'", "'10'", "' 5 '", "'0x10'", "'_'", "'{0}'", "'{{0}}'", "'[1,2]'", "'{\"a\":1}'", "'x}}y'", "'It''s'"),
  fc.constantFrom('matrix.os', 'matrix.list', 'matrix.list[1]', "matrix['OS']", 'matrix.*', 'matrix.list.*', 'matrix.missing', 'github.ref', 'github.event.labels.*.name', 'github.event', 'env.NUM', 'env.EMPTY', 'needs.build.result', 'needs.*.result', 'steps.s.outputs.v', 'inputs.flag', 'vars'),
);
const expression: fc.Arbitrary<string> = fc.letrec((tie) => ({
  e: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, leaf, tie('binary'), tie('not'), tie('group'), tie('call'), tie('index')),
  binary: fc.tuple(tie('e'), fc.constantFrom('==', '!=', '<', '<=', '>', '>=', '&&', '||'), tie('e')).map(([a, op, b]) => `${a} ${op} ${b}`),
  not: tie('e').map((a) => `!${a}`),
  group: tie('e').map((a) => `(${a})`),
  index: fc.tuple(tie('group'), tie('e')).map(([a, b]) => `${a}[${b}]`),
  call: fc.oneof(
    fc.tuple(fc.constantFrom('contains', 'startsWith', 'endsWith'), tie('e'), tie('e')).map(([f, a, b]) => `${f}(${a}, ${b})`),
    fc.tuple(fc.constantFrom('toJSON', 'fromJSON', 'join', 'format'), tie('e')).map(([f, a]) => `${f}(${a})`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([a, b, c]) => `format(${a}, ${b}, ${c})`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([a, b, c]) => `case(${a}, ${b}, ${c})`),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `join(${a}, ${b})`),
    fc.constantFrom('success()', 'failure()', 'cancelled()', 'always()', "hashFiles('**/x')"),
  ),
})).e as fc.Arbitrary<string>;

const json: fc.Arbitrary<ExpressionValue> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<ExpressionValue>;
const contextsArb = fc.record({
  github: fc.oneof(json, fc.record({ ref: fc.constantFrom('refs/heads/main', 'refs/tags/v1', ''), event: fc.record({ labels: fc.array(fc.record({ name: fc.constantFrom('bug', 'Bug', 'docs') }), { maxLength: 3 }) }) })),
  matrix: fc.oneof(json, fc.record({ os: fc.constantFrom('linux', 'LINUX', 'mac', ''), list: fc.array(fc.oneof(fc.constantFrom('a', 'b', '1'), fc.integer({ min: -2, max: 3 })), { maxLength: 3 }) })),
  env: fc.dictionary(fc.constantFrom('NUM', 'EMPTY', 'x'), fc.oneof(fc.constantFrom('10', '', '0x1f', 'abc', ' 5 '), fc.string({ maxLength: 4 }))),
  needs: fc.oneof(json, fc.record({ build: fc.record({ result: fc.constantFrom('success', 'failure') }) })),
  steps: json,
  inputs: json,
  vars: json,
});
const statusArb = fc.constantFrom<JobStatus>('success', 'failure', 'cancelled');

const runStatus = (status: JobStatus) => ({ failed: status === 'failure', cancelled: status === 'cancelled' });

/** Equal as values (NaN equals NaN here; arrays and objects by content). */
function same(a: Value, b: Value): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn`; an error other than OpsloopError fails the property. Returns the result or the OpsloopError. */
function safely<T>(fn: () => T): { value?: T; error?: OpsloopError; ms: number } {
  const started = performance.now();
  try {
    const value = fn();
    return { value, ms: performance.now() - started };
  } catch (error) {
    if (!OpsloopError.is(error)) throw error;
    return { error, ms: performance.now() - started };
  }
}

describe('GitHub expressions under fuzzing (fast-check)', function () {
  this.timeout(120_000);
  const times: number[] = [];
  after(() => report('github expressions', times.length, times));

  it('what the plan knows, the run finds: a known plan-time value (or truth) is the run-time one, whatever the unknown contexts hold', () => {
    let decided = 0;
    const runs = 3000;
    fc.assert(
      fc.property(expression, contextsArb, statusArb, fc.subarray(['github', 'matrix', 'env', 'needs', 'steps', 'inputs', 'vars']), (text, contexts, status, hidden) => {
        const partial = Object.fromEntries(Object.entries(contexts).filter(([name]) => !hidden.includes(name)));
        const planned = safely(() => evaluate(parseExpression(text), { contexts: partial, status }));
        const ran = safely(() => evaluateExpression(text, { contexts, status: runStatus(status), hashFiles: () => 'h' }));
        times.push(planned.ms, ran.ms);
        if (planned.error || planned.value === undefined) return;
        const value = planned.value;
        // A run may still fail inside what the plan could not see (fromJSON of a value only the run has).
        if (ran.error) return;
        if (!isUnknown(value)) {
          decided++;
          assert.ok(same(value, ran.value!), `${text}: plan ${JSON.stringify(value)}, run ${JSON.stringify(ran.value)}`);
        } else if (truthy(value) !== unknown) {
          assert.equal(truthy(value), truthy(ran.value!), `${text}: truthiness`);
        }
      }),
      { numRuns: runs },
    );
    assert.ok(decided > runs / 4, `only ${decided} of ${runs} plan-time values were known`);
  });

  it('with every context known, plan-time and run-time evaluation agree exactly, conditions included', () => {
    fc.assert(
      fc.property(expression, contextsArb, statusArb, (text, contexts, status) => {
        const planned = safely(() => evaluate(parseExpression(text), { contexts, status, missing: 'null', hashFiles: () => 'h' }));
        const ran = safely(() => evaluateExpression(text, { contexts, status: runStatus(status), hashFiles: () => 'h' }));
        assert.equal(Boolean(planned.error), Boolean(ran.error), `${text}: ${planned.error?.message ?? ''} / ${ran.error?.message ?? ''}`);
        if (!planned.error) assert.ok(same(planned.value!, ran.value!), text);
        // The job's `when` at plan time covers what the run decides.
        const when = safely(() => whenOfCondition(text, contexts));
        const onSuccess = safely(() => evaluateCondition(text, { contexts, status: runStatus('success'), hashFiles: () => 'h' }));
        if (when.value && !when.value.problem && !onSuccess.error && !text.includes('hashFiles')) {
          const expected = when.value.when === 'always' || when.value.when === 'on_success';
          if (onSuccess.value !== expected) assert.fail(`${text}: when ${when.value.when}, but on success the run says ${onSuccess.value}`);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('random and mutated text: only OpsloopError escapes, within the hang guard', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.tuple(expression, fc.nat(), fc.constantFrom('(', ')', '[', ']', "'", '.', '*', ',', '!', '==', '&&', '${{', '}}', ' ', '-', 'e', '0x', '')).map(([e, at, t]) => e.slice(0, at % (e.length + 1)) + t + e.slice(at % (e.length + 1))),
    );
    fc.assert(
      fc.property(text, contextsArb, (source, contexts) => {
        const attempts: (() => unknown)[] = [
          () => evaluateExpression(source, { contexts, status: runStatus('success') }),
          () => evaluateCondition(source, { contexts, status: runStatus('failure') }),
          () => whenOfCondition(source, { matrix: contexts.matrix }),
          () => substituteKnown(source, { matrix: contexts.matrix }),
        ];
        for (const attempt of attempts) {
          const { ms } = safely(attempt);
          times.push(ms);
          assert.ok(ms < hangGuardMs, `${ms} ms for ${JSON.stringify(source)}`);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('GitHub expressions on hostile input', () => {
  const ctx = (contexts: Record<string, ExpressionValue> = {}) => ({ contexts, status: { failed: false, cancelled: false } });
  const refuses = (fn: () => unknown, pattern: RegExp) => {
    const started = performance.now();
    assert.throws(fn, (e: unknown) => OpsloopError.is(e) && pattern.test(e.message));
    assert.ok(performance.now() - started < hangGuardMs);
  };

  it('refuses text longer than GitHub\'s 21,000 characters before reading it', () => {
    refuses(() => evaluateExpression(`'${'a'.repeat(maxExpressionLength)}'`, ctx()), /longer than 21000 characters/);
    assert.equal(evaluateExpression(`'${'a'.repeat(maxExpressionLength - 2)}'`, ctx()), 'a'.repeat(maxExpressionLength - 2));
  });

  it('counts depth as GitHub does: 50 levels of tree, && chains and groups flat', () => {
    assert.equal(evaluateExpression(`${'!'.repeat(49)}true`, ctx()), false);
    refuses(() => evaluateExpression(`${'!'.repeat(50)}true`, ctx()), /deeper than 50 levels/);
    assert.equal(evaluateExpression(Array.from({ length: 2500 }, () => 'true').join(' && '), ctx()), true);
    assert.equal(evaluateExpression(`${'('.repeat(99)}1${')'.repeat(99)}`, ctx()), 1);
    refuses(() => evaluateExpression(`${'('.repeat(100)}1${')'.repeat(100)}`, ctx()), /deeper than 100 levels/);
    refuses(() => evaluateExpression(`matrix${'.a'.repeat(60)}`, ctx()), /deeper than 50 levels/);
    refuses(() => evaluateExpression(`${'!'.repeat(20_000)}`, ctx()), /deeper than 100 levels/);
  });

  it('caps what format, join and toJSON build from large contexts', () => {
    const big = 'x'.repeat(1024 * 1024);
    refuses(() => evaluateExpression(`format('${'{0}'.repeat(6000)}', env.BIG)`, ctx({ env: { BIG: big } })), /longer than 10485760 characters/);
    refuses(() => evaluateExpression('join(env.LIST, env.BIG)', ctx({ env: { BIG: big, LIST: Array.from({ length: 20 }, () => 'a') } })), /longer than/);
    refuses(() => evaluateExpression('toJSON(env)', ctx({ env: { LIST: Array.from({ length: 11 }, () => big) } })), /longer than/);
  });

  it('refuses JSON deeper than 64 levels, and walks wide data once', () => {
    refuses(() => evaluateExpression(`fromJSON('${'['.repeat(65)}${']'.repeat(65)}')`, ctx()), /deeper than 64 levels/);
    assert.ok(Array.isArray(evaluateExpression(`fromJSON('${'['.repeat(64)}${']'.repeat(64)}')`, ctx())));
    const wide = Array.from({ length: 200_000 }, (_, i) => ({ name: `n${i}`, tags: [i, i + 1] }));
    const started = performance.now();
    const found = evaluateExpression("contains(inputs.items.*.tags.*, 199999) && contains(inputs.items.*.name, 'N5')", ctx({ inputs: { items: wide } }));
    assert.equal(found, true);
    assert.ok(performance.now() - started < hangGuardMs);
  });

  it('never runs code: JavaScript in an expression is an error, prototype names are plain keys', () => {
    refuses(() => evaluateExpression("constructor.constructor('return process')()", ctx()), /Unknown context 'constructor'|Cannot read expression/);
    refuses(() => evaluateExpression('github.__proto__.polluted = 1', ctx()), /Cannot read expression/);
    assert.equal(evaluateExpression('github.constructor', ctx({ github: {} })), null);
    assert.equal(evaluateExpression('github.__proto__', ctx({ github: {} })), null);
    assert.equal(evaluateExpression("fromJSON('{\"__proto__\": {\"x\": 1}}').__proto__.x", ctx()), 1);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});
