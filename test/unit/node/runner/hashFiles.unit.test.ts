import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashFiles } from '../../../../src/node/runner/hashFiles';
import { makePipeline, step } from '../../core/run/planBuilder';
import { cleanTempDirs, run, tempDir, writeFiles } from './support';

/** GitHub's algorithm written out: SHA-256 of the files' SHA-256 digests, in the given order. */
function expected(root: string, files: string[]): string {
  const total = createHash('sha256');
  for (const f of files) total.update(createHash('sha256').update(readFileSync(join(root, f))).digest());
  return total.digest('hex');
}

describe('hashFiles() in local runs', function () {
  this.timeout(30_000);
  afterEach(cleanTempDirs);

  it('hashes the matched files of the workspace as GitHub does, and is empty when nothing matches', () => {
    const root = tempDir();
    writeFiles(root, { 'package-lock.json': '{"a":1}', 'web/package-lock.json': '{"b":2}', 'web/src/app.js': 'x', 'lib/a.rb': 'a', 'lib/foo/b.rb': 'b', 'lib/c.rb': 'c', 'README.md': 'r' });
    assert.equal(hashFiles(root, ['**/package-lock.json']), expected(root, ['package-lock.json', 'web/package-lock.json']));
    assert.equal(hashFiles(root, ['/lib/**/*.rb', '!/lib/foo/*.rb']), expected(root, ['lib/a.rb', 'lib/c.rb']));
    assert.equal(hashFiles(root, ['web']), expected(root, ['web/package-lock.json', 'web/src/app.js']));
    assert.equal(hashFiles(root, ['README.md\n# a comment\nlib/c.rb']), expected(root, ['README.md', 'lib/c.rb']));
    assert.equal(hashFiles(root, ['**/*.py']), '');
    assert.equal(hashFiles(root, ['../outside', '/etc/passwd']), '');
    const before = hashFiles(root, ['**/*.rb']);
    writeFileSync(join(root, 'lib/a.rb'), 'changed');
    assert.notEqual(hashFiles(root, ['**/*.rb']), before);
  });

  it('never counts files outside the workspace, also through a link, and survives link loops', () => {
    const root = tempDir();
    const outside = tempDir();
    writeFiles(outside, { 'secret.txt': 's' });
    writeFiles(root, { 'in.txt': 'i' });
    symlinkSync(outside, join(root, 'linked'));
    symlinkSync(root, join(root, 'loop'));
    assert.equal(hashFiles(root, ['**/*.txt']), expected(root, ['in.txt']));
  });

  it('answers hashFiles() in a real run: an if: on a file that exists, and a value in a script', async () => {
    const root = tempDir();
    writeFiles(root, { 'requirements.txt': 'flask\n' });
    const p = makePipeline(
      [
        {
          name: 'py',
          needs: [],
          steps: [
            step('echo "install"', { name: 'pip', condition: "hashFiles('requirements.txt') != ''" }),
            step('echo "no lockfile"', { name: 'npm', condition: "hashFiles('**/package-lock.json') != ''" }),
            step('echo "key=${{ hashFiles(\'requirements.txt\') }}"', { name: 'key' }),
          ],
        },
      ],
      { format: 'github' },
    );
    const ran = await run(p, { root });
    const out = ran.output('py');
    assert.match(out, /^install$/m);
    assert.doesNotMatch(out, /^no lockfile$/m);
    assert.ok(out.includes(`key=${expected(root, ['requirements.txt'])}\n`), out);
  });
});
