import * as assert from 'assert';
import { evaluateGitlabExpression, parseGitlabExpression } from '../../../../../src/core/pipeline/expressions/gitlabExpression';

/** Expectations from GitLab's documentation of CI/CD variable expressions (job_control.md, rules:if). */
const vars = {
  CI_COMMIT_BRANCH: 'main',
  CI_COMMIT_REF_NAME: 'main',
  CI_PIPELINE_SOURCE: 'push',
  EMPTY: '',
  DEPLOY: 'true',
  PATTERN: '/^ma/',
  PLAIN: 'ai',
  TEXT: 'release-1.2',
};
const yes = (expr: string): void => assert.deepStrictEqual(evaluateGitlabExpression(expr, vars), { value: true }, expr);
const no = (expr: string): void => assert.deepStrictEqual(evaluateGitlabExpression(expr, vars), { value: false }, expr);

describe('GitLab rules:if expressions', () => {
  it('compares variables with strings in double or single quotes', () => {
    yes('$CI_COMMIT_BRANCH == "main"');
    yes("$CI_COMMIT_BRANCH == 'main'");
    no('$CI_COMMIT_BRANCH == "dev"');
    yes('$CI_COMMIT_BRANCH != "dev"');
    yes('"main" == $CI_COMMIT_BRANCH');
    yes('$CI_COMMIT_BRANCH == $CI_COMMIT_REF_NAME');
  });

  it('treats an undefined variable as null, distinct from an empty one', () => {
    yes('$UNDEFINED == null');
    no('$EMPTY == null');
    yes('$EMPTY == ""');
    no('$UNDEFINED == ""');
    yes('$UNDEFINED != "x"');
  });

  it('a bare variable is true when it is defined and not empty', () => {
    yes('$DEPLOY');
    no('$EMPTY');
    no('$UNDEFINED');
  });

  it('matches RE2 regular expressions with =~ and !~, flags included', () => {
    yes('$CI_COMMIT_BRANCH =~ /^ma/');
    yes('$CI_COMMIT_BRANCH =~ /AI/i');
    no('$CI_COMMIT_BRANCH =~ /AI/');
    yes('$TEXT =~ /^release-\\d+\\.\\d+$/');
    yes('$TEXT !~ /^hotfix/');
    no('$TEXT !~ /release/');
    yes('$TEXT =~ /release\\/?-1/');
  });

  it('uses a variable holding /regex/ as a regex on the right of =~', () => {
    yes('$CI_COMMIT_BRANCH =~ $PATTERN');
    no('$TEXT =~ $PATTERN');
    // a variable that is not /.../ is text: Ruby's String#scan finds the left side inside it
    yes('$PLAIN =~ $CI_COMMIT_BRANCH');
    no('$CI_COMMIT_BRANCH =~ $PLAIN');
  });

  it('matches an undefined variable as empty text, and =~ against null is false', () => {
    yes('$UNDEFINED =~ /^$/');
    no('$UNDEFINED =~ /xy/');
    yes('$UNDEFINED !~ /xy/');
    no('$CI_COMMIT_BRANCH =~ $UNDEFINED');
    yes('$CI_COMMIT_BRANCH !~ $UNDEFINED');
  });

  it('binds && tighter than ||, both left to right, with parentheses', () => {
    yes('$CI_COMMIT_BRANCH == "dev" || $DEPLOY == "true" && $CI_PIPELINE_SOURCE == "push"');
    no('($CI_COMMIT_BRANCH == "dev" || $DEPLOY == "true") && $CI_PIPELINE_SOURCE == "web"');
    yes('$CI_COMMIT_BRANCH == "main" && ($UNDEFINED || $DEPLOY)');
    no('$UNDEFINED && $DEPLOY');
    yes('$UNDEFINED || $DEPLOY');
    // Ruby truthiness inside && and ||: "" is a value (not nil), then `present?` decides
    yes('$EMPTY && $DEPLOY');
    no('$DEPLOY && $EMPTY');
  });

  it('rejects what GitLab rejects, with a reason, and such an expression is false', () => {
    // GitLab's lexer reads a /regex/ of two or more characters only: `/x/` is not a pattern there either
    for (const bad of ['$A =~ /x/', '', '$VAR "text"', '== "123"', '$A ==', '($A == "x"', '$A == "x")', '${BRACED} == "x"', '$A = "x"', '$A == /unterminated', '$A =~ /(?!lookahead)x/', '$A =~ /x/q']) {
      const parsed = parseGitlabExpression(bad);
      assert.strictEqual(parsed.ok, false, bad);
      const result = evaluateGitlabExpression(bad, vars);
      assert.strictEqual(result.value, false, bad);
      assert.ok(result.error && result.error.length > 0, bad);
    }
  });

  it('limits the expression to 100 tokens', () => {
    assert.strictEqual(parseGitlabExpression(Array(50).fill('$A').join(' || ')).ok, true, '99 tokens');
    const parsed = parseGitlabExpression(Array(51).fill('$A').join(' || '));
    assert.strictEqual(parsed.ok, false, '101 tokens');
    assert.match((parsed as { error: string }).error, /100 tokens/);
  });

  it('lists the variables an expression reads', () => {
    const parsed = parseGitlabExpression('$A == "x" && ($B =~ /yz/ || $A)');
    assert.ok(parsed.ok);
    assert.deepStrictEqual([...parsed.expression.variables].sort(), ['A', 'B']);
  });

  it('runs a regex that backtracks exponentially elsewhere (RE2 is linear; a backtracking engine would not finish)', () => {
    const evil = { S: 'a'.repeat(100_000) + '!' };
    assert.deepStrictEqual(evaluateGitlabExpression('$S =~ /^(a+)+$/', evil), { value: false });
    assert.deepStrictEqual(evaluateGitlabExpression('$S =~ /^(a|aa)+!$/', evil), { value: true });
  });
});
