import * as assert from 'node:assert/strict';
import { pipelineFormatOf } from '../../../../src/core/pipeline/formats';

describe('pipelineFormatOf', () => {
  const cases: [string, string | undefined][] = [
    ['.gitlab-ci.yml', 'gitlab'],
    ['./.gitlab-ci.yml', 'gitlab'],
    ['.github/workflows/ci.yml', 'github'],
    ['.github/workflows/release.yaml', 'github'],
    ['.github\\workflows\\ci.yml', 'github'],
    ['azure-pipelines.yml', 'azure'],
    ['Jenkinsfile', 'jenkins'],
    ['.github/workflows/nested/ci.yml', undefined],
    ['.github/actions/setup/action.yml', undefined],
    ['sub/.gitlab-ci.yml', undefined],
    ['jenkinsfile', undefined],
    ['README.md', undefined],
  ];
  for (const [path, format] of cases) {
    it(`${path} -> ${format ?? 'not a pipeline'}`, () => assert.equal(pipelineFormatOf(path), format));
  }
});
