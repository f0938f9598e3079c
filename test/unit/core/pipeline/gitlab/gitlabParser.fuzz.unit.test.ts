import * as assert from 'assert';
import fc from 'fast-check';
import * as jsyaml from 'js-yaml';
import { OpsloopError } from '../../../../../src/core/errors';
import { memoryFileSource, type GitlabContext } from '../../../../../src/core/pipeline/gitlab/gitlabContext';
import { parseGitlabPipeline, type GitlabPipeline } from '../../../../../src/core/pipeline/gitlab/gitlabParser';
import { fixtureFiles, fixtureNames } from './support';

const contexts: GitlabContext[] = [
  { branch: 'main', pipelineSource: 'push', defaultBranch: 'main' },
  { tag: 'v1.0.0', pipelineSource: 'push', defaultBranch: 'main', changedFiles: ['src/a.ts'] },
  { branch: 'feature/x', pipelineSource: 'merge_request_event', mergeRequest: { sourceBranch: 'feature/x', targetBranch: 'main' }, variables: { A: '1' } },
];

let runs = 0;

/** Parses and checks the plan's invariants; only OpsloopError may escape (reliability.md item 11). */
function exercise(files: Record<string, string>, context: GitlabContext): GitlabPipeline | undefined {
  runs++;
  let p: GitlabPipeline;
  try {
    p = parseGitlabPipeline({ file: '.gitlab-ci.yml', source: memoryFileSource(files), context, limits: { maxNodes: 50_000 } });
  } catch (e) {
    if (e instanceof OpsloopError) return undefined;
    throw e;
  }
  for (const d of p.diagnostics) {
    assert.ok(d.line >= 1 && d.column >= 1 && d.message.length > 0, JSON.stringify(d));
    assert.ok(['error', 'warning', 'info'].includes(d.severity));
  }
  const stageOf = new Map(p.stages.flatMap((s) => s.jobs.map((id) => [id, s.name] as const)));
  for (const j of p.jobs) {
    assert.strictEqual(j.id, `.gitlab-ci.yml#${j.name}`);
    assert.strictEqual(stageOf.get(j.id), j.stage, `job ${j.name} listed in its stage`);
    assert.ok(j.source.startLine >= 1);
    assert.ok(j.retry >= 0 && j.retry <= 2);
    for (const v of Object.values(j.variables)) assert.strictEqual(typeof v, 'string');
  }
  return p;
}

const word = fc.constantFrom('build', 'test', 'deploy', '.tpl', '.base', 'lint', 'a', 'b', '__proto__', 'constructor', 'main');
const scalar = fc.oneof(word, fc.constantFrom('$CI_COMMIT_BRANCH', 'echo hi', '1h', 'manual', 'always', 'never', 'on_failure', '30 minutes'), fc.integer({ min: -2, max: 300 }), fc.boolean(), fc.constant(null));
const condition = fc.constantFrom(
  '$CI_COMMIT_BRANCH == "main"',
  '$CI_COMMIT_TAG',
  '$CI_PIPELINE_SOURCE == "merge_request_event"',
  '$A =~ /^1/ && $B',
  '($X || $Y) && $Z != null',
  '$BROKEN ==',
  '$A =~ /(?!x)y/',
);
const jobValue = fc.dictionary(
  fc.constantFrom('script', 'stage', 'extends', 'needs', 'rules', 'when', 'allow_failure', 'parallel', 'variables', 'retry', 'timeout', 'environment', 'image', 'services', 'only', 'except', 'inherit', 'trigger', 'before_script', 'after_script', 'start_in', 'tags', 'neds'),
  fc.oneof(
    scalar,
    fc.array(scalar, { maxLength: 3 }),
    fc.array(fc.record({ if: condition, when: fc.constantFrom('on_success', 'manual', 'never', 'delayed', 'bogus') }, { requiredKeys: [] }), { maxLength: 3 }),
    fc.record({ matrix: fc.array(fc.dictionary(fc.constantFrom('OS', 'V'), fc.oneof(word, fc.array(word, { maxLength: 3 })), { maxKeys: 2 }), { maxLength: 3 }) }),
    fc.record({ exit_codes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 2 }) }),
    fc.array(fc.record({ job: word, optional: fc.boolean(), artifacts: fc.boolean() }), { maxLength: 2 }),
    fc.dictionary(fc.constantFrom('name', 'action', 'url', 'default', 'variables', 'A'), scalar, { maxKeys: 3 }),
  ),
  { maxKeys: 6 },
);
const config = fc.dictionary(
  fc.oneof(word, fc.constantFrom('stages', 'variables', 'default', 'workflow', 'include', 'image')),
  fc.oneof(jobValue, fc.array(word, { maxLength: 4 }), fc.constantFrom<unknown>('ci/a.yml', ['ci/a.yml', 'ci/*.yml'], { local: 'ci/b.yml' }, { remote: 'https://x/y.yml' }, { rules: [{ if: '$A' }] }), scalar),
  { maxKeys: 8 },
);

describe('parseGitlabPipeline fuzz (fast-check)', () => {
  after(() => {
    // figures for the report
    console.log(`      ${runs} GitLab documents parsed by the fuzz properties`);
  });

  it('never throws on generated GitLab configurations (with includes)', () => {
    fc.assert(
      fc.property(config, config, fc.nat(2), (main, included, c) => {
        const files = {
          '.gitlab-ci.yml': jsyaml.dump(main, { noRefs: true }),
          'ci/a.yml': jsyaml.dump(included, { noRefs: true }),
          'ci/b.yml': 'include: .gitlab-ci.yml\nb: {script: x}\n',
        };
        exercise(files, contexts[c]!);
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws on mutated fixture files (bytes inserted, deleted, swapped)', () => {
    const fixtures = fixtureNames().map((n) => fixtureFiles(n));
    const junk = fc.constantFrom('', ':', '- ', '*', '&a ', '!reference [', '<<: *a\n', '\n', '  ', '[', '{', '"', '#', '\t', '\u0000', 'extends: .x\n', '$[[ inputs.x ]]', '\ufffd');
    fc.assert(
      fc.property(fc.nat(fixtures.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(6), junk), { minLength: 1, maxLength: 5 }), fc.nat(2), (i, edits, c) => {
        const files = { ...fixtures[i]! };
        const target = Object.keys(files)[edits[0]![0] % Object.keys(files).length]!;
        let text = files[target]!;
        for (const [pos, del, ins] of edits) {
          const p = text.length === 0 ? 0 : pos % text.length;
          text = text.slice(0, p) + ins + text.slice(p + del);
        }
        files[target] = text;
        exercise(files, contexts[c]!);
      }),
      { numRuns: 2500 },
    );
  });

  it('never throws on half-written files (every prefix of a fixture, as while typing)', () => {
    for (const name of ['05-anchors-aliases', '13-reference-rules', '29-needs-parallel-matrix', '39-rules-when-allow-failure']) {
      const files = fixtureFiles(name);
      const text = files['.gitlab-ci.yml']!;
      for (let n = 0; n <= text.length; n += 3) exercise({ ...files, '.gitlab-ci.yml': text.slice(0, n) }, contexts[0]!);
    }
  });
});
