import * as assert from 'node:assert/strict';
import { parseJenkinsfile } from '../../../../../src/core/pipeline/jenkins/jenkinsParser';
import type { Pipeline } from '../../../../../src/core/pipeline/model';
import { assertWellFormed, hangGuardMs } from '../github/fuzzSupport';
import { describeDiagnostics, withCode } from '../github/support';

const file = 'Jenkinsfile';

function parse(text: string): Pipeline {
  const started = performance.now();
  const pipeline = parseJenkinsfile({ file, text });
  const ms = performance.now() - started;
  assert.ok(ms < hangGuardMs, `took ${ms.toFixed(0)} ms`);
  assertWellFormed(pipeline, file);
  return pipeline;
}

describe('Jenkins parser on hostile input', function () {
  this.timeout(60_000);

  it('refuses a 50 MB file and binary junk', () => {
    assert.equal(parse(`pipeline { stages { stage('a') { steps { sh '${'x'.repeat(50 * 1024 * 1024)}' } } } }`).diagnostics[0]!.code, 'file-too-large');
    assert.equal(parse(`pipeline {\n\u0000\u0001}`).diagnostics[0]!.code, 'binary-file');
  });

  it('reports nesting past the limit without overflowing the stack: blocks, calls, lists, strings', () => {
    const inside = (inner: string) => `pipeline {\n  stages {\n    stage('a') {\n      steps {\n        ${inner}\n      }\n    }\n  }\n}\n`;
    for (const deep of ['dir("x") { '.repeat(100_000), `sh ${'f('.repeat(100_000)}`, `sh ${'['.repeat(100_000)}`, `sh "${'${"'.repeat(50_000)}"`]) {
      const pipeline = parse(inside(deep));
      assert.ok(pipeline.diagnostics.some((d) => d.code === 'groovy-syntax' && d.line >= 5), describeDiagnostics(pipeline.diagnostics.slice(0, 3)));
    }
  });

  it('refuses a matrix of ten billion cells without building it', () => {
    const axes = Array.from({ length: 10 }, (_, i) => `axis { name 'A${i}'; values '0','1','2','3','4','5','6','7','8','9' }`).join('\n');
    const pipeline = parse(`pipeline {\n stages {\n  stage('m') {\n   matrix {\n    axes {\n${axes}\n    }\n    stages { stage('x') { steps { sh 'x' } } }\n   }\n  }\n }\n}\n`);
    assert.equal(withCode(pipeline.diagnostics, 'matrix-too-large')[0]!.line, 4);
  });

  it('reads a pipeline of 20,000 stages', () => {
    const stages = Array.from({ length: 20_000 }, (_, i) => `stage('s${i}') { steps { sh 'echo ${i}' } }`).join('\n');
    const pipeline = parse(`pipeline {\n agent any\n stages {\n${stages}\n }\n}\n`);
    assert.equal(pipeline.jobs.length, 20_000);
    assert.deepEqual(pipeline.diagnostics, []);
  });
});
