import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunState } from '../../../src/core/run/runState';
import { CommandId } from '../../../src/extension/commandIds';
import type { PlanService } from '../../../src/extension/pipelines/planService';
import type { RunService } from '../../../src/extension/runs/runService';
import { activateOpsloop, waitFor, workspaceRoot } from '../support';

describe('Run secrets', function () {
  this.timeout(120_000);
  const file = '.github/workflows/secret-check.yml';
  const value = 's3cret-value-1234';

  before(() => {
    mkdirSync(join(workspaceRoot(), '.github', 'workflows'), { recursive: true });
    writeFileSync(
      join(workspaceRoot(), file),
      ['on: push', 'jobs:', '  check:', '    runs-on: ubuntu-latest', '    steps:', '      - run: test "$DEMO_DEPLOY_TOKEN" = "s3cret-value-1234" && echo "token is $DEMO_DEPLOY_TOKEN"', ''].join('\n'),
    );
  });
  after(() => rmSync(join(workspaceRoot(), file), { force: true }));

  async function runCheck(): Promise<RunState> {
    const api = await activateOpsloop();
    const plans = api.container.service<PlanService>('plans', () => {
      throw new Error('no plan service');
    });
    await waitFor(`${file} in the plan`, async () => ((await plans.refresh()).pipelines.some((p) => p.file === file) ? true : undefined));
    const runId = await vscode.commands.executeCommand<string>(CommandId.runJob, `${file}#check`);
    assert.ok(runId, 'Run Job started nothing');
    const runs = api.container.service<RunService>('runs', () => {
      throw new Error('no run service');
    });
    return waitFor('the run to end', () => {
      const state = runs.run(runId);
      return state && ['passed', 'failed', 'canceled'].includes(state.status) ? state : undefined;
    }, 90_000);
  }

  it('gives a stored secret to the jobs as a variable and masks it in their log', async () => {
    assert.equal(await vscode.commands.executeCommand(CommandId.setRunSecret, 'DEMO_DEPLOY_TOKEN', value), 'DEMO_DEPLOY_TOKEN');
    const state = await runCheck();
    assert.equal(state.status, 'passed', 'the job did not see the secret');
    const log = readFileSync(state.jobs[0]!.logFile!, 'utf8');
    assert.match(log, /token is \[MASKED\]/);
    assert.ok(!log.includes(value), 'the secret is in the log');
  });

  it('forgets a removed secret: the next run does not get it', async () => {
    assert.equal(await vscode.commands.executeCommand(CommandId.removeRunSecret, 'DEMO_DEPLOY_TOKEN'), 'DEMO_DEPLOY_TOKEN');
    const state = await runCheck();
    assert.equal(state.status, 'failed');
  });
});
