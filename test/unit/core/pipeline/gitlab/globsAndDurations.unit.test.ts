import * as assert from 'assert';
import { parseGitlabDuration } from '../../../../../src/core/pipeline/gitlab/durations';
import { matchesFnmatch, matchesIncludeWildcard } from '../../../../../src/core/pipeline/gitlab/globs';

describe('GitLab path patterns', () => {
  it('include:local wildcards: * stays in a folder, ** spans folders, **/ may be empty (GitLab docs)', () => {
    const m = matchesIncludeWildcard;
    assert.ok(m('configs/*.yml', 'configs/a.yml'));
    assert.ok(!m('configs/*.yml', 'configs/sub/a.yml'));
    assert.ok(m('configs/**.yml', 'configs/sub/deep/a.yml'));
    assert.ok(m('configs/**/*.yml', 'configs/a.yml'));
    assert.ok(m('configs/**/*.yml', 'configs/x/y/a.yml'));
    assert.ok(m('/configs/*.yml', 'configs/a.yml'), 'a leading / is the repository root');
    assert.ok(!m('configs/*.yml', 'configs/a.yaml'));
    assert.ok(!m('configs/[ab].yml', 'configs/a.yml'), 'brackets are literal in include wildcards');
    assert.ok(m('configs/a.b.yml', 'configs/a.b.yml') && !m('configs/a.b.yml', 'configs/aXb.yml'), 'dots are literal');
  });

  it('rules:changes/exists patterns follow Ruby fnmatch with PATHNAME, DOTMATCH and EXTGLOB', () => {
    const m = matchesFnmatch;
    assert.ok(m('*.md', 'README.md'));
    assert.ok(!m('*.md', 'docs/README.md'), '* does not cross folders');
    assert.ok(m('**/*.md', 'README.md'), '**/ matches no folder too');
    assert.ok(m('**/*.md', 'docs/a/b/README.md'));
    assert.ok(m('docs/**/*', 'docs/guide/intro.md'));
    assert.ok(m('src/*.{ts,js}', 'src/app.js'));
    assert.ok(!m('src/*.{ts,js}', 'src/app.py'));
    assert.ok(m('file?.txt', 'file1.txt') && !m('file?.txt', 'file10.txt'));
    assert.ok(m('[a-c].txt', 'b.txt') && !m('[!a-c].txt', 'b.txt') && m('[!a-c].txt', 'z.txt'));
    assert.ok(m('*', '.hidden'), 'DOTMATCH: * matches dot files');
    assert.ok(m('Dockerfile', 'Dockerfile') && !m('Dockerfile', 'sub/Dockerfile'));
    assert.ok(m('a\\*b', 'a*b') && !m('a\\*b', 'axb'), 'backslash escapes');
    assert.ok(m('{unclosed', '{unclosed'), 'an unreadable pattern matches itself only');
  });
});

describe('GitLab durations (timeout, start_in)', () => {
  const cases: [unknown, number | undefined][] = [
    ['1h 30m', 5400],
    ['3 hours', 10800],
    ['90 minutes', 5400],
    ['2h30m', 9000],
    ['30 minutes', 1800],
    ['1 day', 86400],
    ['1 week', 604800],
    ['10 mins', 600],
    ['45s', 45],
    ['3600', 3600],
    [3600, 3600],
    ['1:30:00', 5400],
    ['1 hour and 5 minutes', 3900],
    ['soon', undefined],
    ['5 parsecs', undefined],
    ['', undefined],
    [null, undefined],
    [-5, undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.strictEqual(parseGitlabDuration(input), expected));
  }
});
