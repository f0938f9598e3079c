import * as assert from 'node:assert/strict';
import { parseAzurePipeline } from '../../../../../src/core/pipeline/azure/azureParser';
import { validatePipeline } from '../../../../../src/core/pipeline/validate';
import { describeDiagnostics, fixtureReader, jobNamed, lineOf, readFixture, withCode } from '../github/support';

function parseFolder(folder: string, file = 'azure-pipelines.yml') {
  const read = fixtureReader('azure', folder);
  const text = read(file)!;
  return { text, read, pipeline: parseAzurePipeline({ file, text, readFile: read }) };
}

describe('Azure Pipelines parser', () => {
  describe('stages, jobs, matrix and templates', () => {
    const { text, read, pipeline } = parseFolder('stages');

    it('orders stages by dependsOn and names jobs by their identifiers, matrix legs as "job leg"', () => {
      assert.deepEqual(
        pipeline.stages.map((s) => s.name),
        ['Build', 'Test', 'Deploy', 'Tools'],
      );
      assert.deepEqual(
        pipeline.jobs.map((j) => `${j.stage}.${j.name}`),
        ['Build.Compile linux', 'Build.Compile mac', 'Build.Lint', 'Test.Unit', 'Test.E2E', 'Deploy.Prod', 'Tools.Setup'],
      );
      const linux = jobNamed(pipeline, 'Compile linux');
      assert.deepEqual(linux.matrix, { imageName: 'ubuntu-latest' });
      assert.equal(linux.variables.imageName, 'ubuntu-latest');
      assert.equal(linux.variables.CONFIG, 'release');
      assert.equal(linux.definition, 'Build.Compile');
      assert.equal(linux.id, 'azure-pipelines.yml#Build.Compile linux');
    });

    it('spells stage order and dependsOn out as needs', () => {
      const needs = (name: string) => jobNamed(pipeline, name).needs!.map((n) => n.job);
      assert.deepEqual(needs('Compile linux'), []);
      assert.deepEqual(needs('Unit'), ['Build.Compile', 'Build.Lint']);
      assert.deepEqual(needs('E2E'), ['Test.Unit']);
      assert.deepEqual(needs('Prod'), ['Build.Compile', 'Build.Lint', 'Test.Unit', 'Test.E2E']);
      assert.deepEqual(needs('Setup'), [], 'dependsOn: [] runs the stage at once');
      assert.deepEqual(validatePipeline(pipeline), []);
    });

    it('keeps conditions as text and evaluates status functions: a condition without one replaces succeeded()', () => {
      const unit = jobNamed(pipeline, 'Unit');
      assert.equal(unit.condition, "stage: and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))");
      assert.equal(unit.when, 'on_success');
      assert.equal(jobNamed(pipeline, 'Setup').when, 'always');
    });

    it('expands job and step templates with parameters, keeping each line in its own file', () => {
      const lint = jobNamed(pipeline, 'Lint');
      assert.equal(lint.source.file, 'templates/jobs.yml');
      assert.equal(lint.source.startLine, lineOf(read('templates/jobs.yml')!, '- job:'));
      assert.deepEqual(lint.steps.map((s) => [s.script, s.range!.file, s.range!.startLine]), [
        ['echo pre', 'templates/jobs.yml', lineOf(read('templates/jobs.yml')!, 'echo pre')],
        ['npm run lint', 'azure-pipelines.yml', lineOf(text, 'npm run lint')],
      ]);
      assert.deepEqual(jobNamed(pipeline, 'E2E').steps.map((s) => [s.name, s.range!.file]), [['e2e', 'templates/steps.yml']]);
    });

    it('evaluates ${{ each }} and ${{ if }}/${{ else }} in templates', () => {
      const setup = jobNamed(pipeline, 'Setup');
      assert.deepEqual(
        setup.steps.map((s) => s.name),
        ['Set up go', 'Set up rust', 'Set up java', 'echo no cache', 'Write-Host hello'],
      );
      assert.deepEqual(setup.steps.map((s) => s.script ?? s.uses).slice(0, 3), ['setup-go', 'setup-rust', 'setup-java']);
    });

    it('reads steps, deployment jobs, containers and job settings', () => {
      const compile = jobNamed(pipeline, 'Compile mac');
      assert.deepEqual(compile.steps.map((s) => [s.kind, s.name, s.shell]), [
        ['script', 'Make', undefined],
        ['script', 'echo hi', 'bash'],
        ['uses', 'PublishBuildArtifacts@1', undefined],
      ]);
      const prod = jobNamed(pipeline, 'Prod');
      assert.deepEqual(prod.environment, { name: 'production' });
      assert.deepEqual(prod.steps.map((s) => [s.script, s.phase]), [
        ['./deploy.sh', 'main'],
        ['./rollback.sh', 'after'],
      ]);
      const setup = jobNamed(pipeline, 'Setup');
      assert.equal(setup.allowFailure, true);
      assert.equal(setup.timeoutSeconds, 1200);
      assert.equal(setup.image, 'node:20-bookworm', 'a container alias resolves through resources.containers');
      const pwsh = setup.steps[4]!;
      assert.equal(pwsh.shell, 'pwsh');
      assert.equal(pwsh.workingDirectory, 'scripts');
      assert.deepEqual(pwsh.env, { TOKEN: '$(token)' });
    });

    it('has no diagnostics for a valid pipeline', () => {
      assert.equal(describeDiagnostics(pipeline.diagnostics), '');
    });
  });

  it('reads a pipeline of jobs: jobs run in parallel unless they depend on each other', () => {
    const text = readFixture('azure', 'jobs-only.yml');
    const pipeline = parseAzurePipeline({ file: 'azure-pipelines.yml', text });
    assert.deepEqual(pipeline.stages.map((s) => [s.name, s.jobs.length]), [['default', 3]]);
    assert.deepEqual(pipeline.jobs.map((j) => [j.name, j.needs!.map((n) => n.job), j.when]), [
      ['A', [], 'on_success'],
      ['B', ['A'], 'on_failure'],
      ['C', ['A', 'B'], 'always'],
    ]);
    assert.deepEqual(pipeline.variables, { CONFIG: 'debug' });
    assert.deepEqual(pipeline.diagnostics, []);
  });

  it('reads a pipeline of steps as one job, with a matrix at the top', () => {
    const text = readFixture('azure', 'steps-only.yml');
    const pipeline = parseAzurePipeline({ file: 'azure-pipelines.yml', text });
    assert.deepEqual(pipeline.jobs.map((j) => [j.name, j.matrix]), [
      ['Job node18', { NODE: '18' }],
      ['Job node20', { NODE: '20' }],
    ]);
    assert.deepEqual(pipeline.jobs[0]!.steps.map((s) => s.name), ['npm ci', 'Test']);
  });

  it('applies extends: the template\'s stages, with ${{ each }} over a parameter', () => {
    const { pipeline } = parseFolder('extends');
    assert.deepEqual(pipeline.stages.map((s) => s.name), ['Build', 'Deploy_dev', 'Deploy_prod']);
    assert.deepEqual(pipeline.jobs.map((j) => [j.id, j.environment?.name]), [
      ['azure-pipelines.yml#Build.Build', undefined],
      ['azure-pipelines.yml#Deploy_dev.Deploy', 'dev'],
      ['azure-pipelines.yml#Deploy_prod.Deploy', 'prod'],
    ]);
    assert.equal(pipeline.jobs[2]!.steps[0]!.script, './deploy.sh prod');
    assert.equal(pipeline.jobs[2]!.source.file, 'templates/pipeline.yml');
    assert.deepEqual(pipeline.diagnostics, []);
  });

  describe('problems', () => {
    const { text, pipeline } = parseFolder('problems');
    const all = [...pipeline.diagnostics, ...validatePipeline(pipeline)];
    const one = (code: string, needle: string) => {
      const found = withCode(all, code).filter((d) => d.message.includes(needle));
      assert.equal(found.length, 1, `${code} ${needle}:\n${describeDiagnostics(all)}`);
      return found[0]!;
    };

    it('reports duplicate job names in a stage, jobs without steps and unknown keys', () => {
      assert.equal(one('duplicate-name', "'Compile'").line, lineOf(text, '- job: Compile', '    - script: make'));
      assert.equal(one('empty-job', "'Empty'").line, lineOf(text, '- job: Empty'));
      const typo = one('unknown-key', "'scripts'");
      assert.equal(typo.severity, 'warning');
      assert.match(typo.message, /did you mean 'script'/);
      assert.equal(one('azure-step', "'Unit'").line, lineOf(text, '- scripts: typo'));
    });

    it('reports dependencies on unknown stages, on jobs of other stages, and stage loops', () => {
      assert.equal(one('unknown-need', "'Nowhere'").line, lineOf(text, 'dependsOn: [Build, Nowhere]'));
      assert.match(one('unknown-need', "'Compile' of stage 'Build'").message, /own stage/);
      assert.equal(one('unknown-need', "'Ship' of stage 'Ship'").line, lineOf(text, '- job: Package'));
      const loops = withCode(all, 'needs-cycle');
      assert.equal(loops.length, 1, describeDiagnostics(all));
      assert.match(loops[0]!.message, /Loop1 → Loop2 → Loop1|Loop2 → Loop1 → Loop2/);
      assert.equal(withCode(all, 'need-later-stage').length, 0, describeDiagnostics(all));
    });

    it('reports missing, remote and looping templates at the line that names them', () => {
      assert.equal(one('azure-template-missing', 'templates/missing.yml').line, lineOf(text, 'templates/missing.yml'));
      assert.equal(one('azure-template-remote', 'jobs.yml@shared').severity, 'info');
      const loop = one('azure-template-cycle', 'loop.yml');
      assert.equal(loop.file, 'templates/loop.yml');
    });
  });

  it('reports a YAML error and a document that is not a pipeline', () => {
    const broken = parseAzurePipeline({ file: 'azure-pipelines.yml', text: 'steps:\n- script: a\n  - script: b\n' });
    assert.equal(broken.jobs.length, 0);
    assert.equal(broken.diagnostics[0]!.severity, 'error');
    assert.equal(broken.diagnostics[0]!.line, 3);
    assert.equal(parseAzurePipeline({ file: 'azure-pipelines.yml', text: '42\n' }).diagnostics[0]!.code, 'azure-not-a-pipeline');
    assert.equal(parseAzurePipeline({ file: 'azure-pipelines.yml', text: 'trigger: none\n' }).diagnostics[0]!.code, 'azure-no-jobs');
  });

  it('reports a template parameter that is missing or unknown', () => {
    const files: Record<string, string> = {
      'azure-pipelines.yml': 'steps:\n- template: t.yml\n  parameters:\n    nope: 1\n',
      't.yml': 'parameters:\n- name: needed\n  type: string\nsteps:\n- script: echo ${{ parameters.needed }}\n',
    };
    const pipeline = parseAzurePipeline({ file: 'azure-pipelines.yml', text: files['azure-pipelines.yml']!, readFile: (p) => files[p] });
    const params = withCode(pipeline.diagnostics, 'azure-template-parameter');
    assert.equal(params.length, 2, describeDiagnostics(pipeline.diagnostics));
    assert.ok(params.some((d) => d.message.includes("'nope'") && d.line === 4));
    assert.ok(params.some((d) => d.message.includes("'needed'") && d.line === 2));
  });
});
