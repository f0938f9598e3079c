import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../../../src/core/run/runEvents';
import { repoRoot } from '../../support/paths';
import { alive, cleanTempDirs, gitIn, makeRepo, waitUntil } from '../node/runner/support';

const cli = join(repoRoot, 'dist', 'cli.js');

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `opsloop` binary as a person would, in `cwd`. */
function opsloop(cwd: string, args: string[], options: { env?: Record<string, string>; onStart?: (pid: number) => void | Promise<void> } = {}): Promise<Result> {
  assert.ok(existsSync(cli), `${cli} is missing: run npm run build first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (options.onStart && child.pid) void Promise.resolve(options.onStart(child.pid)).catch(reject);
  });
}

const workflow = (jobs: string): Record<string, string> => ({ '.github/workflows/ci.yml': `name: CI\non: push\njobs:\n${jobs}` });

const passing = workflow(`  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "building $GITHUB_SHA"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo testing
  lint:
    runs-on: ubuntu-latest
    continue-on-error: true
    steps:
      - run: exit 3
`);

describe('opsloop run (the built CLI, real processes)', function () {
  this.timeout(60_000);
  afterEach(cleanTempDirs);

  it('runs the pipeline with live progress, keeps history out of git, exits 0 when every required job passed', async () => {
    const repo = makeRepo(passing);
    const head = gitIn(repo, 'rev-parse', 'HEAD').trim();
    const r = await opsloop(repo, ['run']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`▶ \\.github/workflows/ci\\.yml · pipeline · 3 jobs at ${head.slice(0, 8)} on main`));
    assert.match(r.stdout, new RegExp(`\\[build\\] building ${head}`));
    assert.match(r.stdout, /✓ build passed/);
    assert.match(r.stdout, /⚠ lint failed \(allowed to fail\)/);
    assert.match(r.stdout, /Run passed in .*: 2 passed, 1 allowed to fail\./);
    const runs = readdirSync(join(repo, '.opsloop', 'runs'), { withFileTypes: true }).filter((d) => d.isDirectory());
    assert.equal(runs.length, 1);
    assert.ok(existsSync(join(repo, '.opsloop', 'runs', runs[0]!.name, 'events.jsonl')));
    assert.equal(gitIn(repo, 'status', '--porcelain'), '', 'the run left files git sees');
  });

  it('exits 1 when a required job fails, and names it with its log', async () => {
    const repo = makeRepo(workflow(`  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo boom; exit 4\n  deploy:\n    needs: build\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo never\n`));
    const r = await opsloop(repo, ['run']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✗ build failed: exit code 4 .* · log: \.opsloop\/runs\/[^/]+\/logs\/001-build\.log/);
    assert.match(r.stdout, /○ deploy skipped: skipped because build failed/);
    assert.ok(!r.stdout.includes('[deploy] never'));
  });

  it('--json prints exactly one RunEvent per line', async () => {
    const repo = makeRepo(passing);
    const r = await opsloop(repo, ['run', '--json', '--no-history']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as RunEvent);
    assert.equal(events[0]!.type, 'run.queued');
    assert.equal(events[events.length - 1]!.type, 'run.finished');
    assert.ok(events.some((e) => e.type === 'job.output' && e.text.includes('testing')));
    assert.equal(events.filter((e) => e.type === 'job.finished').length, 3);
    assert.ok(events.every((e) => typeof e.runId === 'string' && typeof e.time === 'number'));
    assert.equal(existsSync(join(repo, '.opsloop')), false, '--no-history wrote history');
  });

  it('--job runs a job with the jobs it needs, and nothing else', async () => {
    const repo = makeRepo(passing);
    const r = await opsloop(repo, ['run', '--job', 'test', '--json', '--no-history']);
    assert.equal(r.code, 0);
    const queued = JSON.parse(r.stdout.split('\n')[0]!) as Extract<RunEvent, { type: 'run.queued' }>;
    assert.deepEqual(queued.jobs.map((j) => j.name), ['build', 'test']);
    assert.equal(queued.selection, 'job test');
  });

  it('--secret passes a variable and masks it in the output and the logs', async () => {
    const repo = makeRepo(workflow(`  leak:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "token=$API_TOKEN"\n`));
    const r = await opsloop(repo, ['run', '--secret', 'API_TOKEN'], { env: { API_TOKEN: 'tk-secret-value-123' } });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /token=\[MASKED\]/);
    const runDir = readdirSync(join(repo, '.opsloop', 'runs'), { withFileTypes: true }).find((d) => d.isDirectory())!.name;
    const log = readFileSync(join(repo, '.opsloop', 'runs', runDir, 'logs', '001-leak.log'), 'utf8');
    assert.ok(!log.includes('tk-secret-value-123'));
  });

  it('Ctrl-C cancels cleanly: every job process stops, exit status 130', async () => {
    const repo = makeRepo(workflow(`  slow:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo $$ > pids; (sleep 300 & echo $! >> pids; wait) & sleep 300\n`));
    const pidFile = join(repo, 'pids');
    const r = await opsloop(repo, ['run'], {
      onStart: async (pid) => {
        await waitUntil('the job to start its processes', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim().split('\n').length >= 2, 20_000);
        process.kill(pid, 'SIGINT');
      },
    });
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.match(r.stderr, /canceling: stopping every job/);
    assert.match(r.stdout, /■ slow canceled/);
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    assert.deepEqual(pids.filter(alive), [], 'job processes survived Ctrl-C');
  });

  it('a second Ctrl-C exits at once and still leaves no job process behind', async () => {
    const repo = makeRepo(workflow(`  stubborn:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo $$ > pids; trap '' INT TERM; sleep 300 & echo $! >> pids; while true; do sleep 0.1; done\n`));
    const pidFile = join(repo, 'pids');
    const started = Date.now();
    const r = await opsloop(repo, ['run'], {
      onStart: async (pid) => {
        await waitUntil('the job to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim().split('\n').length >= 2, 20_000);
        process.kill(pid, 'SIGINT');
        await new Promise((resolve) => setTimeout(resolve, 300));
        process.kill(pid, 'SIGINT');
      },
    });
    assert.equal(r.code, 130);
    assert.ok(Date.now() - started < 15_000);
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    await waitUntil('the killed processes to be gone', () => pids.every((p) => !alive(p)), 5000);
    const runId = /\(run ([\w-]+)\)/.exec(r.stdout)?.[1];
    assert.ok(runId, r.stdout);
    assert.equal(existsSync(join(tmpdir(), `opsloop-run-${runId}`)), false, 'the run left its temporary folder behind');
  });

  it('explains usage errors with exit status 2', async () => {
    const repo = makeRepo({ ...passing, '.github/workflows/other.yml': 'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo x\n' });
    const several = await opsloop(repo, ['run']);
    assert.equal(several.code, 2);
    assert.match(several.stderr, /Several pipelines here: .*ci\.yml, .*other\.yml\. Choose one with --file/);
    const unknown = await opsloop(repo, ['run', '--file', '.github/workflows/ci.yml', '--job', 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No job 'nope'/);
    const both = await opsloop(repo, ['run', '--job', 'a', '--stage', 'b']);
    assert.equal(both.code, 2);
    const bad = await opsloop(repo, ['run', '--concurrency', 'zero']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--concurrency needs a whole number/);
    const option = await opsloop(repo, ['run', '--frobnicate']);
    assert.equal(option.code, 2);
    // A job name found in one pipeline picks that pipeline.
    const byJob = await opsloop(repo, ['run', '--job', 'x', '--no-history']);
    assert.equal(byJob.code, 0, byJob.stderr);
  });

  it('refuses a pipeline with errors, printing them', async () => {
    const repo = makeRepo(workflow(`  a:\n    needs: ghost\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo a\n`));
    const r = await opsloop(repo, ['run']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ci\.yml:\d+:\d+: error: .*ghost/);
  });

  it('GitLab: stage order, manual jobs (--manual), retry, --stage, and isolated runs with artifacts', async () => {
    const gitlab = `stages: [build, test, deploy]
build:
  stage: build
  script:
    - mkdir -p dist && echo bundle > dist/app.js
  artifacts:
    paths: [dist/]
flaky:
  stage: test
  retry: 1
  script:
    - n=$(cat .count 2>/dev/null || echo 0); echo $((n+1)) > .count; test $n -ge 1
unit:
  stage: test
  script:
    - cat dist/app.js
deploy:
  stage: deploy
  when: manual
  script:
    - echo deploying
`;
    const repo = makeRepo({ '.gitlab-ci.yml': gitlab, '.gitignore': '.count\ndist/\n' });
    const plain = await opsloop(repo, ['run', '--no-history']);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.match(plain.stdout, /\[build\] \$ mkdir -p dist && echo bundle > dist\/app\.js/, 'GitLab prints each command');
    assert.match(plain.stdout, /retrying \(attempt 2 of 2\)/);
    assert.match(plain.stdout, /⏸ deploy is manual: not started/);
    assert.match(plain.stdout, /3 passed, 1 not run/);
    const manual = await opsloop(repo, ['run', '--manual', '--stage', 'deploy', '--no-history']);
    assert.equal(manual.code, 0, manual.stdout + manual.stderr);
    assert.match(manual.stdout, /\[deploy\] deploying/);
    // Isolated: a clean copy at HEAD per job, the artifacts of build passed to unit; the workspace untouched.
    rmSync(join(repo, 'dist'), { recursive: true, force: true });
    const isolated = await opsloop(repo, ['run', '--isolated', '--job', 'unit', '--json', '--no-history']);
    assert.equal(isolated.code, 0, isolated.stderr + isolated.stdout.slice(-3000));
    const events = isolated.stdout.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
    const unitOut = events.filter((e) => e.type === 'job.output' && e.jobId.endsWith('#unit')).map((e) => (e as { text: string }).text).join('');
    assert.match(unitOut, /bundle/);
    assert.match(unitOut, /Restored 1 artifact file/);
    assert.equal(gitIn(repo, 'status', '--porcelain'), '', 'the isolated run changed the workspace');
  });
});
