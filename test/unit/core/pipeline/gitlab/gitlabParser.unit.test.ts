import * as assert from 'assert';
import { listingFileSource, memoryFileSource } from '../../../../../src/core/pipeline/gitlab/gitlabContext';
import { parseGitlabPipeline } from '../../../../../src/core/pipeline/gitlab/gitlabParser';
import { OpsloopError } from '../../../../../src/core/errors';
import { codes, job, mainLines, mainPush, needsOf, parse, resolved, summary } from './support';

describe('parseGitlabPipeline', () => {
  describe('positions', () => {
    const text = [
      'stages: [build, test]', // 1
      '.tpl:', // 2
      '  image: alpine', // 3
      '  script:', // 4
      '    - echo tpl', // 5
      'build:', // 6
      '  extends: .tpl', // 7
      '  stage: build', // 8
      'test:', // 9
      '  stage: test', // 10
      '  before_script: [echo before]', // 11
      '  script:', // 12
      '    - echo test', // 13
      '  after_script:', // 14
      '    - echo after', // 15
      '  needs: [nope]', // 16
      '',
    ].join('\n');
    const p = parse(text);

    it('gives each job the range from its key to the end of its value, and an id of file#name', () => {
      const t = job(p, 'test');
      assert.deepStrictEqual([t.source.file, t.source.startLine, t.source.startColumn, t.source.endLine], ['.gitlab-ci.yml', 9, 1, 16]);
      assert.strictEqual(t.id, '.gitlab-ci.yml#test');
      assert.strictEqual(job(p, 'build').source.startLine, 6);
    });

    it('puts steps where their script is written, through extends too', () => {
      const t = job(p, 'test');
      assert.deepStrictEqual(t.steps.map((s) => [s.name, s.phase, s.range?.startLine]), [
        ['script', 'main', 13],
        ['after_script', 'after', 15],
      ]);
      assert.strictEqual(job(p, 'build').steps[0]!.range?.startLine, 5, 'the script comes from .tpl');
    });

    it('reports a problem in a job inherited from a template at the template line', () => {
      const q = parse('.tpl:\n  retry: 7\njob:\n  extends: .tpl\n  script: x\n');
      const d = q.diagnostics.find((x) => x.code === 'gitlab-invalid-retry')!;
      assert.deepStrictEqual([d.line, d.severity], [2, 'error']);
    });

    it('reports jobs of included files in their own file', () => {
      const q = parse({ '.gitlab-ci.yml': 'include: ci/a.yml\n', 'ci/a.yml': '\n\njob:\n  script: x\n  when: sometimes\n' });
      assert.deepStrictEqual([job(q, 'job').source.file, job(q, 'job').source.startLine], ['ci/a.yml', 3]);
      const d = q.diagnostics.find((x) => x.code === 'gitlab-invalid-when')!;
      assert.deepStrictEqual([d.file, d.line], ['ci/a.yml', 5]);
    });
  });

  describe('limits', () => {
    function chain(levels: number): string {
      let text = '.l1:\n  script: echo\n';
      for (let i = 2; i <= levels; i++) text += `.l${i}:\n  extends: .l${i - 1}\n`;
      return `${text}job:\n  extends: .l${levels}\n`;
    }

    it('allows extends 11 levels deep (the job and ten ancestors), not 12', () => {
      assert.deepStrictEqual(codes(parse(chain(10))), []);
      const deep = parse(chain(11));
      assert.deepStrictEqual(codes(deep), ['gitlab-extends-too-deep']);
      assert.strictEqual(deep.diagnostics[0]!.line, 24, 'at the job that goes too deep');
    });

    it('reports a long extends cycle without recursing forever', () => {
      let text = '';
      for (let i = 0; i < 500; i++) text += `.c${i}:\n  extends: .c${(i + 1) % 500}\n`;
      const q = parse(`${text}job:\n  extends: .c0\n  script: x\n`);
      assert.ok(codes(q).includes('gitlab-extends-too-deep') || codes(q).includes('gitlab-extends-cycle'), codes(q).join());
      assert.strictEqual(job(q, 'job').when, 'on_success');
    });

    it('reads at most 150 includes, then reports and keeps what it read', () => {
      const files: Record<string, string> = { '.gitlab-ci.yml': `include:\n${Array.from({ length: 160 }, (_, i) => `  - local: ci/f${i}.yml\n`).join('')}` };
      for (let i = 0; i < 160; i++) files[`ci/f${i}.yml`] = `job${i}:\n  script: echo ${i}\n`;
      const q = parse(files);
      assert.deepStrictEqual(codes(q), ['gitlab-too-many-includes']);
      assert.strictEqual(q.jobs.length, 150);
      assert.strictEqual(q.diagnostics[0]!.line, 152, 'at the 151st include');
    });

    it('counts a file included twice as two includes (as GitLab does), without reporting a loop', () => {
      const q = parse({ '.gitlab-ci.yml': 'include: [a.yml, b.yml]\n', 'a.yml': 'include: c.yml\na: {script: x}\n', 'b.yml': 'include: c.yml\nb: {script: x}\n', 'c.yml': 'c: {script: x}\n' });
      assert.deepStrictEqual(codes(q), []);
      assert.deepStrictEqual(q.jobs.map((j) => j.name).sort(), ['a', 'b', 'c']);
    });

    it('reports !reference problems: unknown target, self reference, bad shape', () => {
      const q = parse('.a:\n  script: !reference [.a, script]\nx:\n  script: !reference [.missing, script]\ny:\n  script: !reference [.a, script]\nz:\n  script: !reference []\n');
      assert.deepStrictEqual(codes(q, 'error').sort(), ['empty-job', 'empty-job', 'empty-job', 'gitlab-invalid-reference', 'gitlab-reference-cycle', 'gitlab-reference-cycle', 'gitlab-unknown-reference'].sort());
      let nested = '.r0:\n  script: [echo deep]\n';
      for (let i = 1; i <= 9; i++) nested += `.r${i}:\n  script: !reference [.r${i - 1}, script]\n`;
      const ok = parse(`${nested}ok:\n  script: !reference [.r9, script]\n`);
      assert.deepStrictEqual(codes(ok, 'error'), [], '10 nested references are fine');
      assert.deepStrictEqual(mainLines(job(ok, 'ok')), ['echo deep']);
      const deep = parse(`${nested}.r10:\n  script: !reference [.r9, script]\ndeep:\n  script: !reference [.r10, script]\n`);
      assert.ok(codes(deep, 'error').includes('gitlab-reference-too-deep'), 'more than 10 are not');
      assert.strictEqual(q.diagnostics.find((d) => d.code === 'gitlab-unknown-reference')!.line, 4);
    });

    it('turns YAML problems of any file into diagnostics and keeps the other files', () => {
      const q = parse({ '.gitlab-ci.yml': 'include: [bad.yml, good.yml]\nroot: {script: x}\n', 'bad.yml': 'job: [unclosed\n', 'good.yml': 'good: {script: x}\n' });
      assert.deepStrictEqual(q.jobs.map((j) => j.name).sort(), ['good', 'root']);
      const d = q.diagnostics.find((x) => x.code === 'yaml-syntax')!;
      assert.strictEqual(d.file, 'bad.yml');
    });

    it('reports a file source that cannot read a file (too large, outside) on the include', () => {
      const source = listingFileSource(['.gitlab-ci.yml', 'big.yml'], (path) => {
        if (path === 'big.yml') throw new OpsloopError('tooLarge', 'big.yml is 60 MiB, more than the 4 MiB Opsloop reads.');
        return 'include: big.yml\njob: {script: x}\n';
      });
      const q = parseGitlabPipeline({ file: '.gitlab-ci.yml', source, context: mainPush });
      assert.deepStrictEqual(codes(q), ['gitlab-include-unreadable']);
      assert.match(q.diagnostics[0]!.message, /60 MiB/);
      assert.deepStrictEqual(q.jobs.map((j) => j.name), ['job']);
    });

    it('refuses includes outside the repository and without a YAML extension', () => {
      const q = parse({ '.gitlab-ci.yml': 'include:\n  - local: ../outside.yml\n  - local: notes.txt\njob: {script: x}\n', 'notes.txt': 'x: 1' });
      assert.deepStrictEqual(codes(q), ['gitlab-invalid-include', 'gitlab-invalid-include']);
    });
  });

  describe('jobs and keywords', () => {
    it('warns about unknown job keys with a suggestion, at the key', () => {
      const q = parse('job:\n  script: x\n  neds: [a]\n  artefacts: {}\n');
      const d = q.diagnostics.filter((x) => x.code === 'unknown-key');
      assert.deepStrictEqual(d.map((x) => [x.severity, x.line]), [['warning', 3], ['warning', 4]]);
      assert.match(d[0]!.message, /did you mean 'needs'/);
      assert.match(d[1]!.message, /did you mean 'artifacts'/);
    });

    it('reports a job that is not a mapping, and a file without jobs', () => {
      assert.deepStrictEqual(codes(parse('job: echo hello\nok: {script: x}\n')), ['gitlab-invalid-job']);
      assert.deepStrictEqual(codes(parse('.hidden: {script: x}\nvariables: {A: b}\n')), ['gitlab-no-jobs']);
    });

    it('treats keys named like Object properties as plain jobs', () => {
      const q = parse('__proto__:\n  script: echo proto\nconstructor:\n  script: echo ctor\ntoString:\n  extends: constructor\n');
      assert.deepStrictEqual(q.jobs.map((j) => j.name), ['__proto__', 'constructor', 'toString']);
      assert.deepStrictEqual(mainLines(job(q, 'toString')), ['echo ctor']);
      assert.strictEqual(({} as Record<string, unknown>).script, undefined);
    });

    it('validates retry, parallel and matrix sizes', () => {
      assert.deepStrictEqual(codes(parse('j:\n  script: x\n  retry: 3\n')), ['gitlab-invalid-retry']);
      assert.deepStrictEqual(codes(parse('j:\n  script: x\n  parallel: 201\n')), ['gitlab-invalid-parallel']);
      const big = parse('j:\n  script: x\n  parallel:\n    matrix:\n      - A: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]\n        B: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]\n');
      assert.deepStrictEqual(codes(big), ['gitlab-invalid-parallel']);
      assert.strictEqual(big.jobs.length, 200);
    });

    it('reads only as a conjunction of its parts and except as a disjunction (GitLab docs)', () => {
      const text = 'variables: {DEPLOY: "no"}\nj:\n  script: x\n  except:\n    refs: [tags]\n    variables: [$DEPLOY == "no"]\nk:\n  script: x\n  only:\n    refs: [main]\n    variables: [$DEPLOY == "no"]\n';
      assert.deepStrictEqual(summary(parse(text)), { j: 'test never', k: 'test on_success' }, 'except: the variables part alone excludes j');
      assert.deepStrictEqual(summary(parse(text, { branch: 'dev' })), { j: 'test never', k: 'test never' }, 'only: the refs part fails for k');
    });

    it('reports rules used together with only/except and a job-level when: never', () => {
      assert.deepStrictEqual(codes(parse('j:\n  script: x\n  rules: [{when: always}]\n  only: [main]\n')), ['gitlab-rules-with-only']);
      assert.deepStrictEqual(codes(parse('j:\n  script: x\n  when: never\n')), ['gitlab-invalid-when']);
    });

    it('reports an invalid rules:if at its line and treats the rule as not matching', () => {
      const q = parse('j:\n  script: x\n  rules:\n    - if: $A = "b"\n    - when: manual\n');
      assert.deepStrictEqual(codes(q), ['gitlab-invalid-expression']);
      assert.strictEqual(q.diagnostics[0]!.line, 4);
      assert.strictEqual(job(q, 'j').when, 'manual');
    });

    it('reports a non-optional need on a job that rules leave out', () => {
      const q = parse('a:\n  script: x\n  rules: [{if: $CI_COMMIT_TAG}]\nb:\n  script: x\n  needs: [a]\n');
      assert.deepStrictEqual(codes(q), ['gitlab-need-not-created']);
      assert.deepStrictEqual(needsOf(job(q, 'b')), ['a'], 'kept, so the plan shows what was asked');
    });

    it('expands $[[ matrix.X ]] and matrix variables in needs of matrix jobs (one-to-one)', () => {
      const q = parse(
        [
          'build:',
          '  stage: build',
          '  script: x',
          '  parallel: {matrix: [{OS: [linux, mac], ARCH: [amd64, arm64]}]}',
          'test:',
          '  script: x',
          '  parallel: {matrix: [{OS: [linux, mac], ARCH: [amd64, arm64]}]}',
          '  needs:',
          '    - job: build',
          '      parallel:',
          '        matrix:',
          "          - OS: ['$[[ matrix.OS ]]']",
          "            ARCH: ['$[[ matrix.ARCH ]]']",
          'package:',
          '  script: x',
          '  parallel: {matrix: [{OS: [linux]}]}',
          '  needs: ["build: [$OS, amd64]"]',
          '',
        ].join('\n'),
      );
      assert.deepStrictEqual(codes(q), []);
      assert.deepStrictEqual(needsOf(job(q, 'test: [mac, arm64]')), ['build: [mac, arm64]']);
      assert.deepStrictEqual(needsOf(job(q, 'package: [linux]')), ['build: [linux, amd64]']);
    });

    it('reports needs on other pipelines as not part of the plan', () => {
      const q = parse('j:\n  script: x\n  needs:\n    - pipeline: $PARENT_PIPELINE_ID\n      job: gen\n    - project: group/other\n      job: build\n      ref: main\n');
      assert.deepStrictEqual(codes(q), ['gitlab-need-not-resolved', 'gitlab-need-not-resolved']);
      assert.deepStrictEqual(job(q, 'j').needs, []);
    });

    it('accepts a GitLab spec header document before the configuration', () => {
      const q = parse('spec:\n  inputs:\n    env: {default: dev}\n---\njob:\n  script: x\n');
      assert.deepStrictEqual([codes(q), q.jobs.map((j) => j.name)], [[], ['job']]);
      assert.strictEqual(job(q, 'job').source.startLine, 5);
    });

    it('warns about duplicate keys, keeping the last one as GitLab does', () => {
      const q = parse('job:\n  script: one\njob:\n  script: two\n');
      assert.deepStrictEqual(q.diagnostics.map((d) => [d.code, d.severity, d.line]), [['yaml-duplicate-key', 'warning', 3]]);
      assert.deepStrictEqual(mainLines(job(q, 'job')), ['two']);
    });
  });

  describe('variables and context', () => {
    it('orders precedence: predefined < global < job < rules < pipeline variables', () => {
      const text = 'variables: {A: global, B: global, C: global, CI_COMMIT_BRANCH: yaml}\nj:\n  variables: {B: job, C: job}\n  script: x\n  rules:\n    - variables: {C: rule}\n';
      const q = parse(text, { variables: { A: 'pipeline' } });
      const v = job(q, 'j').variables;
      assert.deepStrictEqual([v.A, v.B, v.C, v.CI_COMMIT_BRANCH], ['pipeline', 'job', 'rule', 'yaml']);
    });

    it('lets job rules see pipeline variables and predefined ones', () => {
      const text = 'j:\n  script: x\n  rules:\n    - if: $RUN_E2E == "yes" && $CI_PIPELINE_SOURCE == "web"\n';
      assert.strictEqual(summary(parse(text, { pipelineSource: 'web', variables: { RUN_E2E: 'yes' } })).j, 'test on_success');
      assert.strictEqual(summary(parse(text, { pipelineSource: 'push', variables: { RUN_E2E: 'yes' } })).j, 'test never');
    });

    it('computes predefined variables from the context', () => {
      const q = parse('j:\n  script: x\n  environment: $CI_JOB_NAME-$CI_JOB_STAGE\n', { branch: 'Feature/ABC_1', sha: '0123456789abcdef0123456789abcdef01234567', projectPath: 'group/sub/app', serverHost: 'gitlab.example.com', commitMessage: 'Title\n\nBody' });
      const v = q.predefinedVariables;
      assert.deepStrictEqual(
        [v.CI_COMMIT_REF_NAME, v.CI_COMMIT_REF_SLUG, v.CI_COMMIT_SHORT_SHA, v.CI_PROJECT_NAME, v.CI_PROJECT_NAMESPACE, v.CI_PROJECT_URL, v.CI_COMMIT_TITLE, v.CI_COMMIT_BRANCH, v.CI_PIPELINE_SOURCE],
        ['Feature/ABC_1', 'feature-abc-1', '01234567', 'app', 'group/sub', 'https://gitlab.example.com/group/sub/app', 'Title', 'Feature/ABC_1', 'push'],
      );
      assert.strictEqual(job(q, 'j').environment?.name, 'j-test', 'job-level predefined variables expand too');
      assert.strictEqual(job(q, 'j').variables.CI_COMMIT_BRANCH, undefined, 'the runner sets predefined variables itself');
    });

    it('keeps references to unknown variables for the shell, and does not loop on cycles', () => {
      const q = parse('variables: {A: "$B-x", B: "$A-y", C: "$UNKNOWN/z", D: "cost $$5"}\nj: {script: x}\n');
      const v = resolved(q, job(q, 'j'));
      assert.strictEqual(v.C, '$UNKNOWN/z');
      assert.strictEqual(v.D, 'cost $5');
      assert.ok(typeof v.A === 'string' && typeof v.B === 'string');
    });

    it('uses include:local paths with variables from the pipeline context', () => {
      const q = parse({ '.gitlab-ci.yml': 'include: ci/$CI_COMMIT_REF_NAME.yml\n', 'ci/main.yml': 'from-main: {script: x}\n' });
      assert.deepStrictEqual(q.jobs.map((j) => j.name), ['from-main']);
    });

    it('gives the pipeline its workflow name and global variables', () => {
      const q = parse('workflow:\n  name: "Pipeline for $CI_COMMIT_REF_NAME"\nvariables: {G: g}\nj: {script: x}\n');
      assert.strictEqual(q.name, 'Pipeline for main');
      assert.strictEqual(q.variables.G, 'g');
    });
  });

  it('never throws on a missing root file', () => {
    const q = parseGitlabPipeline({ file: '.gitlab-ci.yml', source: memoryFileSource({}), context: mainPush });
    assert.deepStrictEqual(codes(q), ['gitlab-file-not-found']);
    assert.deepStrictEqual(q.jobs, []);
  });
});
