import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitTagDeployments } from '../../../../src/node/incidents/gitTagDeployments';

describe('gitTagDeployments (a real repository)', () => {
  let root: string;
  const sha: string[] = [];
  const git = (env: Record<string, string>, ...args: string[]): string =>
    execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@x', ...env },
    }).trim();

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'opsloop-tags-'));
    git({}, 'init', '-q', '-b', 'main');
    for (const [i, date] of ['2026-11-10T10:00:00Z', '2026-11-12T10:00:00Z', '2026-11-14T10:00:00Z'].entries()) {
      writeFileSync(join(root, 'f.txt'), `v${i}\n`);
      git({}, 'add', 'f.txt');
      git({ GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }, 'commit', '-q', '-m', `c${i}`);
      sha.push(git({}, 'rev-parse', 'HEAD'));
    }
    // Annotated: deployed a day after the commit. Lightweight: the commit's own date. Another pattern: ignored.
    git({ GIT_COMMITTER_DATE: '2026-11-11T09:00:00Z' }, 'tag', '-a', 'deploy-1', sha[0]!, '-m', 'deployed');
    git({}, 'tag', 'deploy-2', sha[1]!);
    git({ GIT_COMMITTER_DATE: '2026-11-15T09:00:00Z' }, 'tag', '-a', 'v1.0.0', sha[2]!, '-m', 'release');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('turns each matching tag into a deployment of the commit it points at, at the tag\'s date', async () => {
    const found = await gitTagDeployments(root, { kind: 'gitTags', pattern: 'deploy-*', service: 'checkout' }, { start: 0, end: 2e9 });
    assert.deepEqual(
      found.map((d) => [d.jobName, d.revision, new Date(d.time * 1000).toISOString(), d.environment, d.service, d.source]),
      [
        ['deploy-1', sha[0], '2026-11-11T09:00:00.000Z', 'production', 'checkout', 'gitTag'],
        ['deploy-2', sha[1], '2026-11-12T10:00:00.000Z', 'production', 'checkout', 'gitTag'],
      ],
    );
  });

  it('keeps only the tags in the time range, and refuses patterns that are not a plain glob', async () => {
    const inRange = await gitTagDeployments(root, { kind: 'gitTags', pattern: 'deploy-*' }, { start: Date.parse('2026-11-12T00:00:00Z') / 1000, end: 2e9 });
    assert.deepEqual(inRange.map((d) => d.jobName), ['deploy-2']);
    assert.deepEqual(await gitTagDeployments(root, { kind: 'gitTags', pattern: '--format=%(contents)' }, { start: 0, end: 2e9 }), []);
  });
});
