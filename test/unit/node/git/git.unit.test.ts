import * as assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpsloopError } from '../../../../src/core/errors';
import { branch, git, revision, safeGitArgs, trackedFiles, workingTreeChanges } from '../../../../src/node/git/git';
import { cleanTempDirs, gitIn, makeRepo, tempDir } from '../runner/support';

describe('safe git wrapper (reliability item 19)', function () {
  this.timeout(30_000);
  afterEach(cleanTempDirs);

  it('puts the safety flags in every command', () => {
    assert.deepEqual(safeGitArgs(['status']).slice(0, 4), ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=']);
    const diff = safeGitArgs(['diff', 'HEAD']);
    assert.ok(diff.includes('--no-ext-diff') && diff.includes('--no-textconv'));
    assert.ok(diff.indexOf('diff') < diff.indexOf('--no-ext-diff'));
    const blame = safeGitArgs(['blame', 'x']);
    assert.ok(blame.includes('--no-textconv') && !blame.includes('--no-ext-diff'));
  });

  it('runs no hook, no fsmonitor and no textconv or external diff the repository configures', async () => {
    const repo = makeRepo({ 'a.txt': 'one\n', '.gitattributes': '*.txt diff=evil\n' });
    const hooks = join(repo, 'myhooks');
    mkdirSync(hooks);
    const marker = (name: string): string => join(repo, `ran-${name}`);
    const script = (name: string): string => {
      const path = join(repo, `${name}.sh`);
      writeFileSync(path, `#!/bin/sh\ntouch '${marker(name)}'\ncat "$1" 2>/dev/null\n`);
      chmodSync(path, 0o755);
      return path;
    };
    writeFileSync(join(hooks, 'post-checkout'), `#!/bin/sh\ntouch '${marker('hook')}'\n`);
    chmodSync(join(hooks, 'post-checkout'), 0o755);
    gitIn(repo, 'config', 'core.hooksPath', hooks);
    gitIn(repo, 'config', 'core.fsmonitor', script('fsmonitor'));
    gitIn(repo, 'config', 'diff.evil.textconv', script('textconv'));
    gitIn(repo, 'config', 'diff.external', script('extdiff'));
    writeFileSync(join(repo, 'a.txt'), 'two\n');
    // Prove the configuration is live: plain git runs every one of them.
    gitIn(repo, 'checkout', '-q', '-b', 'probe');
    gitIn(repo, 'status', '--porcelain');
    gitIn(repo, 'diff', 'HEAD');
    gitIn(repo, 'diff', '--no-ext-diff', 'HEAD');
    for (const name of ['hook', 'fsmonitor', 'textconv', 'extdiff']) {
      assert.ok(existsSync(marker(name)), `the test's ${name} does not run even with plain git`);
      rmSync(marker(name));
    }

    await git(repo, ['checkout', '-q', '-b', 'through-wrapper']);
    await git(repo, ['status', '--porcelain']);
    const diff = await git(repo, ['diff', 'HEAD']);
    await git(repo, ['log', '-p', '-1']);
    assert.match(diff.stdout, /-one\n\+two/);
    for (const name of ['hook', 'fsmonitor', 'textconv', 'extdiff']) assert.equal(existsSync(marker(name)), false, `${name} ran through the wrapper`);
  });

  it('reads revision, branch, tracked files and working-tree changes', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'dir/b.txt': 'b\n', 'c.txt': 'c\n' });
    const head = gitIn(repo, 'rev-parse', 'HEAD').trim();
    assert.equal(await revision(repo), head);
    assert.equal(await branch(repo), 'main');
    assert.deepEqual((await trackedFiles(repo)).sort(), ['a.txt', 'c.txt', 'dir/b.txt']);
    writeFileSync(join(repo, 'a.txt'), 'changed\n');
    writeFileSync(join(repo, 'new file.txt'), 'n\n');
    rmSync(join(repo, 'c.txt'));
    const changes = await workingTreeChanges(repo);
    assert.deepEqual([...changes.changed].sort(), ['a.txt', 'new file.txt']);
    assert.deepEqual(changes.deleted, ['c.txt']);
    gitIn(repo, 'checkout', '-q', '--detach');
    assert.equal(await branch(repo), undefined);
  });

  it('answers undefined outside a repository and names errors by kind', async () => {
    const dir = tempDir();
    assert.equal(await revision(dir), undefined);
    assert.equal(await branch(dir), undefined);
    await assert.rejects(git(dir, ['log']), (e: unknown) => OpsloopError.is(e, 'notFound'));
    await assert.rejects(git(dir, ['status'], { gitPath: '/nonexistent/git' }), (e: unknown) => OpsloopError.is(e, 'notFound') && /was not found/.test(e.message));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(git(dir, ['status'], { signal: controller.signal }), (e: unknown) => OpsloopError.is(e, 'cancelled'));
    const repo = makeRepo({ 'big.txt': 'x'.repeat(10_000) });
    await assert.rejects(git(repo, ['show', 'HEAD:big.txt'], { maxBytes: 100 }), (e: unknown) => OpsloopError.is(e, 'tooLarge'));
  });
});
