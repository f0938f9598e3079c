import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/paths';
import { workspaces } from '../../support/workspace';

const cli = join(repoRoot, 'dist', 'cli.js');

/** Runs the built `opsloop` binary, as a CI job would. */
function opsloop(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('opsloop plan (the built CLI)', function () {
  this.timeout(120_000);
  const { make, cleanup } = workspaces('opsloop-cli-plan-');
  before(() => {
    assert.ok(existsSync(cli), `${cli} is missing: run \`npm run build\` first (npm test does)`);
  });
  after(cleanup);

  it('prints the JSON contract: files, jobs with exactly the documented fields (plus added ones), diagnostics; exit 0', () => {
    const root = make({
      '.github/workflows/settings.yml': { fixture: ['github', 'workflows', 'settings.yml'] },
      'azure-pipelines.yml': { fixture: ['azure', 'jobs-only.yml'] },
      Jenkinsfile: { fixture: ['jenkins', 'nested.Jenkinsfile'] },
    });
    const { code, stdout, stderr } = opsloop(root, 'plan', '--json');
    assert.equal(code, 0, stderr + stdout);
    const plan = JSON.parse(stdout) as { files: string[]; jobs: Record<string, unknown>[]; diagnostics: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(plan), ['files', 'jobs', 'diagnostics']);
    assert.deepEqual(plan.files, ['.github/workflows/settings.yml', 'Jenkinsfile', 'azure-pipelines.yml']);
    const contract = ['id', 'name', 'stage', 'needs', 'when', 'allowFailure', 'environment', 'matrix', 'file', 'line'];
    for (const job of plan.jobs) assert.deepEqual(Object.keys(job).slice(0, contract.length), contract);
    const deploy = plan.jobs.find((j) => j.name === 'deploy')!;
    assert.deepEqual(
      { id: deploy.id, stage: deploy.stage, needs: deploy.needs, when: deploy.when, allowFailure: deploy.allowFailure, environment: deploy.environment, matrix: deploy.matrix, file: deploy.file },
      { id: '.github/workflows/settings.yml#deploy', stage: 'level 2', needs: ['test'], when: 'on_success', allowFailure: false, environment: 'production', matrix: null, file: '.github/workflows/settings.yml' },
    );
    assert.equal(typeof deploy.line, 'number');
    const b = plan.jobs.find((j) => j.id === 'azure-pipelines.yml#B')!;
    assert.deepEqual([b.needs, b.when], [['A'], 'on_failure']);
    assert.equal(plan.jobs.find((j) => j.name === 'Run tests')!.needs!.toString(), 'Start db');
    assert.deepEqual(plan.diagnostics, []);
  });

  it('exits 1 when a diagnostic is an error, and reports it with file, line and column', () => {
    const root = make({ '.github/workflows/p.yml': { fixture: ['github', 'workflows', 'problems.yml'] } });
    const { code, stdout } = opsloop(root, 'plan', '--json');
    assert.equal(code, 1);
    const plan = JSON.parse(stdout) as { diagnostics: { severity: string; message: string; file: string; line: number; column: number; code: string }[] };
    const need = plan.diagnostics.find((d) => d.code === 'unknown-need')!;
    assert.deepEqual(Object.keys(need), ['severity', 'message', 'file', 'line', 'column', 'code']);
    assert.equal(need.severity, 'error');
    assert.equal(need.file, '.github/workflows/p.yml');
    assert.ok(need.line > 1 && need.column >= 1);
  });

  it('prints a readable tree, with steps on request, and the problems after it', () => {
    const root = make({ Jenkinsfile: { fixture: ['jenkins', 'nested.Jenkinsfile'] }, '.github/workflows/broken.yml': { fixture: ['github', 'workflows', 'broken-yaml.yml'] } });
    const tree = opsloop(root, 'plan');
    assert.equal(tree.code, 1);
    assert.match(tree.stdout, /^Jenkinsfile {2}\(Jenkins · 5 jobs\)$/m);
    assert.match(tree.stdout, /^├─ Checks$/m);
    assert.match(tree.stdout, /^│ {2}└─ Run tests {2}\[needs Start db\]$/m);
    assert.match(tree.stdout, /^ {2}\.github\/workflows\/broken\.yml:8:\d+: error: .*\[yaml-syntax\]$/m);
    assert.match(tree.stdout, /^2 pipelines, 5 jobs, 1 error, 0 warnings\.$/m);
    const steps = opsloop(root, 'plan', '--steps', '--file', 'Jenkinsfile');
    assert.equal(steps.code, 0);
    assert.match(steps.stdout, /\$ npm run lint/);
    assert.doesNotMatch(steps.stdout, /broken/);
  });

  it('reads only the files named with --file, and says when there is nothing', () => {
    const root = make({ 'azure-pipelines.yml': { fixture: ['azure', 'steps-only.yml'] }, Jenkinsfile: { fixture: ['jenkins', 'scripted.Jenkinsfile'] } });
    const one = JSON.parse(opsloop(root, 'plan', '--json', '--file', 'Jenkinsfile').stdout) as { files: string[]; jobs: unknown[]; diagnostics: { code: string }[] };
    assert.deepEqual(one.files, ['Jenkinsfile']);
    assert.deepEqual(one.jobs, []);
    assert.deepEqual(one.diagnostics.map((d) => d.code), ['jenkins-scripted']);
    const empty = make({ 'index.js': '' });
    const none = opsloop(empty, 'plan');
    assert.equal(none.code, 0);
    assert.match(none.stdout, /No pipeline file found/);
    assert.equal(opsloop(empty, 'plan', '--json').stdout.trim(), JSON.stringify({ files: [], jobs: [], diagnostics: [] }, null, 2));
  });

  it('exits 2 on bad usage and prints its help', () => {
    const root = make({});
    const bad = opsloop(root, 'plan', '--nope');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Unknown option --nope/);
    assert.equal(opsloop(root, 'plan', 'extra').code, 2);
    const help = opsloop(root, 'plan', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: opsloop plan \[--file F\]\.\.\. \[--json\]/);
    assert.match(opsloop(root, '--help').stdout, /plan +Show the validated plan/);
  });

  it('plans the GitLab pipeline of another branch, tag, source or variables when asked', () => {
    const root = make({
      '.gitlab-ci.yml': [
        'deploy:',
        '  script: [echo deploy]',
        '  rules:',
        '    - if: $CI_COMMIT_BRANCH == "main"',
        'release:',
        '  script: [echo release]',
        '  rules:',
        '    - if: $CI_COMMIT_TAG =~ /^v\\d+/',
        'nightly:',
        '  script: [echo nightly]',
        '  rules:',
        '    - if: $CI_PIPELINE_SOURCE == "schedule" && $FLAVOUR == "full"',
        '',
      ].join('\n'),
    });
    const when = (...args: string[]): Record<string, string> => {
      const out = opsloop(root, 'plan', '--json', ...args);
      assert.equal(out.code, 0, out.stderr);
      return Object.fromEntries((JSON.parse(out.stdout) as { jobs: { name: string; when: string }[] }).jobs.map((j) => [j.name, j.when]));
    };
    assert.deepEqual(when('--branch', 'main'), { deploy: 'on_success', release: 'never', nightly: 'never' });
    assert.deepEqual(when('--branch', 'feature/x'), { deploy: 'never', release: 'never', nightly: 'never' });
    assert.deepEqual(when('--tag', 'v1.2.0'), { deploy: 'never', release: 'on_success', nightly: 'never' });
    assert.deepEqual(when('--branch', 'main', '--source', 'schedule', '--variable', 'FLAVOUR=full'), { deploy: 'on_success', release: 'never', nightly: 'on_success' });
    assert.equal(opsloop(root, 'plan', '--source', 'cron').code, 2);
    assert.match(opsloop(root, 'plan', '--variable', 'no-equals').stderr, /is not KEY=VALUE/);
    assert.equal(opsloop(root, 'plan', '--branch', 'a', '--tag', 'b').code, 2);
  });
});
