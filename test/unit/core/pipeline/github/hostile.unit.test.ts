import * as assert from 'node:assert/strict';
import { parseGithubWorkflow } from '../../../../../src/core/pipeline/github/githubParser';
import type { Pipeline } from '../../../../../src/core/pipeline/model';
import { assertWellFormed, hangGuardMs, yamlBomb } from './fuzzSupport';
import { describeDiagnostics, withCode } from './support';

const file = '.github/workflows/ci.yml';

/** Parses, checks the result is well formed and came back within the hang guard. */
function parse(text: string, files: Record<string, string> = {}): Pipeline {
  const started = performance.now();
  const pipeline = parseGithubWorkflow({ file, text, readFile: (p) => files[p] });
  const ms = performance.now() - started;
  assert.ok(ms < hangGuardMs, `took ${ms.toFixed(0)} ms`);
  assertWellFormed(pipeline, file);
  return pipeline;
}

describe('GitHub parser on hostile input', function () {
  this.timeout(60_000);

  it('refuses a YAML bomb with a diagnostic on the line of the expanding alias', () => {
    const text = yamlBomb('on: push\njobs:\n  build:\n    runs-on: *a9\n    steps: [{run: x}]\n');
    const pipeline = parse(text);
    const [bomb] = withCode(pipeline.diagnostics, 'yaml-too-many-nodes');
    assert.ok(bomb, describeDiagnostics(pipeline.diagnostics));
    assert.ok(bomb.line >= 2 && bomb.line <= 14, `line ${bomb.line}`);
    assert.equal(pipeline.jobs.length, 0);
  });

  it('refuses a 50 MB file before parsing it', () => {
    const text = `on: push\njobs:\n  a:\n    steps:\n      - run: ${'x'.repeat(50 * 1024 * 1024)}\n`;
    const pipeline = parse(text);
    assert.equal(pipeline.diagnostics[0]!.code, 'yaml-too-large');
    assert.equal(pipeline.diagnostics[0]!.line, 1);
  });

  it('reports binary junk', () => {
    const junk = Array.from({ length: 4096 }, (_, i) => String.fromCharCode((i * 7919) % 256)).join('');
    const pipeline = parse(junk);
    assert.equal(pipeline.jobs.length, 0);
    assert.ok(pipeline.diagnostics.some((d) => d.severity === 'error'), describeDiagnostics(pipeline.diagnostics));
  });

  it('reports deep nesting in YAML and in an if: expression', () => {
    const flow = parse(`on: push\njobs: ${'['.repeat(100_000)}`);
    assert.ok(flow.diagnostics.some((d) => d.severity === 'error' && d.line >= 1), describeDiagnostics(flow.diagnostics));
    let block = 'on: push\njobs:\n';
    for (let i = 0; i < 2000; i++) block += `${' '.repeat(2 + i)}k${i}:\n`;
    const nested = parse(block);
    assert.ok(nested.diagnostics.some((d) => d.code === 'yaml-too-deep' && d.line > 2), describeDiagnostics(nested.diagnostics));
    const expression = parse(`on: push\njobs:\n  a:\n    if: ${'('.repeat(50_000)}true${')'.repeat(50_000)}\n    runs-on: x\n    steps: [{run: x}]\n`);
    assert.equal(withCode(expression.diagnostics, 'github-expression')[0]!.line, 4);
  });

  it('refuses a matrix of ten billion combinations without building it', () => {
    const vectors = Array.from({ length: 10 }, (_, i) => `        v${i}: [0,1,2,3,4,5,6,7,8,9]`).join('\n');
    const pipeline = parse(`on: push\njobs:\n  big:\n    runs-on: x\n    strategy:\n      matrix:\n${vectors}\n    steps: [{run: x}]\n`);
    assert.equal(withCode(pipeline.diagnostics, 'matrix-too-large')[0]!.line, 7);
    assert.equal(pipeline.jobs.length, 1);
  });

  it('stops a workflow that calls itself, and a fan-out of reusable workflows, with diagnostics', () => {
    const self = parse('on: [push, workflow_call]\njobs:\n  again:\n    uses: ./.github/workflows/ci.yml\n', { [file]: 'on: [push, workflow_call]\njobs:\n  again:\n    uses: ./.github/workflows/ci.yml\n' });
    assert.equal(withCode(self.diagnostics, 'github-reusable-cycle').length, 1, describeDiagnostics(self.diagnostics));

    const fan = (next: string | undefined) =>
      `on: [push, workflow_call]\njobs:\n${Array.from({ length: 20 }, (_, i) => (next ? `  c${i}:\n    uses: ./.github/workflows/${next}\n` : `  j${i}:\n    runs-on: x\n    steps: [{run: x}]\n`)).join('')}`;
    const files = { '.github/workflows/w1.yml': fan('w2.yml'), '.github/workflows/w2.yml': fan('w3.yml'), '.github/workflows/w3.yml': fan(undefined) };
    const pipeline = parse(fan('w1.yml'), files);
    assert.equal(withCode(pipeline.diagnostics, 'too-many-jobs').length, 1, describeDiagnostics(pipeline.diagnostics.slice(0, 5)));
    assert.equal(pipeline.jobs.length, 5000);
  });
});
