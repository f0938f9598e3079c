import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunState } from '../../../src/core/run/runState';
import { CommandId } from '../../../src/extension/commandIds';
import type { Container } from '../../../src/extension/container';
import type { PlanService } from '../../../src/extension/pipelines/planService';
import type { RunService } from '../../../src/extension/runs/runService';
import type { RunsTree } from '../../../src/extension/views/runsView';
import { activateOpsloop, waitFor, workspaceRoot } from '../support';

/** The extension's own instances (the bundle's), not copies from the compiled tests. */
function existing<T>(container: Container, key: string): T {
  return container.service<T>(key, () => {
    throw new Error(`the extension has not created '${key}' yet`);
  });
}

async function finished(service: RunService, runId: string, timeoutMs = 60_000): Promise<RunState> {
  return waitFor(
    `run ${runId} to finish`,
    () => {
      const state = service.run(runId);
      return state && ['passed', 'failed', 'canceled'].includes(state.status) ? state : undefined;
    },
    timeoutMs,
  );
}

const github = '.github/workflows/ci.yml';

describe('Local runs in VS Code', function () {
  this.timeout(120_000);
  let container: Container;
  let service: RunService;
  const extraWorkflows: string[] = [];

  before(async () => {
    container = (await activateOpsloop()).container;
    await vscode.workspace.getConfiguration('opsloop.run').update('manualJobs', 'skip', vscode.ConfigurationTarget.Workspace);
    await vscode.workspace.getConfiguration('opsloop.run').update('notifications', 'none', vscode.ConfigurationTarget.Workspace);
    await vscode.workspace.getConfiguration('opsloop.run').update('concurrency', 2, vscode.ConfigurationTarget.Workspace);
  });

  after(async () => {
    for (const file of extraWorkflows) rmSync(join(workspaceRoot(), file), { force: true });
  });

  async function addWorkflow(name: string, yaml: string): Promise<string> {
    const file = `.github/workflows/${name}.yml`;
    mkdirSync(join(workspaceRoot(), '.github', 'workflows'), { recursive: true });
    writeFileSync(join(workspaceRoot(), file), yaml);
    extraWorkflows.push(file);
    const plans = existing<PlanService>(container, 'plans');
    await waitFor(`${file} in the plan`, async () => ((await plans.refresh()).pipelines.some((p) => p.file === file && p.jobs.length > 0) ? true : undefined));
    return file;
  }

  it('a run started by command updates the Runs view and the status bar, and writes history', async () => {
    const statusKinds = new Set<string>();
    const runId = (await vscode.commands.executeCommand<string>(CommandId.runPipeline, github))!;
    assert.equal(typeof runId, 'string', 'runPipeline did not return the run id');
    service = existing<RunService>(container, 'runs');
    const poll = setInterval(() => statusKinds.add(container.statusBar.state.kind), 20);
    const tree = existing<{ tree: RunsTree }>(container, 'runsView').tree;
    // While it runs, the tree shows it with its jobs.
    await waitFor('the run in the Runs view', () => tree.snapshot().find((r) => r.runId === runId));
    const state = await finished(service, runId);
    clearInterval(poll);
    assert.equal(state.status, 'passed', JSON.stringify(state.jobs.map((j) => [j.name, j.status, j.reason])));
    assert.deepEqual(state.jobs.map((j) => j.name).sort(), ['build', 'deploy', 'test (ubuntu-latest, 18)', 'test (ubuntu-latest, 20)']);
    assert.ok(statusKinds.has('running'), `the status bar never showed the run as running (saw ${[...statusKinds].join(', ')})`);
    const bar = await waitFor('the status bar to show the finished run', () => (container.statusBar.state.kind === 'finished' ? container.statusBar.state : undefined));
    assert.equal(bar.runId, runId);
    assert.equal(bar.status, 'passed');
    const row = await waitFor('the finished run in the tree', () => tree.snapshot().find((r) => r.runId === runId && r.description.includes('passed')));
    assert.equal(row.jobs.length, 4);
    assert.ok(row.jobs.every((j) => j.icon === 'pass'), JSON.stringify(row.jobs));
    // History on disk: the run's events, its logs, and the index.
    const folder = service.historyFolder;
    assert.ok(existsSync(join(folder, runId, 'events.jsonl')));
    const index = JSON.parse(readFileSync(join(folder, 'index.json'), 'utf8')) as { runs: { runId: string; status: string }[] };
    assert.equal(index.runs.find((r) => r.runId === runId)?.status, 'passed');
    const build = state.jobs.find((j) => j.name === 'build')!;
    assert.ok(build.logFile && build.logFile.startsWith(folder) && readFileSync(build.logFile, 'utf8').includes('built'), 'the build log is not in the history');
    // Each job got a terminal of its own with its output.
    const terminalNames = vscode.window.terminals.map((t) => t.name);
    for (const name of ['build', 'deploy']) assert.ok(terminalNames.includes(`${name} · Opsloop`), `no terminal for ${name}: ${terminalNames.join(', ')}`);
    // The deploy job deployed: a Deployment with the commit that ran.
    const deploy = state.jobs.find((j) => j.name === 'deploy')!;
    assert.equal(deploy.deployment?.environment, 'production');
    assert.equal(deploy.deployment?.revision, state.revision);
  });

  it('Show Job Log opens a finished job\'s full log', async () => {
    const state = service.latestRun(github)!;
    const build = state.jobs.find((j) => j.name === 'build')!;
    await vscode.commands.executeCommand(CommandId.showJobLog, { runId: state.runId, jobId: build.id });
    const editor = await waitFor('the log in an editor', () => vscode.window.activeTextEditor);
    assert.equal(editor.document.uri.fsPath, build.logFile);
    // From a plan job id (the graph and the tree pass these), the latest run's log opens.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const ref = await vscode.commands.executeCommand<{ runId: string } | undefined>(CommandId.showJobLog, build.id);
    assert.equal(ref?.runId, state.runId, 'showJobLog did not find the latest run of the job');
    assert.equal((await waitFor('the log again', () => vscode.window.activeTextEditor)).document.uri.fsPath, build.logFile);
  });

  it('cancels a running run from the command, stopping its processes', async () => {
    const marker = join(workspaceRoot(), 'slow-started.txt');
    const file = await addWorkflow('slow', `on: push\njobs:\n  slow:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo $$ > slow-started.txt; sleep 60\n  after:\n    needs: slow\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo never\n`);
    const runId = (await vscode.commands.executeCommand<string>(CommandId.runPipeline, file))!;
    await waitFor('the slow job to start', () => existsSync(marker) && readFileSync(marker, 'utf8').trim() !== '');
    const pid = Number(readFileSync(marker, 'utf8').trim());
    assert.equal(await vscode.commands.executeCommand(CommandId.cancelRun, runId), true);
    const state = await finished(service, runId, 30_000);
    assert.equal(state.status, 'canceled');
    assert.equal(state.jobs.find((j) => j.name === 'slow')?.status, 'canceled');
    assert.equal(state.jobs.find((j) => j.name === 'after')?.status, 'canceled');
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    assert.equal(alive, false, `the job's shell (pid ${pid}) is still running`);
    rmSync(marker, { force: true });
  });

  it('re-runs only the failed jobs of a run', async () => {
    const flag = join(workspaceRoot(), 'flaky-ok.txt');
    rmSync(flag, { force: true });
    const file = await addWorkflow('flaky', `on: push\njobs:\n  steady:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo steady >> steady-count.txt\n  flaky:\n    runs-on: ubuntu-latest\n    steps:\n      - run: test -e flaky-ok.txt\n  later:\n    needs: flaky\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo later\n`);
    const first = await finished(service, (await vscode.commands.executeCommand<string>(CommandId.runPipeline, file))!);
    assert.equal(first.status, 'failed');
    assert.deepEqual(first.jobs.map((j) => [j.name, j.status]), [['steady', 'passed'], ['flaky', 'failed'], ['later', 'skipped']]);
    writeFileSync(flag, 'now it passes');
    const rerunId = (await vscode.commands.executeCommand<string>(CommandId.rerunFailed, first.runId))!;
    const second = await finished(service, rerunId);
    assert.equal(second.status, 'passed');
    assert.deepEqual(second.jobs.map((j) => j.name), ['flaky', 'later']);
    assert.equal(readFileSync(join(workspaceRoot(), 'steady-count.txt'), 'utf8').trim().split('\n').length, 1, 'the passed job ran again');
    rmSync(flag, { force: true });
    rmSync(join(workspaceRoot(), 'steady-count.txt'), { force: true });
  });

  it('Open Run reveals the run and opens the pipeline graph with its state', async () => {
    const state = service.latestRun(github)!;
    assert.equal(await vscode.commands.executeCommand(CommandId.openRun, state.runId), state.runId);
    await waitFor('the graph tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Pipeline Graph'));
  });

  it('runs a GitLab manual job picked by name with the jobs it needs, without asking', async () => {
    const gitlab = '.gitlab-ci.yml';
    const plans = existing<PlanService>(container, 'plans');
    const pipeline = (await plans.get()).pipelines.find((p) => p.file === gitlab);
    assert.ok(pipeline && pipeline.jobs.length > 0, 'the GitLab pipeline is not in the plan');
    const runId = (await vscode.commands.executeCommand<string>(CommandId.runJob, `${gitlab}#rollback-production`))!;
    const state = await finished(service, runId);
    assert.deepEqual(state.jobs.map((j) => j.name), ['build', 'unit-test', 'deploy-production', 'rollback-production']);
    assert.equal(state.status, 'passed', JSON.stringify(state.jobs.map((j) => [j.name, j.status, j.reason])));
    assert.equal(state.jobs.find((j) => j.name === 'deploy-production')?.deployment?.service, 'checkout');
    assert.equal(state.jobs.find((j) => j.name === 'rollback-production')?.deployment, undefined, 'stopping an environment is not a deployment');
    const log = readFileSync(state.jobs.find((j) => j.name === 'build')!.logFile!, 'utf8');
    assert.match(log, /\$ node scripts\/build\.js/, 'GitLab commands are printed before they run');
  });

  it('offers every job as a task of type opsloop', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'opsloop' });
    const names = tasks.map((t) => t.name);
    assert.ok(names.includes(`${github}: build`), names.join(', '));
    assert.ok(names.includes(`${github}: pipeline`));
    const task = tasks.find((t) => t.name === `${github}: build`)!;
    assert.equal((task.definition as { job?: string }).job, `${github}#build`);
    assert.ok(task.execution instanceof vscode.CustomExecution);
  });

  it('runs a job task in its own terminal, with the jobs it needs', async () => {
    const before = new Set(service.list().map((r) => r.runId));
    const task = (await vscode.tasks.fetchTasks({ type: 'opsloop' })).find((t) => t.name === `${github}: build`)!;
    const ended = new Promise<number | undefined>((resolve) => {
      const d = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name === task.name) {
          d.dispose();
          resolve(e.exitCode);
        }
      });
    });
    await vscode.tasks.executeTask(task);
    const runId = await waitFor('the task\'s run', () => service.list().find((r) => !before.has(r.runId))?.runId);
    const state = await finished(service, runId);
    assert.equal(state.trigger, 'task');
    const logs = state.jobs.map((j) => `${j.name}: ${j.status} ${j.reason ?? ''}\n${j.logFile && existsSync(j.logFile) ? readFileSync(j.logFile, 'utf8').slice(-800) : ''}`).join('\n');
    const runs = service.list().map((r) => `${r.runId} ${r.pipeline.file} ${r.trigger} ${r.selection ?? ''} ${r.status}`).join('\n');
    assert.equal(state.status, 'passed', `${logs}\n${runs}`);
    assert.equal(await Promise.race([ended, new Promise((r) => setTimeout(() => r('no end'), 10_000))]), 0, 'the task did not end with exit code 0');
    // Showing jobs in terminals never starts them again: this is the only run a task started.
    assert.deepEqual(service.list().filter((r) => r.trigger === 'task').map((r) => r.runId), [runId]);
  });
});
