import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../support/paths';

describe('the demo workspace (scripts/prepareDemo.mjs)', function () {
  this.timeout(60_000);
  let base: string;
  let workspace: string;
  const git = (...args: string[]): string => execFileSync('git', ['-c', 'core.hooksPath=/dev/null', ...args], { cwd: workspace, encoding: 'utf8' }).trim();

  before(() => {
    base = mkdtempSync(join(tmpdir(), 'opsloop-demo-'));
    workspace = join(base, 'ws');
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'prepareDemo.mjs'), '--out', workspace, '--quiet'], { cwd: repoRoot });
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('is a real git repository whose last commit equals demo/ and whose tree is clean', () => {
    assert.equal(git('status', '--porcelain'), '');
    assert.equal(Number(git('rev-list', '--count', 'HEAD')), 7);
    const tracked = git('ls-files').split('\n').sort();
    const demoFiles = (function list(dir: string, prefix: string): string[] {
      return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
    })(join(repoRoot, 'demo'), '').sort();
    assert.deepEqual(tracked, demoFiles);
    for (const file of tracked) assert.ok(readFileSync(join(workspace, file)).equals(readFileSync(join(repoRoot, 'demo', file))), `${file} differs from demo/`);
  });

  it('has the same SHAs on every machine (fixed authors and dates)', () => {
    const again = join(base, 'again');
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'prepareDemo.mjs'), '--out', again, '--quiet', '--force'], { cwd: repoRoot });
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: again, encoding: 'utf8' }).trim();
    assert.equal(head, git('rev-parse', 'HEAD'));
  });

  it('records deployments whose revisions are the tagged commits, and the recorded telemetry names them', () => {
    const tags = git('tag', '--list', 'deploy-*').split('\n');
    assert.equal(tags.length, 3);
    const tagged = tags.map((t) => git('rev-list', '-n', '1', t));
    const om = readFileSync(join(workspace, 'telemetry', 'checkout.om'), 'utf8');
    const revisions = [...new Set([...om.matchAll(/checkout_build_info\{[^}]*revision="([0-9a-f]{40})"/g)].map((m) => m[1]))];
    assert.deepEqual(revisions, tagged);
  });

  it('contains one regression: the commit between the last two deployments that changes cart.js', () => {
    const between = git('log', '--format=%H', 'deploy-20261116-1100..deploy-20261118-1400', '--', 'services/checkout/src/cart.js').split('\n');
    assert.equal(between.length, 1);
    const patch = git('show', '--format=', between[0]!);
    assert.match(patch, /\+\s+const unitPrice = catalog\.lookupPrice\(item\.sku\);/);
  });

  it('shows the latency regression after the last deployment in its recorded telemetry', () => {
    const om = readFileSync(join(workspace, 'telemetry', 'checkout.om'), 'utf8');
    const deployedAt = Date.parse('2026-11-18T14:00:00Z') / 1000;
    const samples = [...om.matchAll(/^checkout_latency_p99_seconds\{[^}]*\} ([\d.]+) (\d+)$/gm)].map((m) => ({ value: Number(m[1]), time: Number(m[2]) }));
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const before = mean(samples.filter((s) => s.time >= deployedAt - 6 * 3600 && s.time < deployedAt).map((s) => s.value));
    const after = mean(samples.filter((s) => s.time >= deployedAt + 600).map((s) => s.value));
    assert.ok(after > 3 * before, `p99 before ${before.toFixed(3)} s, after ${after.toFixed(3)} s`);
  });
});
