import * as assert from 'node:assert/strict';
import { artifactPatternToRegExp, escapesProject, literalPrefix, matchesArtifact } from '../../../../src/core/run/artifactGlob';
import { CappedOutput } from '../../../../src/core/run/cappedOutput';

describe('capped output', () => {
  it('keeps everything under the cap', () => {
    const out = new CappedOutput({ maxChars: 100 });
    out.append('hello ');
    out.append('world');
    assert.equal(out.text(), 'hello world');
    assert.equal(out.truncated, false);
  });

  it('keeps the head and the most recent tail with a visible marker', () => {
    const out = new CappedOutput({ maxChars: 100, logFile: '/logs/job.log' });
    for (let i = 0; i < 1000; i++) out.append(`line ${i}\n`);
    const text = out.text();
    assert.ok(out.truncated);
    assert.ok(text.startsWith('line 0\n'));
    assert.ok(text.endsWith('line 999\n'));
    assert.match(text, /output truncated: .* not kept in memory; the full log is in \/logs\/job\.log/);
    assert.ok(text.length < 300);
    assert.equal(out.totalChars, [...Array(1000).keys()].reduce((n, i) => n + `line ${i}\n`.length, 0));
  });
});

describe('artifact paths', () => {
  const match = (path: string, ...patterns: string[]): boolean => matchesArtifact(path, patterns.map(artifactPatternToRegExp));
  it('matches folders, *, ** and ?', () => {
    assert.ok(match('dist/app.js', 'dist/'));
    assert.ok(match('dist/a/b.js', 'dist'));
    assert.ok(!match('distance.txt', 'dist'));
    assert.ok(match('build/out.txt', 'build/*.txt'));
    assert.ok(!match('build/x/out.txt', 'build/*.txt'));
    assert.ok(match('build/x/y/out.txt', 'build/**/*.txt'));
    assert.ok(match('build/out.txt', 'build/**/*.txt'));
    assert.ok(match('a1.log', 'a?.log'));
    assert.ok(match('report.xml', './report.xml'));
    assert.ok(match('c.b', '[abc].b') && !match('d.b', '[abc].b'));
  });
  it('refuses patterns that leave the project, and finds where to start walking', () => {
    assert.ok(escapesProject('../secret'));
    assert.ok(escapesProject('/etc/passwd'));
    assert.ok(!escapesProject('dist/../dist2'.replace('..', 'x')));
    assert.equal(literalPrefix('dist/**/*.js'), 'dist');
    assert.equal(literalPrefix('*.txt'), '');
    assert.equal(literalPrefix('out/report.xml'), 'out/report.xml');
  });
});
