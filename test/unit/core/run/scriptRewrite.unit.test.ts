import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { findMacroExpressions, findTemplateExpressions, rewriteScript } from '../../../../src/core/run/scriptRewrite';

const values: Record<string, string> = { 'matrix.os': 'linux; touch /tmp/opsloop-pwned', 'matrix.flags': '--a --b', 'github.sha': 'abc' };
const resolve = (e: string): string | undefined => values[e];

function runBash(script: string, env: Record<string, string>): string {
  return execFileSync('bash', ['-c', script], { env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8' });
}

describe('script rewriting: expressions reach scripts as environment variables', () => {
  it('never splices a value into the script, and the shell sees the value where the CI would put it', () => {
    const script = [
      'echo "os=${{ matrix.os }}"',
      "echo 'single ${{ matrix.os }} quoted'",
      'printf "[%s]" ${{ matrix.flags }}; echo',
      '# a comment with ${{ github.sha }} and an apostrophe don\'t',
      'echo ${{github.sha}}',
    ].join('\n');
    const result = rewriteScript(script, findTemplateExpressions(script), 'posix', resolve);
    assert.ok(!result.script.includes('touch'), 'the value is not in the script');
    assert.ok(!result.script.includes('${{'));
    assert.deepEqual(result.unresolved, []);
    const out = runBash(result.script, result.env as Record<string, string>);
    assert.equal(out, ['os=linux; touch /tmp/opsloop-pwned', 'single linux; touch /tmp/opsloop-pwned quoted', '[--a][--b]', 'abc', ''].join('\n'));
  });

  it('reuses one variable per distinct expression and reports what it cannot resolve', () => {
    const script = 'echo ${{ github.sha }} ${{ github.sha }} ${{ secrets.NOPE }}';
    const result = rewriteScript(script, findTemplateExpressions(script), 'posix', resolve);
    assert.deepEqual(Object.keys(result.env), ['OPSLOOP_EXPR_1', 'OPSLOOP_EXPR_2']);
    assert.deepEqual(result.unresolved, ['secrets.NOPE']);
    assert.equal(runBash(result.script, result.env as Record<string, string>), 'abc abc\n');
  });

  it('uses $env: for PowerShell and leaves other interpreters alone, reporting it', () => {
    const script = 'Write-Output "${{ github.sha }}"';
    assert.equal(rewriteScript(script, findTemplateExpressions(script), 'pwsh', resolve).script, 'Write-Output "$env:OPSLOOP_EXPR_1"');
    const py = 'print("${{ github.sha }}")';
    const result = rewriteScript(py, findTemplateExpressions(py), 'other', resolve);
    assert.equal(result.script, py);
    assert.deepEqual(result.unresolved, ['github.sha']);
  });

  it('rewrites Azure macros of known variables only, leaving command substitution alone', () => {
    const script = 'echo $(Build.SourceBranch) $(date +%Y) $(whoami)';
    const found = findMacroExpressions(script, (n) => n === 'Build.SourceBranch');
    assert.equal(found.length, 1);
    const result = rewriteScript(script, found, 'posix', () => 'refs/heads/main');
    assert.equal(result.script, 'echo ${OPSLOOP_EXPR_1} $(date +%Y) $(whoami)');
  });
});
