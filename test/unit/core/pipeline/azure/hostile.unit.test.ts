import * as assert from 'node:assert/strict';
import { parseAzurePipeline } from '../../../../../src/core/pipeline/azure/azureParser';
import type { Pipeline } from '../../../../../src/core/pipeline/model';
import { assertWellFormed, hangGuardMs, yamlBomb } from '../github/fuzzSupport';
import { describeDiagnostics, withCode } from '../github/support';

const file = 'azure-pipelines.yml';

function parse(text: string, files: Record<string, string> = {}): Pipeline {
  const started = performance.now();
  const pipeline = parseAzurePipeline({ file, text, readFile: (p) => files[p] });
  const ms = performance.now() - started;
  assert.ok(ms < hangGuardMs, `took ${ms.toFixed(0)} ms`);
  assertWellFormed(pipeline, file);
  return pipeline;
}

describe('Azure parser on hostile input', function () {
  this.timeout(60_000);

  it('refuses a YAML bomb, a 50 MB file and binary junk with diagnostics', () => {
    const bomb = parse(yamlBomb('steps:\n- script: *a9\n'));
    assert.ok(withCode(bomb.diagnostics, 'yaml-too-many-nodes').length === 1, describeDiagnostics(bomb.diagnostics));
    const big = parse(`steps:\n- script: ${'y'.repeat(50 * 1024 * 1024)}\n`);
    assert.equal(big.diagnostics[0]!.code, 'yaml-too-large');
    const binary = parse('steps:\n- script: \u0000\u0001\u0002');
    assert.equal(binary.diagnostics[0]!.code, 'yaml-binary');
    assert.equal(binary.diagnostics[0]!.line, 2);
  });

  it('refuses a template bomb: nested ${{ each }} over big lists', () => {
    const list = JSON.stringify(Array.from({ length: 1000 }, (_, i) => `i${i}`));
    const template = `parameters:\n- name: xs\n  type: object\n  default: ${list}\nsteps:\n- \${{ each a in parameters.xs }}:\n  - \${{ each b in parameters.xs }}:\n    - \${{ each c in parameters.xs }}:\n      - script: echo \${{ a }}\${{ b }}\${{ c }}\n`;
    const pipeline = parse('steps:\n- template: t.yml\n', { 't.yml': template });
    assert.equal(withCode(pipeline.diagnostics, 'azure-too-large').length >= 1, true, describeDiagnostics(pipeline.diagnostics));
  });

  it('stops at 100 template files, at 100 levels of templates, and at a chain of deep templates', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 150; i++) files[`t${i}.yml`] = `steps:\n- script: echo ${i}\n`;
    const many = parse(`steps:\n${Array.from({ length: 150 }, (_, i) => `- template: t${i}.yml\n`).join('')}`, files);
    assert.equal(withCode(many.diagnostics, 'azure-template-count').length, 50, describeDiagnostics(many.diagnostics.slice(0, 3)));
    assert.equal(many.jobs[0]!.steps.length, 100);

    for (let i = 0; i < 150; i++) files[`c${i}.yml`] = `steps:\n- script: echo ${i}\n- template: c${i + 1}.yml\n`;
    const chain = parse('steps:\n- template: c0.yml\n', files);
    assert.equal(withCode(chain.diagnostics, 'azure-template-depth').length, 1, describeDiagnostics(chain.diagnostics));

    const deep: Record<string, string> = {};
    const nest = (depth: number, inner: string): string => {
      let text = inner;
      for (let d = 0; d < depth; d++) text = `- \${{ if true }}:\n${text.replace(/^/gm, '  ')}`;
      return text;
    };
    for (let i = 0; i < 60; i++) deep[`d${i}.yml`] = `steps:\n${nest(40, `- template: d${i + 1}.yml`)}\n`;
    const deepChain = parse('steps:\n- template: d0.yml\n', deep);
    assert.equal(withCode(deepChain.diagnostics, 'azure-too-deep').length, 1, describeDiagnostics(deepChain.diagnostics));
  });

  it('reports templates that include each other', () => {
    const pipeline = parse('jobs:\n- template: a.yml\n', { 'a.yml': 'jobs:\n- template: b.yml\n', 'b.yml': 'jobs:\n- template: a.yml\n' });
    const [loop] = withCode(pipeline.diagnostics, 'azure-template-cycle');
    assert.ok(loop, describeDiagnostics(pipeline.diagnostics));
    assert.equal(loop.file, 'b.yml');
    assert.equal(loop.line, 2);
  });
});
