import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGithubWorkflow } from '../../../../src/core/pipeline/github/githubParser';
import { makePipeline, step } from '../../core/run/planBuilder';
import { cleanTempDirs, run, tempDir } from './support';

describe('shell semantics of each CI format', function () {
  this.timeout(60_000);
  afterEach(cleanTempDirs);

  it('GitHub: each run step in its shell, env at three levels, working-directory, if, continue-on-error', async () => {
    const root = tempDir();
    const p = makePipeline(
      [
        {
          name: 'build',
          needs: [],
          variables: { LEVEL: 'job', JOB_ONLY: 'j' },
          steps: [
            { name: 'checkout', kind: 'uses', uses: 'actions/checkout@v4', phase: 'main' },
            { name: 'setup', kind: 'uses', uses: 'actions/setup-node@v4', phase: 'main' },
            step('mkdir -p sub && echo "wf=$WF level=$LEVEL job=$JOB_ONLY"', { name: 'vars', env: { LEVEL: 'step' } }),
            step('pwd', { name: 'where', workingDirectory: 'sub' }),
            step('echo "FROM_ENV_FILE=carried" >> "$GITHUB_ENV"; echo "/opt/extra-bin" >> "$GITHUB_PATH"; echo "version=1.2.3" >> "$GITHUB_OUTPUT"', { name: 'files' }),
            step('echo "carried=$FROM_ENV_FILE"; case ":$PATH:" in *:/opt/extra-bin:*) echo path-ok;; esac; echo "out=${{ steps.files.outputs.version }}"', { name: 'reads' }),
            step('exit 4', { name: 'tolerated', continueOnError: true }),
            step('echo skipped-by-if', { name: 'never', condition: "github.event_name == 'pull_request'" }),
            step('exit 5', { name: 'breaks' }),
            step('echo not-reached', { name: 'after-break' }),
            step('echo "cleanup ran"', { name: 'cleanup', condition: 'always()' }),
            step('echo "on failure ran"', { name: 'onfail', condition: 'failure()' }),
          ],
        },
      ],
      { format: 'github', variables: { WF: 'workflow', LEVEL: 'workflow' } },
    );
    const ran = await run(p, { root });
    const out = ran.output('build');
    assert.match(out, /actions\/checkout@v4: the workspace is already checked out/);
    assert.match(out, /Skipped locally: actions\/setup-node@v4/);
    assert.match(out, /wf=workflow level=step job=j/);
    assert.ok(out.includes(join(root, 'sub')), 'working-directory was not used');
    assert.match(out, /carried=carried/);
    assert.match(out, /path-ok/);
    assert.match(out, /out=1\.2\.3/);
    assert.match(out, /continue-on-error keeps the job going/);
    assert.ok(!out.includes('skipped-by-if\n'), 'a step whose if: is false ran');
    assert.ok(!out.includes('not-reached'), 'a step after a failure ran');
    assert.match(out, /cleanup ran/);
    assert.match(out, /on failure ran/);
    assert.equal(ran.job('build').status, 'failed');
    assert.equal(ran.job('build').exitCode, 5);
  });

  it('GitHub: shells bash (pipefail), sh, python and a custom template', async () => {
    const p = makePipeline(
      [
        {
          name: 'shells',
          needs: [],
          steps: [
            step('false | true; echo default-continues', { name: 'default' }),
            step('import os; print("py", os.environ["GITHUB_JOB"])', { name: 'py', shell: 'python' }),
            step('console.log("node", process.env.CI)', { name: 'node', shell: 'node {0}' }),
            step('echo sh-ran', { name: 'sh', shell: 'sh' }),
            step('false | true; echo pipefail-not-on', { name: 'bash', shell: 'bash' }),
          ],
        },
      ],
      { format: 'github' },
    );
    const ran = await run(p);
    const out = ran.output('shells');
    assert.match(out, /default-continues/, 'the default bash -e has no pipefail');
    assert.match(out, /py shells/);
    assert.match(out, /node true/);
    assert.match(out, /sh-ran/);
    assert.ok(!out.includes('pipefail-not-on'), 'shell: bash must use pipefail');
  });

  it('GitHub: ${{ }} values reach scripts as environment variables, never as code', async () => {
    const root = tempDir();
    const marker = join(root, 'pwned');
    const p = makePipeline(
      [
        {
          name: 'matrix',
          needs: [],
          matrix: { os: `linux"; touch ${marker}; echo "`, node: '20' },
          steps: [step('echo "os=${{ matrix.os }}"; echo \'node ${{ matrix.node }}\'; echo "sha=${{ github.sha }}"', { name: 'show' })],
        },
      ],
      { format: 'github' },
    );
    const ran = await run(p, { root });
    assert.equal(existsSync(marker), false, 'a matrix value was executed as code');
    assert.ok(ran.output('matrix').includes(`os=linux"; touch ${marker}; echo "`));
    assert.match(ran.output('matrix'), /node 20/);
  });

  it('GitHub: steps.<id>.outputs from a parsed workflow reach later steps, their if: and env: values with ${{ }}', async () => {
    const text = [
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    env:',
      "      TRIGGER: on-${{ github.event_name }}",
      '    steps:',
      '      - id: version',
      '        name: Work out the version',
      '        run: |',
      '          echo "number=1.2.3" >> "$GITHUB_OUTPUT"',
      '          echo "action=$GITHUB_ACTION"',
      '      - id: notes',
      '        name: Release notes',
      '        run: |',
      "          { echo 'text<<EOF'; echo 'line one'; echo 'line two'; echo EOF; } >> \"$GITHUB_OUTPUT\"",
      '      # No id, and a name that is the first step\'s id: steps.version must still be the first step.',
      '      - name: version',
      '        run: echo "number=9.9.9" >> "$GITHUB_OUTPUT"; echo "first-without-id=$GITHUB_ACTION"',
      '      - name: Use them',
      '        env:',
      '          NOTES: ${{ steps.NOTES.outputs.text }}',
      '          SEEN: ${{ env.TRIGGER }}',
      '        run: echo "version=${{ steps.version.outputs.number }} outcome=${{ steps.version.outcome }} notes=$NOTES"; echo "trigger=$TRIGGER seen=$SEEN"',
      "      - if: startsWith(steps.version.outputs.number, '1.')",
      '        run: echo "major one"',
      "      - if: steps.version.outputs.number == '9.9.9'",
      '        run: echo "nine ran"',
      '      - id: missing',
      '        run: echo "unknown=[${{ steps.nothing.outputs.x }}]"',
    ].join('\n');
    const pipeline = parseGithubWorkflow({ file: '.github/workflows/ci.yml', text, readFile: () => undefined });
    assert.deepEqual(pipeline.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.deepEqual(pipeline.jobs[0]!.steps.map((s) => s.id), ['version', 'notes', undefined, undefined, undefined, undefined, 'missing']);
    const ran = await run(pipeline);
    const out = ran.output('build');
    assert.equal(ran.job('build').status, 'passed', out);
    assert.match(out, /action=version\n/);
    assert.match(out, /first-without-id=__run\n/);
    assert.match(out, /version=1\.2\.3 outcome=success notes=line one\nline two\n/);
    assert.match(out, /trigger=on-push seen=on-push\n/);
    assert.match(out, /major one/);
    assert.doesNotMatch(out, /^nine ran$/m, 'steps.version was taken from the step named version, not the step with that id');
    assert.match(out, /Skipped step: Run echo "nine ran"/);
    assert.match(out, /unknown=\[\]/);
  });

  it('GitHub: a job-level if: is evaluated', async () => {
    const p = makePipeline(
      [
        { name: 'push-only', needs: [], condition: "github.event_name == 'push'", script: 'echo pushed' },
        { name: 'pr-only', needs: [], condition: "github.event_name == 'pull_request'", script: 'echo pr' },
      ],
      { format: 'github' },
    );
    const ran = await run(p);
    assert.equal(ran.job('push-only').status, 'passed');
    assert.equal(ran.job('pr-only').status, 'skipped');
    assert.equal(ran.job('pr-only').cause, 'condition');
  });

  it('Azure: script steps fail only on the last command\'s status, and $(var) macros become variables', async () => {
    const p = makePipeline(
      [
        { name: 'lenient', needs: [], steps: [step('false\necho "branch=$(Build.SourceBranch) var=$(my.setting) cmd=$(echo subst)"', { name: 'script' })] },
        { name: 'strict', needs: [], steps: [step('echo x\nfalse', { name: 'script' })] },
      ],
      { format: 'azure', variables: { 'my.setting': 'on' } },
    );
    const ran = await run(p, { git: false });
    assert.equal(ran.job('lenient').status, 'passed');
    assert.match(ran.output('lenient'), /var=on cmd=subst/);
    assert.equal(ran.job('strict').status, 'failed');
  });

  it('Jenkins: sh runs with -xe (echo and stop at the first failure), or the script\'s #! interpreter', async () => {
    const p = makePipeline(
      [
        { name: 'Build', stage: 'Build', needs: [], steps: [step('echo one\nfalse\necho two', { name: 'sh' })] },
        { name: 'Bash', stage: 'Build', needs: [], steps: [step('#!/bin/bash\necho "bash ${BASH_VERSION%%.*} $BUILD_NUMBER"', { name: 'sh' })] },
      ],
      { format: 'jenkins' },
    );
    const ran = await run(p, { runNumber: 7 });
    const out = ran.output('Build');
    assert.match(out, /\+ echo one/, 'sh -x echoes commands');
    assert.ok(!out.includes('two\n'));
    assert.equal(ran.job('Build').status, 'failed');
    assert.match(ran.output('Bash'), /bash \d+ 7/);
  });

  it('GitLab: predefined and pipeline variables reach the script only as environment variables', async () => {
    const root = tempDir();
    const marker = join(root, 'pwned');
    const p = makePipeline([{ name: 'vars 1/2', definition: 'vars', needs: [], variables: { EVIL: `$(touch ${marker})`, GREETING: 'hello $CI_JOB_STAGE' }, script: 'echo "$CI=$CI job=$CI_JOB_NAME node=$CI_NODE_INDEX/$CI_NODE_TOTAL dir=$CI_PROJECT_DIR"; echo "evil=$EVIL"; echo "$GREETING"' }]);
    const ran = await run(p, { root, runNumber: 99 });
    const out = ran.output('vars 1/2');
    assert.ok(out.includes(`true=true job=vars 1/2 node=1/2 dir=${root}`), out);
    assert.ok(out.includes(`evil=$(touch ${marker})`));
    assert.match(out, /hello test/);
    assert.equal(existsSync(marker), false);
  });

  it('does not hand the editor\'s own variables to jobs', async () => {
    const root = tempDir();
    const p = makePipeline([{ name: 'env', needs: [], script: 'env > env.txt' }]);
    await run(p, { root, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', VSCODE_IPC_HOOK: '/tmp/x.sock' } });
    const env = readFileSync(join(root, 'env.txt'), 'utf8');
    assert.ok(!env.includes('ELECTRON_RUN_AS_NODE'));
    assert.ok(!env.includes('VSCODE_IPC_HOOK'));
    assert.match(env, /OPSLOOP_JOB_COOKIE=/);
  });

  it('GitLab: prints each command before running it, like GitLab, and stops at the first failure', async () => {
    const p = makePipeline([
      {
        name: 'lines',
        needs: [],
        steps: [{ name: 'script', kind: 'script', script: 'x', lines: ["echo 'one'", 'for i in 1 2; do\n  echo loop $i\ndone', 'false', 'echo never'], phase: 'main' }],
      },
    ]);
    const ran = await run(p);
    const out = ran.output('lines');
    assert.match(out, /\$ echo 'one'\none\n\$ for i in 1 2; do # collapsed multi-line command\nloop 1\nloop 2\n\$ false\n/);
    assert.ok(!out.includes('never'));
    assert.equal(ran.job('lines').status, 'failed');
  });

  it('GitLab: a delayed job waits start_in before it starts, and a cancel ends the wait', async () => {
    const p = makePipeline([{ name: 'later', needs: [], when: 'delayed', script: 'echo started' }]);
    (p.jobs[0] as { startInSeconds?: number }).startInSeconds = 1;
    const t0 = Date.now();
    const ran = await run(p);
    assert.ok(Date.now() - t0 >= 1000);
    assert.match(ran.output('later'), /starts in 1 s[\s\S]*started/);
    (p.jobs[0] as { startInSeconds?: number }).startInSeconds = 60;
    const t1 = Date.now();
    const canceled = await run(p, { whileRunning: async (h) => { await new Promise((r) => setTimeout(r, 200)); h.cancel(); } });
    assert.equal(canceled.job('later').status, 'canceled');
    assert.ok(Date.now() - t1 < 5000);
  });
});
