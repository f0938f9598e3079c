import * as assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { OpsloopError } from '../../../../src/core/errors';
import { loadWorkspacePlan } from '../../../../src/node/pipeline/loadPlan';
import { workspaces } from '../../../support/workspace';
import { describeDiagnostics, withCode } from '../../core/pipeline/github/support';

describe('loadWorkspacePlan', function () {
  this.timeout(30_000);
  const { make, cleanup } = workspaces('opsloop-plan-');
  after(cleanup);

  it('finds and parses every format, with reusable workflows and templates read from the workspace', async () => {
    const root = make({
      '.github': { fixture: ['github', 'reusable', '.github'] },
      'azure-pipelines.yml': { fixture: ['azure', 'stages', 'azure-pipelines.yml'] },
      templates: { fixture: ['azure', 'stages', 'templates'] },
      Jenkinsfile: { fixture: ['jenkins', 'declarative.Jenkinsfile'] },
      '.gitlab-ci.yml': 'build:\n  script: make\n',
      'README.md': '# not a pipeline\n',
    });
    const plan = await loadWorkspacePlan(root);
    assert.ok(plan.files.includes('.github/workflows/ci.yml'));
    assert.ok(plan.files.includes('azure-pipelines.yml') && plan.files.includes('Jenkinsfile') && plan.files.includes('.gitlab-ci.yml'));
    assert.deepEqual(plan.files, [...plan.files].sort(), 'files are sorted');
    const ci = plan.pipelines.find((p) => p.file === '.github/workflows/ci.yml')!;
    assert.ok(ci.jobs.some((j) => j.name === 'build / lint / eslint'), 'nested reusable workflows were read');
    const azure = plan.pipelines.find((p) => p.file === 'azure-pipelines.yml')!;
    assert.ok(azure.jobs.some((j) => j.source.file === 'templates/jobs.yml'), 'templates were read');
    assert.equal(plan.pipelines.find((p) => p.file === 'Jenkinsfile')!.jobs.length, 7);
    const gitlab = plan.pipelines.find((p) => p.file === '.gitlab-ci.yml')!;
    assert.deepEqual([gitlab.format, gitlab.jobs.map((j) => [j.id, j.stage])], ['gitlab', [['.gitlab-ci.yml#build', 'test']]]);
    assert.deepEqual(plan.diagnostics.filter((d) => d.file === 'azure-pipelines.yml'), []);
  });

  it('reads only the files asked for, relative or absolute, and says what it could not read', async () => {
    const root = make({ '.github/workflows/a.yml': 'on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n', 'ci/pipeline.yml': 'stages: [build]\nbuild:\n  stage: build\n  script: make\n', 'custom.groovy': "pipeline { stages { stage('x') { steps { sh 'x' } } } }\n" });
    const plan = await loadWorkspacePlan(root, { files: ['.github/workflows/a.yml', join(root, 'custom.groovy'), 'missing.yml', '../outside.yml'] });
    assert.deepEqual(plan.files, ['.github/workflows/a.yml', 'custom.groovy', 'missing.yml']);
    assert.equal(plan.pipelines.find((p) => p.file === 'custom.groovy')!.format, 'jenkins');
    assert.equal(withCode(plan.diagnostics, 'format-guessed').length, 1);
    assert.equal(withCode(plan.diagnostics, 'file-not-found')[0]!.file, 'missing.yml');
    assert.equal(withCode(plan.diagnostics, 'file-outside-workspace').length, 1, describeDiagnostics(plan.diagnostics));
  });

  it('refuses a file over the size limit without reading it, and a link that leaves the workspace', async () => {
    const outside = make({ 'secret.yml': 'on: push\njobs: {}\n' });
    const root = make({ '.github/workflows/big.yml': `on: push\n# ${'x'.repeat(10_000)}\n`, 'azure-pipelines.yml': 'steps:\n- template: t.yml\n', 't.yml': `steps:\n- script: ${'y'.repeat(10_000)}\n` });
    symlinkSync(join(outside, 'secret.yml'), join(root, '.github', 'workflows', 'link.yml'));
    const plan = await loadWorkspacePlan(root, { maxFileBytes: 4096, files: ['.github/workflows/big.yml', '.github/workflows/link.yml', 'azure-pipelines.yml'] });
    const tooLarge = withCode(plan.diagnostics, 'file-too-large');
    assert.deepEqual(tooLarge.map((d) => d.file), ['.github/workflows/big.yml']);
    assert.equal(withCode(plan.diagnostics, 'file-outside-workspace')[0]!.file, '.github/workflows/link.yml');
    const template = withCode(plan.diagnostics, 'azure-template-unreadable');
    assert.equal(template.length, 1, describeDiagnostics(plan.diagnostics));
    assert.match(template[0]!.message, /more than 4\.0 KiB/);
  });

  it('validates the whole plan: errors of every file in plan.diagnostics, sorted', async () => {
    const root = make({ '.github/workflows/p.yml': { fixture: ['github', 'workflows', 'problems.yml'] }, Jenkinsfile: { fixture: ['jenkins', 'problems.Jenkinsfile'] } });
    const plan = await loadWorkspacePlan(root);
    assert.ok(withCode(plan.diagnostics, 'unknown-need').length >= 1);
    assert.ok(withCode(plan.diagnostics, 'needs-cycle').length >= 2);
    assert.ok(plan.diagnostics.some((d) => d.file === 'Jenkinsfile' && d.code === 'duplicate-name'));
    const keys = plan.diagnostics.map((d) => [d.file, d.line, d.column] as const);
    const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2]));
    assert.deepEqual(keys, sorted);
    for (const p of plan.pipelines) for (const d of p.diagnostics) assert.ok(plan.diagnostics.includes(d));
  });

  it('throws OpsloopError for a cancelled load and a missing folder', async () => {
    const root = make({ Jenkinsfile: 'pipeline {}' });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(loadWorkspacePlan(root, { signal: controller.signal }), (e: unknown) => OpsloopError.is(e, 'cancelled'));
    await assert.rejects(loadWorkspacePlan(join(root, 'nope')), (e: unknown) => OpsloopError.is(e, 'notFound'));
  });

  it('gives an empty plan for a folder without pipelines', async () => {
    const plan = await loadWorkspacePlan(make({ 'index.js': '' }));
    assert.deepEqual(plan, { files: [], pipelines: [], diagnostics: [] });
  });
});
