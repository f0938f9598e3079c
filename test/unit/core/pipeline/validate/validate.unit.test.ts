import * as assert from 'node:assert/strict';
import type { Job, Need, Pipeline, PipelineFormat } from '../../../../../src/core/pipeline/model';
import { sortDiagnostics, unknownKeyDiagnostic, validatePipeline, validatePlan } from '../../../../../src/core/pipeline/validate';

let line = 0;
function job(name: string, stage: string, needs: (string | Need)[] | null, extra: Partial<Job> = {}): Job {
  line += 10;
  return {
    id: `ci.yml#${name}`,
    name,
    definition: extra.definition ?? name,
    stage,
    needs: needs === null ? null : needs.map((n) => (typeof n === 'string' ? { job: n, optional: false, artifacts: true } : n)),
    matrix: null,
    when: 'on_success',
    allowFailure: false,
    retry: 0,
    variables: {},
    steps: [{ name: 'run', kind: 'script', script: 'true', phase: 'main' }],
    source: { file: 'ci.yml', startLine: line, startColumn: 1, endLine: line + 5, endColumn: 1 },
    ...extra,
  };
}

function pipeline(jobs: Job[], stages: string[], format: PipelineFormat = 'gitlab'): Pipeline {
  return {
    format,
    file: 'ci.yml',
    name: 'ci',
    stages: stages.map((name) => ({ name, jobs: jobs.filter((j) => j.stage === name).map((j) => j.id) })),
    jobs,
    variables: {},
    diagnostics: [],
  };
}

const codes = (p: Pipeline) => validatePipeline(p).map((d) => `${d.code}@${d.line}`);

describe('plan validation', () => {
  it('accepts a valid DAG, needs by definition (matrix parents) and by instance name', () => {
    const jobs = [
      job('build', 'build', null),
      job('test 1/2', 'test', ['build'], { definition: 'test' }),
      job('test 2/2', 'test', ['build'], { definition: 'test' }),
      job('report', 'test', ['test', 'test 2/2']),
      job('deploy', 'deploy', [{ job: 'gone', optional: true, artifacts: false }]),
    ];
    assert.deepEqual(validatePipeline(pipeline(jobs, ['build', 'test', 'deploy'])), []);
  });

  it('reports needs on jobs that do not exist, at the needing job, unless optional', () => {
    const a = job('a', 'build', ['nope']);
    const diagnostics = validatePipeline(pipeline([a], ['build']));
    assert.equal(diagnostics.length, 1);
    assert.deepEqual(
      { code: diagnostics[0]!.code, severity: diagnostics[0]!.severity, file: diagnostics[0]!.file, line: diagnostics[0]!.line, column: diagnostics[0]!.column },
      { code: 'unknown-need', severity: 'error', file: 'ci.yml', line: a.source.startLine, column: 1 },
    );
    assert.match(diagnostics[0]!.message, /'a' needs 'nope'/);
  });

  it('reports needs on a later stage', () => {
    const early = job('early', 'build', ['late']);
    const late = job('late', 'deploy', null);
    assert.deepEqual(codes(pipeline([early, late], ['build', 'deploy'])), [`need-later-stage@${early.source.startLine}`]);
  });

  it('reports each job of a needs cycle with the path of the cycle, and a job that needs itself', () => {
    const a = job('a', 's', ['c']);
    const b = job('b', 's', ['a']);
    const c = job('c', 's', ['b']);
    const d = job('d', 's', ['a']);
    const diagnostics = validatePipeline(pipeline([a, b, c, d], ['s']));
    assert.deepEqual(diagnostics.map((x) => x.line).sort((x, y) => x - y), [a.source.startLine, b.source.startLine, c.source.startLine]);
    assert.equal(diagnostics.find((x) => x.line === a.source.startLine)!.message, 'Needs form a cycle: a → c → b → a.');
    const self = job('self', 's', ['self']);
    assert.equal(validatePipeline(pipeline([self], ['s']))[0]!.message, "Job 'self' needs itself.");
  });

  it('finds cycles in a long chain without overflowing the stack', () => {
    const jobs: Job[] = [];
    for (let i = 0; i < 50_000; i++) jobs.push(job(`j${i}`, 's', i === 0 ? ['j49999'] : [`j${i - 1}`]));
    const diagnostics = validatePipeline(pipeline(jobs, ['s']));
    assert.equal(diagnostics.length, 50_000);
    assert.ok(diagnostics.every((d) => d.code === 'needs-cycle'));
  });

  it('reports duplicate names: an error, except in GitHub where display names may repeat', () => {
    const one = job('same', 's', null);
    const two = job('same', 's', null, { id: 'ci.yml#same #2' });
    assert.deepEqual(codes(pipeline([one, two], ['s'])), [`duplicate-name@${two.source.startLine}`]);
    assert.equal(validatePipeline(pipeline([one, two], ['s']))[0]!.severity, 'error');
    assert.equal(validatePipeline(pipeline([one, two], ['s'], 'github'))[0]!.severity, 'warning');
  });

  it('reports jobs without steps to run, counting after-steps as nothing', () => {
    const empty = job('empty', 's', null, { steps: [] });
    const onlyAfter = job('after', 's', null, { steps: [{ name: 'cleanup', kind: 'script', script: 'rm -rf x', phase: 'after' }] });
    assert.deepEqual(codes(pipeline([empty, onlyAfter], ['s'])), [`empty-job@${empty.source.startLine}`, `empty-job@${onlyAfter.source.startLine}`]);
  });

  it('does not repeat what a parser already reported, and validatePlan collects, dedupes and sorts', () => {
    const empty = job('empty', 's', null, { steps: [] });
    const reported = { ...pipeline([empty], ['s']), diagnostics: [{ severity: 'error' as const, code: 'empty-job', message: 'x', file: 'ci.yml', line: empty.source.startLine + 1, column: 3 }] };
    assert.deepEqual(validatePipeline(reported), []);
    const other: Pipeline = { ...pipeline([job('z', 's', ['missing'])], ['s']), file: 'a.yml' };
    const plan = validatePlan({ files: ['ci.yml', 'a.yml'], pipelines: [reported, other], diagnostics: [{ severity: 'info', code: 'note', message: 'n', file: 'a.yml', line: 1, column: 1 }] });
    assert.deepEqual(plan.diagnostics.map((d) => `${d.file}:${d.code}`), ['a.yml:note', 'ci.yml:empty-job', 'ci.yml:unknown-need']);
    assert.deepEqual(validatePlan(plan).diagnostics, plan.diagnostics, 'validating twice adds nothing');
  });

  it('words unknown keys as warnings with a suggestion', () => {
    const d = unknownKeyDiagnostic('scirpt', 'job build', { file: 'f', startLine: 3, startColumn: 5, endLine: 3, endColumn: 11 }, ['script', 'stage', 'needs']);
    assert.deepEqual(
      { severity: d.severity, code: d.code, line: d.line, column: d.column, message: d.message },
      { severity: 'warning', code: 'unknown-key', line: 3, column: 5, message: "Unknown key 'scirpt' in job build; did you mean 'script'?" },
    );
    assert.equal(unknownKeyDiagnostic('zzzzzz', 'x', { file: 'f', startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 }, ['script']).message, "Unknown key 'zzzzzz' in x.");
  });

  it('sorts by file, line and column', () => {
    const d = (file: string, l: number, c: number) => ({ severity: 'error' as const, code: 'x', message: 'm', file, line: l, column: c });
    assert.deepEqual(sortDiagnostics([d('b', 1, 1), d('a', 9, 1), d('a', 2, 7), d('a', 2, 3)]).map((x) => `${x.file}${x.line}.${x.column}`), ['a2.3', 'a2.7', 'a9.1', 'b1.1']);
  });
});
