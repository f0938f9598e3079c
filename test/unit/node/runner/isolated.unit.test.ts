import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makePipeline } from '../../core/run/planBuilder';
import { forgetDockerEngine } from '../../../../src/node/runner/docker';
import { cleanTempDirs, gitIn, makeRepo, run, tempDir } from './support';

describe('isolated mode, artifacts and deployments (real git repositories)', function () {
  this.timeout(60_000);
  afterEach(cleanTempDirs);

  it('runs each job on a clean copy of the tracked files at HEAD, leaving the workspace untouched', async () => {
    const repo = makeRepo({ 'tracked.txt': 'committed\n', 'src/app.js': 'v1\n', '.gitignore': 'ignored.txt\n' });
    writeFileSync(join(repo, 'tracked.txt'), 'edited but not committed\n');
    writeFileSync(join(repo, 'untracked.txt'), 'new\n');
    writeFileSync(join(repo, 'ignored.txt'), 'ignored\n');
    const p = makePipeline([{ name: 'look', needs: [], script: 'cat tracked.txt; ls; echo "dir=$CI_PROJECT_DIR"; echo changed > src/app.js; git rev-parse HEAD' }]);
    const ran = await run(p, { root: repo, isolated: true, git: true });
    const out = ran.output('look');
    assert.equal(ran.job('look').status, 'passed', out);
    assert.match(out, /committed/);
    assert.ok(!out.includes('edited but not committed'));
    assert.ok(!out.includes('untracked.txt') && !out.includes('ignored.txt'));
    assert.ok(!out.includes(`dir=${repo}\n`), 'the job ran in the workspace');
    assert.equal(readFileSync(join(repo, 'src/app.js'), 'utf8'), 'v1\n', 'the job changed the workspace');
    const head = gitIn(repo, 'rev-parse', 'HEAD').trim();
    assert.ok(out.includes(head), 'the copy is a git checkout of HEAD');
    assert.equal(ran.state.revision, head);
    assert.equal(ran.state.branch, 'main');
    assert.equal(ran.state.isolated, true);
  });

  it('includes the working tree\'s changes when asked (edits, new files, deletions, staged changes)', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'gone.txt': 'x\n', 'staged.txt': 'old\n' });
    writeFileSync(join(repo, 'a.txt'), 'edited\n');
    writeFileSync(join(repo, 'new.txt'), 'new\n');
    unlinkSync(join(repo, 'gone.txt'));
    writeFileSync(join(repo, 'staged.txt'), 'staged\n');
    gitIn(repo, 'add', 'staged.txt');
    const p = makePipeline([{ name: 'look', needs: [], script: 'cat a.txt new.txt staged.txt; test ! -e gone.txt && echo gone-is-gone' }]);
    const ran = await run(p, { root: repo, isolated: true, includeWorkingTreeChanges: true, git: true });
    const out = ran.output('look');
    assert.match(out, /edited\nnew\nstaged\ngone-is-gone/);
  });

  it('passes declared artifacts to the jobs that need them, and only to them', async () => {
    const repo = makeRepo({ 'README.md': 'x\n' });
    const p = makePipeline(
      [
        { name: 'build', stage: 'build', needs: [], artifacts: ['dist/', 'report-*.txt'], script: 'mkdir -p dist/sub && echo bundle > dist/sub/app.js && echo r > report-1.txt && echo private > private.txt' },
        { name: 'other', stage: 'build', needs: [], script: 'echo other > other.txt' },
        { name: 'test', stage: 'test', needs: ['build'], script: 'cat dist/sub/app.js report-1.txt; test ! -e private.txt && echo no-private; test ! -e other.txt && echo no-other' },
        { name: 'noart', stage: 'test', needs: [{ job: 'build', artifacts: false }], script: 'test ! -e dist && echo no-artifacts' },
        { name: 'staged', stage: 'deploy', needs: null, script: 'cat dist/sub/app.js' },
      ],
      { stages: ['build', 'test', 'deploy'] },
    );
    const ran = await run(p, { root: repo, isolated: true, git: true });
    assert.equal(ran.state.status, 'passed', JSON.stringify(ran.state.jobs.map((j) => [j.name, j.status])));
    assert.match(ran.output('test'), /bundle\nr\nno-private\nno-other/);
    assert.match(ran.output('noart'), /no-artifacts/);
    assert.match(ran.output('staged'), /bundle/, 'a stage-ordered job receives the artifacts of earlier stages');
    assert.equal(existsSync(join(repo, 'dist')), false, 'artifacts leaked into the workspace');
  });

  it('refuses isolated mode outside a git repository, saying why', async () => {
    const p = makePipeline([{ name: 'x', needs: [], script: 'true' }]);
    const ran = await run(p, { root: tempDir(), isolated: true, git: true });
    assert.equal(ran.state.status, 'failed');
    assert.match(ran.state.reason!, /not in a git repository with a commit/);
    assert.equal(ran.job('x').status, 'skipped');
  });

  it('records a Deployment for a passed job with an environment, with the commit that ran', async () => {
    const repo = makeRepo({ 'app.txt': '1\n' });
    const head = gitIn(repo, 'rev-parse', 'HEAD').trim();
    const p = makePipeline([
      { name: 'deploy-prod', needs: [], environment: { name: 'production' }, variables: { SERVICE_NAME: 'checkout' }, script: 'echo deploying' },
      { name: 'stop-review', needs: [], environment: { name: 'review', action: 'stop' }, script: 'true' },
      { name: 'deploy-broken', needs: [], environment: { name: 'staging' }, script: 'exit 1' },
    ]);
    const ran = await run(p, { root: repo, git: true });
    const deployments = ran.events.flatMap((e) => (e.type === 'job.finished' && e.deployment ? [e.deployment] : []));
    assert.equal(deployments.length, 1);
    assert.equal(deployments[0]!.environment, 'production');
    assert.equal(deployments[0]!.service, 'checkout');
    assert.equal(deployments[0]!.revision, head);
    assert.equal(deployments[0]!.runId, ran.state.runId);
    assert.equal(deployments[0]!.jobName, 'deploy-prod');
    assert.equal(ran.job('deploy-prod').deployment?.revision, head);
  });
});

describe('image: jobs without a Docker engine (there is none on this machine)', function () {
  this.timeout(60_000);
  afterEach(() => {
    cleanTempDirs();
    forgetDockerEngine();
  });
  const p = makePipeline([
    { name: 'in-image', needs: [], image: 'node:20-alpine', script: 'echo "ran on $(uname -s)"' },
    { name: 'after', needs: ['in-image'], script: 'echo after' },
  ]);

  it('asks the engine, warns, and runs on the host with the policy "host"', async () => {
    const ran = await run(p, { dockerPolicy: 'host' });
    const out = ran.output('in-image');
    assert.match(out, /asks for image node:20-alpine, but (no Docker engine answered|the docker command was not found)/);
    assert.match(out, /runs on this machine's shell instead/);
    assert.match(out, /ran on Linux/);
    assert.equal(ran.state.status, 'passed');
  });

  it('skips the job (and what needs it) with the policy "skip", without failing the run', async () => {
    const ran = await run(p, { dockerPolicy: 'skip' });
    assert.equal(ran.job('in-image').status, 'skipped');
    assert.equal(ran.job('in-image').cause, 'policy');
    assert.equal(ran.job('after').status, 'skipped');
    assert.ok(!ran.output('in-image').includes('ran on'));
    assert.equal(ran.state.status, 'passed');
  });

  it('fails the job with the policy "fail"', async () => {
    const ran = await run(p, { dockerPolicy: 'fail' });
    assert.equal(ran.job('in-image').status, 'failed');
    assert.match(ran.job('in-image').reason!, /dockerPolicy = fail/);
    assert.equal(ran.state.status, 'failed');
  });

  it('says so when the docker command itself is missing', async () => {
    const ran = await run(p, { dockerPolicy: 'host', dockerPath: '/nonexistent/docker' });
    assert.match(ran.output('in-image'), /the docker command was not found \(\/nonexistent\/docker\)/);
  });
});
