import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { OpsloopError } from '../../core/errors';
import type { Pipeline, Plan } from '../../core/pipeline/model';
import type { RunSelection } from '../../core/run/runGraph';
import { isRunFinished, type RunState } from '../../core/run/runState';
import { CommandId } from '../commandIds';
import { registerCommand } from '../commands/register';
import type { Container } from '../container';
import { getGraphPanel } from '../graph/graphPanel';
import { jobIdsFromArgument, pipelineFileFromArgument, stageFromArguments } from '../pipelines/pipelineNodes';
import { getPlanService } from '../pipelines/planService';
import { revealRunInView } from '../views/runsView';
import { followRunsInTerminals, registerRunTerminals, showJobTerminal } from './runTerminals';
import { getRunService, onRunServiceCreated, type RunService } from './runService';

/** A job of a run, as the Runs view and notifications pass it. */
export interface RunJobRef {
  readonly runId: string;
  readonly jobId: string;
}

function isRunJobRef(value: unknown): value is RunJobRef {
  return typeof value === 'object' && value !== null && typeof (value as RunJobRef).runId === 'string' && typeof (value as RunJobRef).jobId === 'string';
}

function runIdFromArgument(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null && typeof (arg as { runId?: unknown }).runId === 'string') return (arg as { runId: string }).runId;
  return undefined;
}

/** Where a command was started from, for the run's record. */
function triggerOf(arg: unknown): string {
  if (arg === undefined) return 'palette';
  if (typeof arg === 'string') return 'editor';
  return 'tree';
}

async function loadPlan(container: Container): Promise<Plan> {
  return getPlanService(container).get();
}

function runnablePipelines(plan: Plan): Pipeline[] {
  return plan.pipelines.filter((p) => p.jobs.some((j) => j.when !== 'never'));
}

/** Refuses a pipeline whose file has errors: its CI would not create it either. */
function checkRunnable(pipeline: Pipeline): void {
  const errors = pipeline.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new OpsloopError('invalidInput', `${pipeline.file} has ${errors.length} ${errors.length === 1 ? 'error' : 'errors'} (line ${first.line}: ${first.message}); fix ${errors.length === 1 ? 'it' : 'them'} before running.`, 'See the Problems panel');
  }
}

async function pickPipeline(plan: Plan, file: string | undefined): Promise<Pipeline | undefined> {
  const pipelines = runnablePipelines(plan);
  if (file !== undefined) {
    const found = plan.pipelines.find((p) => p.file === file);
    if (!found) throw new OpsloopError('notFound', `${file} is not a pipeline of this workspace.`);
    return found;
  }
  if (pipelines.length === 0) throw new OpsloopError('notFound', 'This workspace has no pipeline with jobs to run.', 'Refresh Pipelines');
  if (pipelines.length === 1) return pipelines[0];
  const picked = await vscode.window.showQuickPick(
    pipelines.map((p) => ({ label: p.file, description: p.name !== p.file ? p.name : undefined, detail: `${p.jobs.length} jobs · ${p.format}`, pipeline: p })),
    { title: 'Run Pipeline', placeHolder: 'Which pipeline?' },
  );
  return picked?.pipeline;
}

async function start(container: Container, pipeline: Pipeline, selection: RunSelection, trigger: string): Promise<string> {
  checkRunnable(pipeline);
  const handle = await getRunService(container).start({ pipeline, selection, trigger });
  return handle.runId;
}

/** The newest run that matches, live runs first. */
function latest(service: RunService, test: (state: RunState) => boolean): RunState | undefined {
  for (const entry of service.list()) {
    const state = 'jobs' in entry && Array.isArray(entry.jobs) ? (entry as RunState) : service.run(entry.runId);
    if (state && test(state)) return state;
  }
  return undefined;
}

export function registerRunCommands(container: Container): void {
  registerRunTerminals(container);
  // The service is created on first use (a command, the Runs view); then terminals and the graph follow it.
  onRunServiceCreated((s) => followRunsInTerminals(container, s));
  onRunServiceCreated((s) => s.onDidChangeRun((state) => getGraphPanel(container).updateRun(state)));
  const service = (): RunService => getRunService(container);

  registerCommand(container, CommandId.runPipeline, async (arg?: unknown) => {
    const plan = await loadPlan(container);
    const pipeline = await pickPipeline(plan, pipelineFileFromArgument(arg));
    if (!pipeline) return undefined;
    service();
    return start(container, pipeline, { kind: 'pipeline' }, triggerOf(arg));
  });

  registerCommand(container, CommandId.runStage, async (...args: unknown[]) => {
    const plan = await loadPlan(container);
    let target = stageFromArguments(...args);
    if (!target) {
      const pipeline = await pickPipeline(plan, pipelineFileFromArgument(args[0]));
      if (!pipeline) return undefined;
      const stages = pipeline.stages.filter((s) => s.jobs.length > 0);
      const picked = stages.length === 1 ? stages[0] : await vscode.window.showQuickPick(stages.map((s) => ({ label: s.name, description: `${s.jobs.length} jobs`, stage: s })), { title: 'Run Stage', placeHolder: `Which stage of ${pipeline.file}?` }).then((p) => p?.stage);
      if (!picked) return undefined;
      target = { file: pipeline.file, stage: picked.name };
    }
    const pipeline = await pickPipeline(plan, target.file);
    if (!pipeline) return undefined;
    service();
    return start(container, pipeline, { kind: 'stage', stage: target.stage }, triggerOf(args[0]));
  });

  registerCommand(container, CommandId.runJob, async (arg?: unknown) => {
    const plan = await loadPlan(container);
    let ids = jobIdsFromArgument(arg);
    // A plain name (not `file#name`): the jobs of that name in any pipeline.
    if (ids.length === 1 && !ids[0]!.includes('#')) {
      const name = ids[0]!;
      ids = plan.pipelines.flatMap((p) => p.jobs.filter((j) => j.name === name || j.definition === name).map((j) => j.id));
      if (ids.length === 0) throw new OpsloopError('notFound', `No job named ${name} in this workspace.`);
    }
    if (ids.length === 0) {
      const items = runnablePipelines(plan).flatMap((p) => p.jobs.filter((j) => j.when !== 'never').map((j) => ({ label: j.name, description: `${p.file} · ${j.stage}`, detail: j.needs && j.needs.length > 0 ? `needs ${j.needs.map((n) => n.job).join(', ')}` : undefined, id: j.id })));
      if (items.length === 0) throw new OpsloopError('notFound', 'This workspace has no job to run.', 'Refresh Pipelines');
      const picked = await vscode.window.showQuickPick(items, { title: 'Run Job', placeHolder: 'Which job? (it runs with the jobs it needs)', matchOnDescription: true });
      if (!picked) return undefined;
      ids = [picked.id];
    }
    const files = [...new Set(ids.map((id) => id.slice(0, id.indexOf('#'))))];
    if (files.length > 1) throw new OpsloopError('invalidInput', `Jobs of several pipelines were named (${files.join(', ')}); run one pipeline's jobs at a time.`);
    const pipeline = await pickPipeline(plan, files[0]);
    if (!pipeline) return undefined;
    service();
    return start(container, pipeline, { kind: 'jobs', jobs: ids }, triggerOf(arg));
  });

  registerCommand(container, CommandId.rerunFailed, async (arg?: unknown) => {
    const s = service();
    const runId = runIdFromArgument(arg);
    const previous = runId ? s.run(runId) : latest(s, (st) => isRunFinished(st) && st.status !== 'passed');
    if (!previous) {
      void vscode.window.showInformationMessage(runId ? `Opsloop: run ${runId} is not in the history anymore.` : 'Opsloop: no failed run to re-run.');
      return undefined;
    }
    if (!isRunFinished(previous)) throw new OpsloopError('invalidInput', `Run ${previous.runId} is still running; wait for it to end or cancel it first.`);
    const plan = await loadPlan(container);
    const pipeline = await pickPipeline(plan, previous.pipeline.file);
    if (!pipeline) return undefined;
    return start(container, pipeline, { kind: 'failed', previous: { runId: previous.runId, jobs: previous.jobs } }, 'rerun');
  });

  registerCommand(container, CommandId.cancelRun, async (arg?: unknown) => {
    const s = service();
    let runId = runIdFromArgument(arg);
    if (!runId) {
      const active = s.activeRuns();
      if (active.length === 0) {
        void vscode.window.showInformationMessage('Opsloop: no run is running.');
        return false;
      }
      runId =
        active.length === 1
          ? active[0]!.runId
          : (await vscode.window.showQuickPick(active.map((r) => ({ label: r.pipeline.file, description: r.selection, detail: r.runId, runId: r.runId })), { title: 'Cancel Run' }))?.runId;
      if (!runId) return false;
    }
    return s.cancel(runId);
  });

  registerCommand(container, CommandId.showJobLog, async (arg?: unknown) => {
    const s = service();
    let ref: RunJobRef | undefined = isRunJobRef(arg) ? arg : undefined;
    if (!ref) {
      const jobId = jobIdsFromArgument(arg)[0];
      if (!jobId) {
        const run = latest(s, () => true);
        if (!run) {
          void vscode.window.showInformationMessage('Opsloop: no run yet. Run a pipeline first.');
          return undefined;
        }
        const picked = await vscode.window.showQuickPick(run.jobs.map((j) => ({ label: j.name, description: j.status, jobId: j.id })), { title: `Show Job Log · run ${run.runId}` });
        if (!picked) return undefined;
        ref = { runId: run.runId, jobId: picked.jobId };
      } else {
        const found = s.jobState(jobId);
        if (!found) {
          void vscode.window.showInformationMessage(`Opsloop: ${jobId.slice(jobId.indexOf('#') + 1)} has not run yet.`);
          return undefined;
        }
        ref = { runId: found.run.runId, jobId };
      }
    }
    const state = s.run(ref.runId);
    const job = state?.jobs.find((j) => j.id === ref.jobId);
    if (!state || !job) throw new OpsloopError('notFound', `Run ${ref.runId} has no job ${ref.jobId}.`);
    if (s.handle(ref.runId) && !isRunFinished(state) && (job.status === 'running' || job.status === 'queued')) {
      showJobTerminal(container, ref.runId, ref.jobId, true);
      return ref;
    }
    if (!job.logFile || !existsSync(job.logFile)) {
      void vscode.window.showInformationMessage(`Opsloop: ${job.name} has no log${job.reason ? `: ${job.reason}` : ''}.`);
      return undefined;
    }
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(job.logFile));
    await vscode.window.showTextDocument(document, { preview: true });
    return ref;
  });

  registerCommand(container, CommandId.openRun, async (arg?: unknown) => {
    const s = service();
    const runId = runIdFromArgument(arg) ?? (container.statusBar.state.kind === 'running' || container.statusBar.state.kind === 'finished' ? container.statusBar.state.runId : undefined);
    const state = runId ? s.run(runId) : latest(s, () => true);
    if (!state) {
      void vscode.window.showInformationMessage('Opsloop: no run yet. Run a pipeline first.');
      return undefined;
    }
    await revealRunInView(container, state.runId);
    const plan = getPlanService(container).current();
    if (plan?.pipelines.some((p) => p.file === state.pipeline.file)) {
      getGraphPanel(container).updateRun(state);
      await vscode.commands.executeCommand(CommandId.showGraph, state.pipeline.file);
    }
    return state.runId;
  });
}
