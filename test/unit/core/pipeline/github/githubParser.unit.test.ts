import * as assert from 'node:assert/strict';
import { parseGithubWorkflow } from '../../../../../src/core/pipeline/github/githubParser';
import { validatePipeline } from '../../../../../src/core/pipeline/validate';
import { describeDiagnostics, fixtureReader, jobNamed, lineOf, readFixture, withCode } from './support';

const parseFixture = (name: string) => {
  const text = readFixture('github', 'workflows', name);
  return { text, pipeline: parseGithubWorkflow({ file: `.github/workflows/${name}`, text }) };
};

describe('GitHub Actions parser', () => {
  describe('strategy.matrix', () => {
    const { text, pipeline } = parseFixture('matrix.yml');
    const instancesOf = (definition: string) => pipeline.jobs.filter((j) => j.definition === definition);

    it('adds include entries to matching combinations and appends the rest, as GitHub documents', () => {
      const example = instancesOf('example').map((j) => j.matrix);
      assert.deepEqual(example, [
        { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
        { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
        { fruit: 'pear', animal: 'cat', color: 'pink' },
        { fruit: 'pear', animal: 'dog', color: 'green' },
        { fruit: 'banana' },
        { fruit: 'banana', animal: 'cat' },
      ]);
    });

    it('names instances as GitHub shows them: the job name and the values in parentheses', () => {
      assert.deepEqual(
        instancesOf('example').map((j) => j.name),
        ['example (apple, cat, pink, circle)', 'example (apple, dog, green, circle)', 'example (pear, cat, pink)', 'example (pear, dog, green)', 'example (banana)', 'example (banana, cat)'],
      );
      assert.equal(instancesOf('example')[0]!.id, '.github/workflows/matrix.yml#example (apple, cat, pink, circle)');
    });

    it('removes excluded combinations, partially matched', () => {
      const excluded = instancesOf('excluded');
      assert.equal(excluded.length, 9, excluded.map((j) => j.name).join('\n'));
      assert.ok(!excluded.some((j) => j.matrix!.os === 'windows-latest' && j.matrix!.version === '16'));
      assert.ok(!excluded.some((j) => j.matrix!.os === 'macos-latest' && j.matrix!.version === '12' && j.matrix!.environment === 'production'));
      assert.ok(excluded.some((j) => j.matrix!.os === 'macos-latest' && j.matrix!.version === '12' && j.matrix!.environment === 'staging'));
    });

    it('substitutes matrix values in a name that uses them, without the parenthesised suffix', () => {
      assert.deepEqual(
        instancesOf('named').map((j) => j.name),
        ['Test on ubuntu-latest', 'Test on windows-latest'],
      );
    });

    it('builds a matrix of include entries alone', () => {
      assert.deepEqual(
        instancesOf('only-include').map((j) => j.name),
        ['only-include (production, site-a)', 'only-include (staging, site-b)'],
      );
    });

    it('evaluates continue-on-error from the matrix per instance', () => {
      const experimental = instancesOf('experimental');
      assert.deepEqual(
        experimental.map((j) => [j.matrix!.node, j.allowFailure]),
        [
          ['14', false],
          ['16', false],
          ['17', true],
        ],
      );
    });

    it('keeps a matrix computed at run time as one job, with an info diagnostic on its line', () => {
      const dynamic = instancesOf('dynamic');
      assert.equal(dynamic.length, 1);
      assert.equal(dynamic[0]!.matrix, null);
      const [info] = withCode(pipeline.diagnostics, 'github-matrix-dynamic');
      assert.ok(info, describeDiagnostics(pipeline.diagnostics));
      assert.equal(info.severity, 'info');
      assert.equal(info.line, lineOf(text, 'matrix: ${{ fromJSON'));
    });

    it('needs on a matrix job stand for all its instances', () => {
      const dynamic = instancesOf('dynamic')[0]!;
      assert.deepEqual(dynamic.needs, [{ job: 'example', optional: false, artifacts: true }]);
      assert.deepEqual(validatePipeline(pipeline), []);
      assert.equal(dynamic.stage, 'level 2');
    });
  });

  describe('if: conditions', () => {
    const { text, pipeline } = parseFixture('conditions.yml');
    const when = (name: string) => jobNamed(pipeline, name).when;

    it('evaluates the status functions into when', () => {
      assert.equal(when('build'), 'on_success');
      assert.equal(when('plain'), 'on_success');
      assert.equal(when('always'), 'always');
      assert.equal(when('on-failure'), 'on_failure');
      assert.equal(when('not-cancelled'), 'always');
      assert.equal(when('only-cancelled'), 'never');
      assert.equal(when('success-or-failure'), 'always');
      assert.equal(when('disabled'), 'never');
      assert.equal(when('disabled-expression'), 'never');
      assert.equal(when('always-and-branch'), 'always');
    });

    it('keeps the condition as written', () => {
      assert.equal(jobNamed(pipeline, 'plain').condition, "github.ref == 'refs/heads/main'");
      assert.equal(jobNamed(pipeline, 'always').condition, '${{ always() }}');
      assert.equal(jobNamed(pipeline, 'build').condition, undefined);
      assert.equal(jobNamed(pipeline, 'broken-expression').steps[0]!.condition, '${{ failure() }}');
    });

    it('warns that text around ${{ }} makes a condition always true', () => {
      const [warning] = withCode(pipeline.diagnostics, 'github-if-always-true');
      assert.ok(warning, describeDiagnostics(pipeline.diagnostics));
      assert.equal(warning.line, lineOf(text, "if: ${{ github.ref == 'a' }}"));
    });

    it('reports an expression it cannot read, at its line', () => {
      const [error] = withCode(pipeline.diagnostics, 'github-expression');
      assert.ok(error, describeDiagnostics(pipeline.diagnostics));
      assert.equal(error.severity, 'error');
      assert.equal(error.line, lineOf(text, 'if: success(', 'broken-expression:'));
    });
  });

  describe('settings', () => {
    const { text, pipeline } = parseFixture('settings.yml');
    const test = jobNamed(pipeline, 'Unit tests');
    const deploy = jobNamed(pipeline, 'deploy');

    it('merges env from the workflow and the job, the job winning', () => {
      assert.deepEqual(pipeline.variables, { LEVEL: 'workflow', SHARED: 'from-workflow' });
      assert.deepEqual(test.variables, { LEVEL: 'workflow', SHARED: 'from-job', JOB_ONLY: 'yes' });
      assert.deepEqual(test.steps[1]!.env, { STEP_ONLY: '1' });
    });

    it('applies defaults.run of the workflow and the job to steps, steps overriding', () => {
      const [checkout, install, testStep] = test.steps;
      assert.equal(checkout!.kind, 'uses');
      assert.equal(checkout!.uses, 'actions/checkout@v4');
      assert.equal(checkout!.name, 'Run actions/checkout@v4');
      assert.equal(install!.shell, 'bash');
      assert.equal(install!.workingDirectory, 'app/server');
      assert.equal(testStep!.shell, 'sh');
      assert.equal(testStep!.workingDirectory, 'other');
      assert.equal(testStep!.name, 'Run npm test');
      assert.equal(testStep!.script, 'npm test\nnpm run lint\n');
      assert.equal(testStep!.timeoutSeconds, 300);
      assert.equal(testStep!.continueOnError, true);
    });

    it('reads timeout, continue-on-error, container, services and environment', () => {
      assert.equal(test.timeoutSeconds, 900);
      assert.equal(test.allowFailure, true);
      assert.equal(test.image, 'node:20-bookworm');
      assert.deepEqual(test.services, ['postgres:16', 'redis:7']);
      assert.deepEqual(test.environment, { name: 'staging' });
      assert.deepEqual(deploy.environment, { name: 'production', url: 'https://example.com' });
      assert.equal(deploy.image, 'alpine:3.20');
      assert.equal(deploy.steps[0]!.uses, 'docker://alpine:3.20');
    });

    it('places jobs and steps on their lines, and stages by needs depth', () => {
      assert.equal(test.source.startLine, lineOf(text, '  test:'));
      assert.equal(test.steps[1]!.range!.startLine, lineOf(text, '- name: Install'));
      assert.deepEqual(
        pipeline.stages.map((s) => [s.name, s.jobs.length]),
        [
          ['level 1', 1],
          ['level 2', 1],
        ],
      );
      assert.equal(deploy.stage, 'level 2');
      assert.equal(pipeline.name, 'Settings at every level');
      assert.deepEqual(pipeline.diagnostics, []);
    });
  });

  describe('problems', () => {
    const { text, pipeline } = parseFixture('problems.yml');
    const all = [...pipeline.diagnostics, ...validatePipeline(pipeline)];

    it('warns about unknown keys with a suggestion', () => {
      const unknown = withCode(all, 'unknown-key');
      const need = unknown.find((d) => d.message.includes("'need'"));
      assert.ok(need, describeDiagnostics(all));
      assert.equal(need.severity, 'warning');
      assert.match(need.message, /did you mean 'needs'/);
      assert.equal(need.line, lineOf(text, 'need: setup'));
      assert.ok(unknown.some((d) => d.message.includes("'runs'") && d.line === lineOf(text, 'runs: twice')));
    });

    it('reports unknown needs, needs cycles and jobs without steps', () => {
      const unknownNeed = withCode(all, 'unknown-need');
      assert.equal(unknownNeed.length, 1, describeDiagnostics(all));
      assert.match(unknownNeed[0]!.message, /missing-job/);
      assert.equal(unknownNeed[0]!.line, lineOf(text, '  test:'));
      const cycle = withCode(all, 'needs-cycle');
      assert.deepEqual(cycle.map((d) => d.line).sort((a, b) => a - b), [lineOf(text, '  a:'), lineOf(text, '  b:')]);
      assert.match(cycle[0]!.message, /a → b → a|b → a → b/);
      const empty = withCode(all, 'empty-job');
      assert.equal(empty.length, 1, describeDiagnostics(all));
      assert.equal(empty[0]!.line, lineOf(text, '  nothing:'));
    });

    it('reports steps with both or neither of run and uses', () => {
      const steps = withCode(all, 'github-step');
      assert.deepEqual(steps.map((d) => d.line), [lineOf(text, '- run: echo x'), lineOf(text, '- name: neither')]);
    });
  });

  it('reports a YAML syntax error with its line and keeps no jobs', () => {
    const { text, pipeline } = parseFixture('broken-yaml.yml');
    assert.equal(pipeline.jobs.length, 0);
    const [error] = pipeline.diagnostics;
    assert.ok(error);
    assert.equal(error.severity, 'error');
    assert.equal(error.code, 'yaml-syntax');
    assert.equal(error.line, lineOf(text, 'wrong indentation'), describeDiagnostics(pipeline.diagnostics));
  });

  describe('reusable workflows', () => {
    const read = fixtureReader('github', 'reusable');
    const parse = (name: string) => {
      const file = `.github/workflows/${name}`;
      const text = read(file)!;
      return { text, pipeline: parseGithubWorkflow({ file, text, readFile: read }) };
    };

    it('expands a local reusable workflow, nested too, with GitHub\'s "caller / job" names', () => {
      const { pipeline } = parse('ci.yml');
      assert.deepEqual(
        pipeline.jobs.map((j) => j.name),
        ['setup', 'build / Compile', 'build / test (1)', 'build / test (2)', 'build / lint / eslint', 'remote', 'publish', 'missing'],
      );
      const compile = jobNamed(pipeline, 'build / Compile');
      assert.equal(compile.source.file, '.github/workflows/build.yml');
      assert.equal(compile.definition, 'build/compile');
      assert.deepEqual(compile.variables, {}, 'a called workflow does not see the caller env');
    });

    it('wires needs through the call: inner roots need the caller\'s needs, needs on the caller wait for every inner job', () => {
      const { pipeline } = parse('ci.yml');
      assert.deepEqual(jobNamed(pipeline, 'build / Compile').needs!.map((n) => n.job), ['setup']);
      assert.deepEqual(jobNamed(pipeline, 'build / test (1)').needs!.map((n) => n.job), ['build/compile']);
      assert.deepEqual(jobNamed(pipeline, 'build / lint / eslint').needs!.map((n) => n.job), ['setup']);
      assert.deepEqual(jobNamed(pipeline, 'publish').needs!.map((n) => n.job), ['build/compile', 'build/test', 'build/lint/eslint']);
      assert.deepEqual(
        validatePipeline(pipeline).filter((d) => d.severity === 'error'),
        [],
      );
      assert.equal(jobNamed(pipeline, 'publish').stage, 'level 4');
    });

    it('shows a remote reusable workflow as one job and reports a missing local one', () => {
      const { text, pipeline } = parse('ci.yml');
      const remote = jobNamed(pipeline, 'remote');
      assert.deepEqual(remote.steps.map((s) => [s.kind, s.uses]), [['uses', 'octo-org/shared/.github/workflows/scan.yml@v1']]);
      assert.equal(withCode(pipeline.diagnostics, 'github-reusable-remote')[0]!.severity, 'info');
      const [missing] = withCode(pipeline.diagnostics, 'github-reusable-missing');
      assert.ok(missing, describeDiagnostics(pipeline.diagnostics));
      assert.equal(missing.line, lineOf(text, 'does-not-exist.yml'));
    });

    it('reports a loop of reusable workflows instead of following it', () => {
      const { text, pipeline } = parse('loop-a.yml');
      const [loop] = withCode(pipeline.diagnostics, 'github-reusable-cycle');
      assert.ok(loop, describeDiagnostics(pipeline.diagnostics));
      assert.match(loop.message, /loop-a\.yml → .*loop-b\.yml → .*loop-a\.yml/);
      assert.equal(loop.file, '.github/workflows/loop-b.yml');
      assert.equal(loop.line, lineOf(read('.github/workflows/loop-b.yml')!, 'uses:'));
      assert.ok(text.length > 0);
    });

    it('stops at four levels of workflows', () => {
      const { pipeline } = parse('depth-1.yml');
      assert.deepEqual(
        pipeline.jobs.filter((j) => j.steps[0]?.kind === 'script').map((j) => j.name),
        ['here', 'deeper / here', 'deeper / deeper / here', 'deeper / deeper / deeper / here'],
      );
      const [depth] = withCode(pipeline.diagnostics, 'github-reusable-depth');
      assert.ok(depth, describeDiagnostics(pipeline.diagnostics));
      assert.equal(depth.file, '.github/workflows/depth-4.yml');
    });

    it('reports a called workflow that has no workflow_call trigger', () => {
      const { pipeline } = parse('calls-not-callable.yml');
      assert.equal(withCode(pipeline.diagnostics, 'github-not-reusable').length, 1, describeDiagnostics(pipeline.diagnostics));
    });

    it('without a file reader, says the reusable workflow was not read', () => {
      const text = read('.github/workflows/ci.yml')!;
      const pipeline = parseGithubWorkflow({ file: '.github/workflows/ci.yml', text });
      assert.equal(withCode(pipeline.diagnostics, 'github-reusable-not-read').length, 2);
      assert.ok(pipeline.jobs.some((j) => j.name === 'build'));
    });
  });

  it('reports a document that is not a workflow, and a workflow without jobs', () => {
    const list = parseGithubWorkflow({ file: '.github/workflows/x.yml', text: '- a\n- b\n' });
    assert.equal(list.diagnostics[0]!.code, 'github-not-a-workflow');
    const noJobs = parseGithubWorkflow({ file: '.github/workflows/x.yml', text: 'on: push\n' });
    assert.equal(noJobs.diagnostics[0]!.code, 'github-no-jobs');
    const empty = parseGithubWorkflow({ file: '.github/workflows/x.yml', text: '' });
    assert.equal(empty.jobs.length, 0);
  });

  it('keeps each step\'s id, and reports ids GitHub refuses (bad characters, reserved __, used twice in a job)', () => {
    const text = [
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: x',
      '    steps:',
      '      - { id: build, run: make }',
      '      - { run: make test }',
      '      - { id: 2nd, run: x }',
      '      - { id: __mine, run: x }',
      '      - { id: BUILD, run: x }',
      '  b:',
      '    runs-on: x',
      '    steps:',
      '      - { id: build, run: make }',
    ].join('\n');
    const pipeline = parseGithubWorkflow({ file: '.github/workflows/x.yml', text });
    assert.deepEqual(jobNamed(pipeline, 'a').steps.map((s) => s.id), ['build', undefined, undefined, undefined, undefined]);
    assert.deepEqual(jobNamed(pipeline, 'b').steps.map((s) => s.id), ['build']);
    const problems = withCode(pipeline.diagnostics, 'github-step-id');
    assert.deepEqual(problems.map((d) => d.line), [8, 9, 10], describeDiagnostics(pipeline.diagnostics));
    assert.match(problems[0]!.message, /'2nd' must start with a letter or _/);
    assert.match(problems[1]!.message, /'__mine' starts with __/);
    assert.match(problems[2]!.message, /'BUILD' is used by another step of job 'a'/);
  });

  it('reads each step\'s if: too, and reports a problem once even in a matrix job', () => {
    const text = [
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: x',
      '    strategy: { matrix: { os: [linux, mac, windows] } }',
      '    steps:',
      "      - { if: \"steps.x.outputs.y == 'z' &&\", run: x }",
      "      - { if: \"${{ matrix.os == 'linux' }} && ${{ false }}\", run: x }",
      "      - { if: \"foo.bar\", id: 1x, run: x }",
      "      - { if: \"steps.x.outputs.y == 'z'\", run: x }",
    ].join('\n');
    const pipeline = parseGithubWorkflow({ file: '.github/workflows/x.yml', text });
    assert.equal(pipeline.jobs.length, 3);
    const errors = withCode(pipeline.diagnostics, 'github-expression');
    assert.deepEqual(errors.map((d) => d.line), [7, 9], describeDiagnostics(pipeline.diagnostics));
    assert.match(errors[0]!.message, /ends too early/);
    assert.match(errors[1]!.message, /Unknown context 'foo'/);
    assert.deepEqual(withCode(pipeline.diagnostics, 'github-if-always-true').map((d) => d.line), [8]);
    assert.deepEqual(withCode(pipeline.diagnostics, 'github-step-id').map((d) => d.line), [9]);
  });
});
