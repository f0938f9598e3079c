import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseGitlabPipeline } from '../../../../src/core/pipeline/gitlab/gitlabParser';
import { gitlabContextFromGit, listRepositoryFiles, parseRemote, prepareGitlabInputs } from '../../../../src/node/pipeline/gitlabSource';

const dirs: string[] = [];

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsloop-gitlab-src-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Plain git for setting up the test repository (the code under test uses the safe wrapper). */
function gitIn(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const ci = [
  'include: ci/*.yml',
  'docs:',
  '  script: echo docs',
  '  rules:',
  '    - changes: ["docs/**/*"]',
  'docker:',
  '  script: docker build .',
  '  rules:',
  '    - exists: [Dockerfile]',
  'deploy:',
  '  script: ./deploy',
  '  rules:',
  '    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH',
  '',
].join('\n');

describe('GitLab file source and context from git', function () {
  this.timeout(30_000);
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('reads the branch, default branch, commit, project and the changes the next push would bring', async () => {
    const dir = repo({ '.gitlab-ci.yml': ci, 'ci/lint.yml': 'lint:\n  script: lint\n', Dockerfile: 'FROM alpine\n', 'docs/a.md': 'a\n', 'src/x.ts': 'x\n' });
    gitIn(dir, 'init', '-q');
    gitIn(dir, 'remote', 'add', 'origin', 'git@gitlab.example.com:group/sub/app.git');
    gitIn(dir, 'add', '-A');
    gitIn(dir, 'commit', '-q', '-m', 'First title\n\nBody text');
    gitIn(dir, 'checkout', '-q', '-b', 'feature/docs');
    writeFileSync(join(dir, 'docs', 'a.md'), 'changed\n');
    writeFileSync(join(dir, 'docs', 'new.md'), 'untracked\n');

    const { source, context } = await prepareGitlabInputs(dir);
    assert.equal(context.branch, 'feature/docs');
    assert.equal(context.defaultBranch, 'main');
    assert.equal(context.pipelineSource, 'push');
    assert.match(context.sha ?? '', /^[0-9a-f]{40}$/);
    assert.equal(context.commitMessage, 'First title\n\nBody text');
    assert.deepEqual([context.projectPath, context.serverHost], ['group/sub/app', 'gitlab.example.com']);
    assert.deepEqual(context.changedFiles, ['docs/a.md', 'docs/new.md']);

    const plan = parseGitlabPipeline({ file: '.gitlab-ci.yml', source, context });
    assert.deepEqual(plan.diagnostics, []);
    assert.deepEqual(Object.fromEntries(plan.jobs.map((j) => [j.name, j.when])), { lint: 'on_success', docs: 'on_success', docker: 'on_success', deploy: 'never' });
    assert.equal(plan.predefinedVariables.CI_PROJECT_PATH, 'group/sub/app');

    // on main, with nothing pushed to compare with: changes are unknown (true), deploy runs
    gitIn(dir, 'checkout', '-q', 'main');
    const onMain = await gitlabContextFromGit(dir);
    assert.equal(onMain.branch, 'main');
    assert.equal(onMain.changedFiles, undefined);
  });

  it('uses the tag at a detached HEAD, and a branch or tag asked for', async () => {
    const dir = repo({ '.gitlab-ci.yml': 'j: {script: x}\n' });
    gitIn(dir, 'init', '-q');
    gitIn(dir, 'add', '-A');
    gitIn(dir, 'commit', '-q', '-m', 'x');
    gitIn(dir, 'tag', 'v2.0.0');
    gitIn(dir, 'checkout', '-q', '--detach', 'v2.0.0');
    const detached = await gitlabContextFromGit(dir);
    assert.equal(detached.tag, 'v2.0.0');
    assert.equal(detached.branch, undefined);
    assert.equal((await gitlabContextFromGit(dir, { branch: 'release' })).branch, 'release');
    assert.equal((await gitlabContextFromGit(dir, { tag: 'v9' })).tag, 'v9');
  });

  it('runs no fsmonitor or hook the repository configures (reliability item 19)', async () => {
    const dir = repo({ '.gitlab-ci.yml': 'j: {script: x}\n', 'a.txt': 'a\n' });
    gitIn(dir, 'init', '-q');
    gitIn(dir, 'add', '-A');
    gitIn(dir, 'commit', '-q', '-m', 'x');
    gitIn(dir, 'checkout', '-q', '-b', 'topic');
    const elsewhere = repo({});
    const marker = join(elsewhere, 'ran');
    const script = join(elsewhere, 'evil.sh');
    writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\n`);
    chmodSync(script, 0o755);
    gitIn(dir, 'config', 'core.fsmonitor', script);
    gitIn(dir, 'config', 'core.hooksPath', elsewhere);
    writeFileSync(join(dir, 'a.txt'), 'b\n');
    gitIn(dir, 'status', '--short'); // plain git runs the fsmonitor: the trap is live
    assert.ok(existsSync(marker));
    rmSync(marker);
    const { context } = await prepareGitlabInputs(dir);
    assert.deepEqual(context.changedFiles, ['a.txt']);
    assert.equal(existsSync(marker), false, 'our git calls ran the fsmonitor');
  });

  it('without git (Restricted Mode) lists the folder and assumes main', async () => {
    const dir = repo({ '.gitlab-ci.yml': 'include: "ci/*.yml"\n', 'ci/a.yml': 'a: {script: x}\n', 'node_modules/x/ci.yml': 'skip\n' });
    const files = await listRepositoryFiles(dir, { useGit: false });
    assert.deepEqual(files, ['.gitlab-ci.yml', 'ci/a.yml']);
    const { source, context } = await prepareGitlabInputs(dir, { useGit: false });
    assert.deepEqual([context.branch, context.defaultBranch, context.sha], ['main', 'main', undefined]);
    assert.deepEqual(parseGitlabPipeline({ file: '.gitlab-ci.yml', source, context }).jobs.map((j) => j.name), ['a']);
  });

  it('refuses links that leave the repository and files over the size limit, as diagnostics', async () => {
    const outside = repo({ 'secret.yml': 'stolen: {script: x}\n' });
    const dir = repo({ '.gitlab-ci.yml': 'include: [link.yml, big.yml]\nj: {script: x}\n', 'big.yml': `big: {script: "${'x'.repeat(5000)}"}\n` });
    symlinkSync(join(outside, 'secret.yml'), join(dir, 'link.yml'));
    const { source, context } = await prepareGitlabInputs(dir, { useGit: false, maxFileBytes: 1000 });
    const plan = parseGitlabPipeline({ file: '.gitlab-ci.yml', source, context });
    assert.deepEqual(plan.jobs.map((j) => j.name), ['j']);
    assert.deepEqual(plan.diagnostics.map((d) => d.code), ['gitlab-include-unreadable', 'gitlab-include-unreadable']);
    assert.match(plan.diagnostics[0]!.message, /outside the repository/);
    assert.match(plan.diagnostics[1]!.message, /more than/);
  });

  it('reads project paths from https, ssh and scp-like remotes', () => {
    assert.deepEqual(parseRemote('https://gitlab.com/group/app.git'), { host: 'gitlab.com', path: 'group/app' });
    assert.deepEqual(parseRemote('https://oauth2:token@gitlab.example.com:8443/a/b/c'), { host: 'gitlab.example.com', path: 'a/b/c' });
    assert.deepEqual(parseRemote('ssh://git@gitlab.example.com:2222/group/app.git'), { host: 'gitlab.example.com', path: 'group/app' });
    assert.deepEqual(parseRemote('git@gitlab.com:group/app.git'), { host: 'gitlab.com', path: 'group/app' });
    assert.equal(parseRemote('/srv/repos/app.git'), undefined);
  });
});
