import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../support/paths';

const cli = join(repoRoot, 'dist', 'cli.js');

/** `opsloop check` on the demo workspace: a real git history, recorded telemetry with a regression after the last deployment. */
describe('opsloop check (the built CLI, on the demo workspace)', function () {
  this.timeout(120_000);
  let base: string;
  let demo: string;
  const tag = (name: string): string => execFileSync('git', ['rev-list', '-n', '1', name], { cwd: demo, encoding: 'utf8' }).trim();
  const checkWith = (env: Record<string, string>, cwd: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, 'check', ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI_COMMIT_SHA: '', GITHUB_SHA: '', ...env }, timeout: 90_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const check = (cwd: string, ...args: string[]) => checkWith({}, cwd, ...args);

  before(() => {
    assert.ok(existsSync(cli), `${cli} is missing: run npm run build first`);
    base = mkdtempSync(join(tmpdir(), 'opsloop-check-'));
    demo = join(base, 'demo');
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'prepareDemo.mjs'), '--out', demo, '--quiet'], { cwd: repoRoot });
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('fails (exit 1) for the deployment after which latency and errors climbed, and says which queries changed', () => {
    const r = check(demo, '--revision', tag('deploy-20261118-1400'));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`Deployment ${tag('deploy-20261118-1400').slice(0, 12)} to production at 2026-11-18T14:00:00Z`));
    assert.match(r.stdout, /✗ p99 latency/);
    // a step up after the deploy (which then creeps a little) is told as a shift, not as a slow climb
    assert.match(r.stdout, /✗ p99 latency +p99 latency shifted to \d+ ms, [\d.]+ MADs above its usual \d+ ms/);
    // The report's numbers: equal windows before and after, the latency at least doubled.
    const [, before, after] = /mean (\d+) ms before → (\d+) ms after \(\+\d+ %\)/.exec(r.stdout) ?? [];
    assert.ok(before && after && Number(after) > 2 * Number(before), r.stdout);
    assert.match(r.stdout, /✓ requests/);
    assert.match(r.stdout, /Verdict: the deployment hurt production/);
  });

  it('passes (exit 0) for an earlier deployment that changed nothing, and defaults to the latest deployment', () => {
    const r = check(demo, '--revision', tag('deploy-20261116-1100').slice(0, 8), '--window', '6h');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Verdict: healthy/);
    const latest = check(demo, '--json');
    assert.equal(latest.code, 1, latest.stderr);
    const json = JSON.parse(latest.stdout) as { verdict: string; deployment: { revision: string }; queries: { name: string; verdict: string; anomalies: { onset: number }[] }[] };
    assert.equal(json.verdict, 'regressed');
    assert.equal(json.deployment.revision, tag('deploy-20261118-1400'));
    const latency = json.queries.find((q) => q.name === 'p99 latency')!;
    assert.equal(latency.verdict, 'regressed');
    assert.ok(latency.anomalies.every((a) => a.onset >= Date.parse('2026-11-18T14:00:00Z') / 1000));
  });

  it('checks the commit a CI job deployed ($CI_COMMIT_SHA / $GITHUB_SHA) when no revision is given', () => {
    assert.equal(checkWith({ CI_COMMIT_SHA: tag('deploy-20261116-1100') }, demo, '--window', '6h').code, 0);
    assert.equal(checkWith({ GITHUB_SHA: tag('deploy-20261118-1400') }, demo).code, 1);
  });

  it('cannot tell (exit 3) when a source fails: a missing answer is never healthy', () => {
    const broken = join(base, 'broken');
    execFileSync('cp', ['-r', demo, broken]);
    const config = readFileSync(join(broken, '.opsloop.yml'), 'utf8').replace('    - { name: recorded, kind: file, path: "telemetry/checkout.om" }', '    - { name: recorded, kind: file, path: "telemetry/checkout.om" }\n    - { name: prod, kind: prometheus, url: "http://127.0.0.1:9" }');
    writeFileSync(
      join(broken, '.opsloop.yml'),
      config.replace("{ service: checkout, source: recorded, name: requests, query: 'checkout_requests_per_second{service=\"checkout\"}', unit: req/s }", "{ service: checkout, source: prod, name: requests, query: 'rate(http_requests_total[5m])', unit: req/s }"),
    );
    const r = check(broken, '--since', '2026-11-16T11:00:00Z', '--window', '6h');
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /\? requests +cannot tell: /);
    assert.match(r.stdout, /Verdict: cannot tell/);
  });

  it('says when it finds no such deployment (exit 2)', () => {
    const r = check(demo, '--revision', 'deadbeef');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /No deployment of deadbeef found/);
    assert.equal(check(demo, '--revision', 'not-a-sha').code, 2);
  });
});
