import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverPipelineFiles } from '../../../../src/node/pipeline/discovery';

describe('discoverPipelineFiles', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'opsloop-discovery-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const touch = (path: string): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), 'x: 1\n');
  };

  it('finds each format where its CI looks, sorted, and nothing else', async () => {
    for (const f of ['.gitlab-ci.yml', '.github/workflows/b.yml', '.github/workflows/a.yaml', 'azure-pipelines.yml', 'Jenkinsfile', 'docs/.gitlab-ci.yml', '.github/workflows/notes.txt', 'node_modules/x/.gitlab-ci.yml']) touch(f);
    const found = await discoverPipelineFiles(root);
    assert.deepEqual(found, [
      { path: '.github/workflows/a.yaml', format: 'github' },
      { path: '.github/workflows/b.yml', format: 'github' },
      { path: '.gitlab-ci.yml', format: 'gitlab' },
      { path: 'Jenkinsfile', format: 'jenkins' },
      { path: 'azure-pipelines.yml', format: 'azure' },
    ]);
  });

  it('follows a pipeline file that is a symbolic link, but not a dangling one', async () => {
    touch('shared/ci.yml');
    symlinkSync(join(root, 'shared/ci.yml'), join(root, '.gitlab-ci.yml'));
    symlinkSync(join(root, 'missing.yml'), join(root, 'azure-pipelines.yml'));
    assert.deepEqual(await discoverPipelineFiles(root), [{ path: '.gitlab-ci.yml', format: 'gitlab' }]);
  });

  it('returns nothing for a folder without pipelines or that does not exist', async () => {
    assert.deepEqual(await discoverPipelineFiles(root), []);
    assert.deepEqual(await discoverPipelineFiles(join(root, 'missing')), []);
  });
});
