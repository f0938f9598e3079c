import * as assert from 'assert';
import { codes, fixtureNames, job, mainLines, needsOf, parseFixture, resolved, summary } from './support';

/**
 * Every fixture under test/fixtures/gitlab, parsed for `main` (push) unless its fixture.json
 * says otherwise, with the plan GitLab's documentation says it creates. The same fixtures feed
 * `npm run compare:gitlab` (agreement with gitlab-ci-local).
 */
describe('GitLab fixtures: the documented plan of each', () => {
  it('there are at least 40 fixtures and each has a description', () => {
    const names = fixtureNames();
    assert.ok(names.length >= 40, `${names.length} fixtures`);
    for (const name of names) assert.doesNotThrow(() => parseFixture(name), name);
  });

  const cases: Record<string, (name: string) => void> = {
    '01-basic-stages': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(summary(p), { compile: 'build on_success', unit: 'test on_success', ship: 'deploy on_success' });
      assert.deepStrictEqual(p.stages.map((s) => s.name), ['build', 'test', 'deploy']);
      assert.ok(p.jobs.every((j) => j.needs === null), 'no needs: ordered by stage');
    },
    '02-default-stages': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), { 'build-job': 'build on_success', 'no-stage': 'test on_success', 'deploy-job': 'deploy on_success' });
    },
    '03-pre-post': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(p.stages.map((s) => s.name), ['.pre', 'build', 'test', '.post']);
      assert.strictEqual(job(p, 'setup').stage, '.pre');
      assert.strictEqual(job(p, 'cleanup').stage, '.post');
    },
    '04-hidden-jobs': (n) => {
      assert.deepStrictEqual(Object.keys(summary(parseFixture(n))), ['visible']);
    },
    '05-anchors-aliases': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(summary(p), { rspec: 'test on_success', rubocop: 'test on_success allowed-to-fail' });
      assert.deepStrictEqual(mainLines(job(p, 'rspec')), ['echo one', 'echo two']);
      assert.deepStrictEqual(mainLines(job(p, 'rubocop')), ['bundle exec rake']);
      assert.strictEqual(job(p, 'rspec').image, 'ruby:3.3');
    },
    '06-merge-multiple': (n) => {
      // with << [*a, *b], keys of the first source win; the job's own keys win over both
      assert.deepStrictEqual(summary(parseFixture(n)), { job: 'build manual allowed-to-fail', 'job-own': 'test manual allowed-to-fail' });
    },
    '07-extends-single': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(summary(p), { rspec: 'test on_success', spinach: 'build on_success' });
      assert.deepStrictEqual(mainLines(job(p, 'rspec')), ['rake rspec']);
      assert.deepStrictEqual(mainLines(job(p, 'spinach')), ['rake test']);
    },
    '08-extends-multiple': (n) => {
      const rspec = job(parseFixture(n), 'rspec');
      assert.strictEqual(rspec.stage, 'build', 'the last parent wins');
      assert.strictEqual(rspec.variables.URL, 'http://docker-url.internal');
      assert.strictEqual(rspec.variables.IMPORTANT_VAR, 'the details');
      assert.strictEqual(rspec.image, 'alpine');
      assert.deepStrictEqual(mainLines(rspec), ['rake rspec']);
    },
    '09-extends-chain': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(summary(p), { top: 'test on_success allowed-to-fail', 'child-of-visible': 'deploy on_success allowed-to-fail' });
      assert.deepStrictEqual(mainLines(job(p, 'child-of-visible')), ['echo top']);
    },
    '10-extends-deep-merge': (n) => {
      const j = job(parseFixture(n), 'job');
      assert.deepStrictEqual([j.variables.A, j.variables.B, j.variables.C], ['from-base', 'from-job', 'from-job']);
      assert.deepStrictEqual(mainLines(j), ['echo job'], 'lists are replaced, not merged');
      assert.deepStrictEqual(j.needs, []);
    },
    '11-reference-script': (n) => {
      const j = job(parseFixture(n), 'test');
      assert.deepStrictEqual(mainLines(j), ['echo creating environment', 'echo setup done', 'echo running my own command']);
      assert.deepStrictEqual(j.steps.find((s) => s.phase === 'after')?.lines, ['echo deleting environment']);
    },
    '12-reference-nested': (n) => {
      const j = job(parseFixture(n), 'job');
      assert.deepStrictEqual(mainLines(j), ['echo one', 'echo two', 'echo job']);
      assert.strictEqual(j.variables.URL, 'http://my-url.internal');
      assert.strictEqual(j.variables.IMPORTANT_VAR, 'the details');
    },
    '13-reference-rules': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), { job1: 'test on_success', job2: 'test manual' });
      assert.deepStrictEqual(summary(parseFixture(n, { pipelineSource: 'schedule' })), { job1: 'test never', job2: 'test manual' });
    },
    '14-default-keywords': (n) => {
      const p = parseFixture(n);
      const rspec = job(p, 'rspec');
      const old = job(p, 'rspec-2.7');
      assert.deepStrictEqual([rspec.image, rspec.retry, rspec.timeoutSeconds], ['ruby:3.0', 2, 1800]);
      assert.deepStrictEqual(mainLines(rspec), ['echo default before', 'bundle exec rspec']);
      assert.deepStrictEqual([old.image, old.retry, old.timeoutSeconds], ['ruby:2.7', 0, 1800]);
    },
    '15-inherit-default-false': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual([job(p, 'inherits').image, job(p, 'inherits').retry], ['alpine', 1]);
      assert.deepStrictEqual([job(p, 'no-defaults').image, job(p, 'no-defaults').retry], [undefined, 0]);
    },
    '16-inherit-default-list': (n) => {
      const j = job(parseFixture(n), 'picky');
      assert.deepStrictEqual([j.image, j.retry], ['alpine', 0]);
      assert.deepStrictEqual(mainLines(j), ['echo picky'], 'before_script is not inherited');
    },
    '17-inherit-variables': (n) => {
      const p = parseFixture(n);
      const has = (name: string, v: string): boolean => Object.prototype.hasOwnProperty.call(job(p, name).variables, v);
      assert.deepStrictEqual([has('all-vars', 'DOMAIN'), has('all-vars', 'KEY')], [true, true]);
      assert.deepStrictEqual([has('no-vars', 'DOMAIN'), has('no-vars', 'KEY')], [false, false]);
      assert.deepStrictEqual([has('some-vars', 'DOMAIN'), has('some-vars', 'KEY')], [true, false]);
    },
    '18-include-local': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(summary(p), { build: 'build on_success', test: 'test on_success' });
      assert.deepStrictEqual(needsOf(job(p, 'test')), ['build']);
      assert.deepStrictEqual([job(p, 'build').source.file, job(p, 'build').source.startLine], ['ci/build.yml', 1]);
      assert.deepStrictEqual(p.includedFiles, ['.gitlab-ci.yml', 'ci/build.yml', 'ci/test.yml']);
    },
    '19-include-glob': (n) => {
      assert.deepStrictEqual(Object.keys(summary(parseFixture(n))).sort(), ['job-a', 'job-b', 'job-d']);
    },
    '20-include-nested': (n) => {
      assert.deepStrictEqual(Object.keys(summary(parseFixture(n))).sort(), ['level1-job', 'level2-job', 'root-job']);
    },
    '21-include-override': (n) => {
      const j = job(parseFixture(n), 'deploy');
      assert.deepStrictEqual([j.stage, j.when, j.allowFailure], ['deploy', 'manual', true]);
      assert.deepStrictEqual([j.variables.TARGET, j.variables.REGION], ['production', 'eu'], 'mappings are deep-merged');
      assert.deepStrictEqual(mainLines(j), ['./deploy.sh']);
    },
    '22-include-remote-unresolved': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(Object.keys(summary(p)).sort(), ['job', 'local-job']);
      assert.deepStrictEqual(codes(p), ['gitlab-include-not-resolved', 'gitlab-include-not-resolved', 'gitlab-include-not-resolved']);
      assert.ok(p.diagnostics.every((d) => d.severity === 'warning' && d.file === '.gitlab-ci.yml'));
      assert.deepStrictEqual(p.diagnostics.map((d) => d.line), [2, 3, 5]);
    },
    '23-variables': (n) => {
      const p = parseFixture(n);
      assert.strictEqual(job(p, 'job').variables.SHARED, 'from-job');
      assert.strictEqual(job(p, 'job').variables.LOCAL, '${GREETING} world', 'the plan keeps values as written');
      assert.strictEqual(resolved(p, job(p, 'job')).LOCAL, 'hello global world', 'nested references expand when the job runs');
      assert.strictEqual(job(p, 'other').variables.SHARED, 'from-global');
      assert.deepStrictEqual(p.variables, { GLOBAL: 'global', SHARED: 'from-global', GREETING: 'hello $GLOBAL' });
    },
    '24-variables-expanded-keywords': (n) => {
      const j = job(parseFixture(n), 'review');
      assert.strictEqual(j.image, 'registry.example.com/tools:latest');
      assert.deepStrictEqual(j.environment, { name: 'review/main', url: 'https://main.shop.example.com' });
      const feature = job(parseFixture(n, { branch: 'Feature/Login_UI' }), 'review');
      assert.strictEqual(feature.environment?.name, 'review/feature-login-ui');
    },
    '25-needs-basic': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(needsOf(job(p, 'test-a')), ['build-a']);
      assert.deepStrictEqual(needsOf(job(p, 'deploy')), ['test-a', 'build-b']);
      assert.strictEqual(job(p, 'build-a').needs, null);
    },
    '26-needs-optional': (n) => {
      const p = parseFixture(n);
      assert.strictEqual(job(p, 'build-tags-only').when, 'never');
      assert.deepStrictEqual(job(p, 'test').needs, [], 'the optional need on a job that is not created is dropped');
      const tag = parseFixture(n, { branch: undefined, tag: 'v1' });
      assert.deepStrictEqual(job(tag, 'test').needs, [{ job: 'build-tags-only', optional: true, artifacts: true }]);
    },
    '27-needs-artifacts': (n) => {
      assert.deepStrictEqual(job(parseFixture(n), 'test').needs, [
        { job: 'build', optional: false, artifacts: false },
        { job: 'lint', optional: false, artifacts: true },
      ]);
    },
    '28-needs-empty': (n) => {
      assert.deepStrictEqual(job(parseFixture(n), 'independent').needs, []);
    },
    '29-needs-parallel-matrix': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(
        p.jobs.filter((j) => j.definition === 'linux:build').map((j) => j.name),
        ['linux:build: [aws, monitoring]', 'linux:build: [aws, app1]', 'linux:build: [aws, app2]'],
      );
      assert.deepStrictEqual(needsOf(job(p, 'linux:rspec')), ['linux:build: [aws, app1]']);
    },
    '30-needs-matrix-parent': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(p.jobs.filter((j) => j.definition === 'build').map((j) => j.name), ['build 1/3', 'build 2/3', 'build 3/3']);
      assert.deepStrictEqual(needsOf(job(p, 'test')), ['build'], 'the parent name stands for all instances');
    },
    '31-parallel-n': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(p.jobs.map((j) => j.name), ['rspec 1/4', 'rspec 2/4', 'rspec 3/4', 'rspec 4/4']);
      assert.deepStrictEqual(p.jobs.map((j) => `${j.variables.CI_NODE_INDEX}/${j.variables.CI_NODE_TOTAL}`), ['1/4', '2/4', '3/4', '4/4'], 'GitLab sets these for parallel jobs');
      assert.ok(p.jobs.every((j) => j.definition === 'rspec' && j.matrix === null && j.id === `.gitlab-ci.yml#${j.name}`));
    },
    '32-parallel-matrix': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(p.jobs.map((j) => j.name), [
        'deploystacks: [aws, monitoring]',
        'deploystacks: [aws, app1]',
        'deploystacks: [aws, app2]',
        'deploystacks: [gcp, data]',
        'deploystacks: [gcp, processing]',
        'deploystacks: [vultr, data]',
        'deploystacks: [vultr, processing]',
      ]);
      assert.deepStrictEqual(p.jobs[3]!.matrix, { PROVIDER: 'gcp', STACK: 'data' });
      assert.deepStrictEqual([p.jobs[3]!.variables.PROVIDER, p.jobs[3]!.variables.STACK], ['gcp', 'data']);
    },
    '33-parallel-matrix-numbers': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(p.jobs.map((j) => j.name), ['test: [18]', 'test: [20]', 'test: [22]']);
      assert.deepStrictEqual(p.jobs.map((j) => j.image), ['node:18', 'node:20', 'node:22']);
    },
    '34-rules-if-branch': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), { 'main-only': 'test on_success', 'not-main': 'test never', 'default-branch': 'test on_success' });
      assert.deepStrictEqual(summary(parseFixture(n, { branch: 'dev' })), { 'main-only': 'test never', 'not-main': 'test on_success', 'default-branch': 'test never' });
    },
    '35-rules-if-regex': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), {
        'starts-with-ma': 'test on_success',
        'not-release': 'test on_success',
        'case-insensitive': 'test on_success',
        'via-variable': 'test on_success',
        'no-match': 'test never',
      });
      assert.strictEqual(job(parseFixture(n, { branch: 'feature/x' }), 'no-match').when, 'on_success');
    },
    '36-rules-if-logic': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), {
        'and-or': 'test on_success',
        'undefined-is-null': 'test on_success',
        'empty-is-not-null': 'test never',
        'bare-variable': 'test on_success',
        'bare-empty': 'test never',
      });
      assert.strictEqual(job(parseFixture(n, { branch: 'dev' }), 'and-or').when, 'never');
    },
    '37-rules-changes': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), { docs: 'test on_success', code: 'test on_success' }, 'unknown changes count as changed');
      assert.deepStrictEqual(summary(parseFixture(n, { changedFiles: ['src/app.ts'] })), { docs: 'test never', code: 'test on_success' });
      assert.deepStrictEqual(summary(parseFixture(n, { changedFiles: ['README.md'] })), { docs: 'test on_success', code: 'test never' });
      assert.deepStrictEqual(summary(parseFixture(n, { changedFiles: ['docs/guide/intro.md'] })), { docs: 'test on_success', code: 'test never' });
    },
    '38-rules-exists': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), { 'docker-build': 'test on_success', 'node-test': 'test on_success', 'python-test': 'test never' });
    },
    '39-rules-when-allow-failure': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(summary(p), {
        'manual-from-rules': 'test manual',
        'manual-allowed': 'test manual allowed-to-fail',
        'soft-fail': 'test on_success allowed-to-fail',
        'delayed-rule': 'test delayed',
      });
      assert.strictEqual(job(p, 'delayed-rule').startInSeconds, 600);
    },
    '40-rules-variables': (n) => {
      const j = job(parseFixture(n), 'job');
      assert.strictEqual(j.variables.DEPLOY_VARIABLE, 'deploy-production');
      assert.strictEqual(j.variables.IS_A_FEATURE, undefined);
      const feature = job(parseFixture(n, { branch: 'feature/a' }), 'job');
      assert.deepStrictEqual([feature.variables.DEPLOY_VARIABLE, feature.variables.IS_A_FEATURE], ['default-deploy', 'true']);
    },
    '41-rules-never-fallthrough': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), { 'never-first': 'test never', fallthrough: 'test on_failure' });
    },
    '42-only-except-refs': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), {
        'only-main': 'test on_success',
        'only-tags': 'test never',
        'except-main': 'test never',
        'only-branches': 'test on_success',
        'only-pushes': 'test on_success',
        'only-schedules': 'test never',
      });
      const tag = summary(parseFixture(n, { branch: undefined, tag: 'v1.0' }));
      assert.deepStrictEqual([tag['only-main'], tag['only-tags'], tag['except-main'], tag['only-branches']], ['test never', 'test on_success', 'test on_success', 'test never']);
      assert.strictEqual(summary(parseFixture(n, { pipelineSource: 'schedule' }))['only-schedules'], 'test on_success');
    },
    '43-only-regex': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), { 'only-ma': 'test on_success', 'except-ma': 'test never', 'only-release': 'test never' });
      assert.strictEqual(summary(parseFixture(n, { branch: 'release-2' }))['only-release'], 'test on_success');
    },
    '44-only-variables': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), { deploy: 'test on_success', skipped: 'test never' });
      assert.strictEqual(summary(parseFixture(n, { branch: 'dev' })).deploy, 'test never', 'refs and variables must both match');
    },
    '45-when-values': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(summary(p), {
        build: 'build on_success',
        'on-failure': 'cleanup on_failure',
        always: 'cleanup always',
        manual: 'test manual allowed-to-fail',
        delayed: 'test delayed',
      });
      assert.strictEqual(job(p, 'delayed').startInSeconds, 1800);
    },
    '46-allow-failure': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(summary(p), { soft: 'test on_success allowed-to-fail', hard: 'test on_success', codes: 'test on_success', 'manual-blocking': 'test manual' });
      assert.deepStrictEqual(job(p, 'codes').allowFailureExitCodes, [137, 255]);
    },
    '47-retry-timeout': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual([job(p, 'flaky').retry, job(p, 'flaky').timeoutSeconds], [2, 5400]);
      assert.deepStrictEqual([job(p, 'precise').retry, job(p, 'precise').timeoutSeconds], [1, 10800]);
    },
    '48-environment': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(job(p, 'deploy-review').environment, { name: 'review/main', url: 'https://main.example.com' });
      assert.deepStrictEqual(job(p, 'stop-review').environment, { name: 'review/main', action: 'stop' });
      assert.deepStrictEqual(job(p, 'production').environment, { name: 'production' });
    },
    '49-image-services': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual([job(p, 'test').image, job(p, 'test').services], ['ruby:3.3', ['postgres:16', 'redis:7']]);
      assert.strictEqual(job(p, 'custom').image, 'registry.example.com/tools:1.0');
    },
    '50-workflow-rules': (n) => {
      const p = parseFixture(n);
      assert.strictEqual(p.created, true);
      assert.strictEqual(parseFixture(n, { branch: undefined, tag: 'v1' }).created, false);
    },
    '51-workflow-never': (n) => {
      const p = parseFixture(n);
      assert.strictEqual(p.created, false);
      assert.deepStrictEqual(codes(p), ['gitlab-workflow-no-pipeline']);
      assert.strictEqual(p.diagnostics[0]!.severity, 'info');
      assert.strictEqual(parseFixture(n, { pipelineSource: 'merge_request_event', mergeRequest: { sourceBranch: 'main', targetBranch: 'x' } }).created, true);
    },
    '52-workflow-variables': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual([job(p, 'deploy').when, job(p, 'deploy').variables.DEPLOY_TARGET], ['on_success', 'production']);
      assert.strictEqual(job(parseFixture(n, { branch: 'dev' }), 'deploy').when, 'never');
    },
    '53-trigger': (n) => {
      const child = job(parseFixture(n), 'child');
      assert.deepStrictEqual(child.steps.map((s) => [s.kind, s.uses]), [['uses', 'trigger: child pipeline']]);
      assert.strictEqual(child.stage, 'downstream');
    },
    '54-script-forms': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(mainLines(job(p, 'one-line')), ['echo single']);
      assert.deepStrictEqual(mainLines(job(p, 'block')), ['echo first line\necho second line\n', 'echo folded continues\n']);
      assert.deepStrictEqual(mainLines(job(p, 'nested')), ['echo before', 'echo common-1', 'echo common-2', 'echo after']);
      assert.deepStrictEqual(job(p, 'nested').steps.map((s) => s.phase), ['main', 'after']);
      assert.strictEqual(job(p, 'nested').steps[0]!.script, 'echo before\necho common-1\necho common-2\necho after');
    },
    '55-extends-rules-override': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), { 'from-template': 'test never', overridden: 'test on_success' });
    },
    '56-job-manual-with-rules': (n) => {
      assert.deepStrictEqual(summary(parseFixture(n)), { 'manual-job': 'test manual allowed-to-fail', 'rule-overrides': 'test on_success allowed-to-fail' });
    },
    '57-needs-stage-and-dag-mix': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(p.jobs.map((j) => needsOf(j)), [null, null, ['build'], null]);
    },
    '58-include-with-rules': (n) => {
      assert.deepStrictEqual(Object.keys(summary(parseFixture(n))).sort(), ['always', 'main-job']);
      assert.deepStrictEqual(Object.keys(summary(parseFixture(n, { branch: undefined, tag: 'v2' }))).sort(), ['always', 'tag-job']);
    },
    '59-variables-expand-false': (n) => {
      const p = parseFixture(n);
      const j = job(p, 'job');
      assert.deepStrictEqual([j.variables.RAW, j.variables.COOKED], ['$$BASE-raw', '$BASE-cooked'], '$ of an expand: false value is escaped as $$');
      assert.deepStrictEqual([resolved(p, j).RAW, resolved(p, j).COOKED], ['$BASE-raw', 'base-cooked']);
    },
    '60-tag-pipeline': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(summary(p), { release: 'test on_success', 'branch-only': 'test never', 'tags-only': 'test on_success' });
      assert.strictEqual(p.predefinedVariables.CI_COMMIT_TAG, 'v1.2.0');
      assert.strictEqual(p.predefinedVariables.CI_COMMIT_BRANCH, undefined);
    },
    '61-merge-request-pipeline': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(summary(p), { 'mr-job': 'test on_success', 'branch-job': 'test never', 'mr-only': 'test on_success' });
      assert.strictEqual(p.predefinedVariables.CI_MERGE_REQUEST_TARGET_BRANCH_NAME, 'main');
    },
    '62-errors-extends-cycle': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(codes(p, 'error'), ['gitlab-extends-cycle']);
      assert.strictEqual(p.diagnostics[0]!.line, 6);
      assert.strictEqual(job(p, 'fine').when, 'on_success');
    },
    '63-errors-include-loop': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(codes(p), ['gitlab-include-loop']);
      assert.deepStrictEqual([p.diagnostics[0]!.file, p.diagnostics[0]!.line], ['ci/b.yml', 1]);
      assert.deepStrictEqual(Object.keys(summary(p)).sort(), ['a-job', 'b-job', 'root']);
    },
    '64-errors-stage-include-script': (n) => {
      const p = parseFixture(n);
      assert.deepStrictEqual(codes(p, 'error'), ['gitlab-include-not-found', 'gitlab-unknown-stage', 'empty-job']);
      assert.deepStrictEqual(p.diagnostics.map((d) => d.line), [2, 7, 11]);
    },
  };

  for (const name of fixtureNames()) {
    it(name, () => {
      const check = cases[name];
      assert.ok(check, `fixture ${name} has no expectations here`);
      check(name);
    });
  }
});
