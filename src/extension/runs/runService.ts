import { join } from 'node:path';
import * as vscode from 'vscode';
import { OpsloopError } from '../../core/errors';
import type { Job, Pipeline } from '../../core/pipeline/model';
import type { RunSelection } from '../../core/run/runGraph';
import type { RunEvent } from '../../core/run/runEvents';
import { isRunFinished, reduceRun, runProgress, type JobRunState, type RunState } from '../../core/run/runState';
import { RunHistory, type RunSummary } from '../../node/history/runHistory';
import { getRunSecrets } from './runSecrets';
import { newRunId, type RunHandle, startRun } from '../../node/runner/localRunner';
import { CommandId } from '../commandIds';
import type { Container } from '../container';
import { formatDuration } from '../statusBar';
import { readRunSettings } from './runSettings';

export interface StartRequest {
  readonly pipeline: Pipeline;
  readonly selection: RunSelection;
  /** Who asked, in a word: palette, tree, codelens, graph, task, rerun, statusbar. */
  readonly trigger: string;
}

interface LiveRun {
  readonly handle: RunHandle;
  readonly pipeline: Pipeline;
  state: RunState;
}

/** How often, at most, views hear about a run's changes (job output does not count). */
const changeDelayMs = 100;

/**
 * Local runs in VS Code: starts them with the person's settings, keeps their live state and
 * history, and tells everyone who shows runs. Created on first use (never at activation).
 *
 * For other parts of the extension:
 * - `onDidChangeRun(state)`: a run's state changed (jobs started, finished...), at most every
 *   100 ms per run; the Pipelines tree, the graph and the status bar follow it.
 * - `onDidRunEvent(event)`: every RunEvent as it happens, output included (terminals use it).
 * - `jobState(jobId)`: the job's state in the latest run that has it (live first), for a tree icon.
 * - `latestRun(file)`: the latest run of a pipeline file, live or from the history.
 */
export class RunService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunState>();
  readonly onDidChangeRun: vscode.Event<RunState> = this.changed.event;
  private readonly eventEmitter = new vscode.EventEmitter<RunEvent>();
  readonly onDidRunEvent: vscode.Event<RunEvent> = this.eventEmitter.event;
  private readonly live = new Map<string, LiveRun>();
  /** States of runs seen in this session, newest last (finished ones stay for the tree and icons). */
  private readonly recent = new Map<string, RunState>();
  private readonly pendingChange = new Map<string, ReturnType<typeof setTimeout>>();
  private historyInstance: RunHistory | undefined;
  private readonly disposables: vscode.Disposable[] = [this.changed, this.eventEmitter];
  private lastStatusRun: string | undefined;
  private loadedLatest = new Set<string>();

  constructor(private readonly container: Container) {}

  /** Where runs are kept: the workspace's storage folder, else the extension's global storage. */
  get historyFolder(): string {
    const base = this.container.context.storageUri ?? this.container.context.globalStorageUri;
    return join(base.fsPath, 'runs');
  }

  get history(): RunHistory {
    this.historyInstance ??= new RunHistory(this.historyFolder);
    return this.historyInstance;
  }

  get running(): boolean {
    for (const run of this.live.values()) if (!isRunFinished(run.state)) return true;
    return false;
  }

  /** Live runs that have not finished, newest first. */
  activeRuns(): RunState[] {
    return [...this.live.values()].filter((r) => !isRunFinished(r.state)).map((r) => r.state).reverse();
  }

  handle(runId: string): RunHandle | undefined {
    return this.live.get(runId)?.handle;
  }

  /** The state of a run: live, seen in this session, or loaded from the history. */
  run(runId: string): RunState | undefined {
    return this.live.get(runId)?.state ?? this.recent.get(runId) ?? this.history.load(runId)?.state;
  }

  /** Runs for the Runs view: this session's and the history's, newest first. */
  list(): (RunSummary | RunState)[] {
    const seen = new Set<string>();
    const result: (RunSummary | RunState)[] = [];
    for (const state of [...this.recent.values()].reverse()) {
      seen.add(state.runId);
      result.push(state);
    }
    for (const summary of this.history.list()) if (!seen.has(summary.runId)) result.push(summary);
    return result.sort((a, b) => b.queuedTime - a.queuedTime).slice(0, this.history.keep);
  }

  /** The latest run of a pipeline file. */
  latestRun(file?: string): RunState | undefined {
    const states = [...this.recent.values()].reverse();
    const inSession = states.find((s) => file === undefined || s.pipeline.file === file);
    if (inSession) return inSession;
    const key = file ?? '*';
    if (this.loadedLatest.has(key)) return undefined;
    this.loadedLatest.add(key);
    const summary = this.history.list().find((r) => file === undefined || r.pipeline.file === file);
    const state = summary ? this.history.load(summary.runId)?.state : undefined;
    if (state) this.recent.set(state.runId, state);
    return state;
  }

  /** The job's state in the newest run that has it (live runs first). */
  jobState(jobId: string): { run: RunState; job: JobRunState } | undefined {
    const file = jobId.slice(0, Math.max(0, jobId.indexOf('#')));
    this.latestRun(file);
    for (const state of [...this.recent.values()].reverse()) {
      const job = state.jobs.find((j) => j.id === jobId);
      if (job) return { run: state, job };
    }
    return undefined;
  }

  /** Starts a run; resolves once it is queued (not when it ends). */
  async start(request: StartRequest): Promise<RunHandle> {
    const folder = this.container.workspaceFolder;
    if (!folder) throw new OpsloopError('invalidInput', 'Open a folder to run its pipelines.');
    if (!vscode.workspace.isTrusted) throw new OpsloopError('untrusted', 'Opsloop runs nothing in Restricted Mode.', 'Manage Workspace Trust');
    const settings = readRunSettings(folder.uri);
    const secrets = (await getRunSecrets(this.container)?.values()) ?? {};
    const runId = newRunId(Date.now());
    const recorder = this.history.begin(runId);
    // Events start before startRun returns (run.queued): the live entry is filled in after.
    const holder: { live?: LiveRun } = {};
    const onEvent = (event: RunEvent): void => {
      recorder.record(event);
      const live = holder.live;
      if (live) live.state = reduceRun(live.state, event) ?? live.state;
      const state = live?.state ?? reduceRun(undefined, event);
      if (state) this.recent.set(state.runId, state);
      this.eventEmitter.fire(event);
      if (event.type !== 'job.output') this.scheduleChange(event.runId, event.type === 'run.finished' || event.type === 'run.queued');
    };
    const handle = await startRun({
      root: folder.uri.fsPath,
      pipeline: request.pipeline,
      selection: request.selection,
      trigger: request.trigger,
      runId,
      runNumber: Math.floor(Date.now() / 1000),
      logDir: recorder.logDir,
      concurrency: settings.concurrency,
      runManual: settings.manualJobs === 'run',
      ...(settings.manualJobs === 'ask' ? { askManual: (job: Job) => this.askManual(job) } : {}),
      isolated: settings.isolated,
      includeWorkingTreeChanges: settings.includeWorkingTreeChanges,
      dockerPolicy: settings.dockerPolicy,
      ...(settings.dockerPath ? { dockerPath: settings.dockerPath } : {}),
      ...(settings.shell ? { shellPath: settings.shell } : {}),
      defaultTimeoutSeconds: settings.defaultTimeoutSeconds,
      secrets,
      onEvent,
    }).catch((error: unknown) => {
      recorder.close();
      this.history.remove(runId);
      throw error;
    });
    const live: LiveRun = { handle, pipeline: request.pipeline, state: handle.state() };
    holder.live = live;
    this.live.set(runId, live);
    this.recent.set(runId, live.state);
    this.lastStatusRun = runId;
    void this.updateContext();
    this.container.log.info(`Run ${runId}: ${live.state.selection ?? 'pipeline'} of ${request.pipeline.file} (${live.state.jobs.length} jobs, trigger ${request.trigger}).`);
    void handle.done.then((state) => this.onFinished(runId, state));
    this.scheduleChange(runId, true);
    return handle;
  }

  /** Cancels a live run (the newest when no id is given). Returns false when nothing was running. */
  cancel(runId?: string): boolean {
    const target = runId ? this.live.get(runId) : [...this.live.values()].reverse().find((r) => !isRunFinished(r.state));
    if (!target || isRunFinished(target.state)) return false;
    target.handle.cancel('canceled by the person');
    return true;
  }

  private async askManual(job: Job): Promise<boolean> {
    const choice = await vscode.window.showInformationMessage(`"${job.name}" is a manual job. Start it now?`, 'Start', 'Skip');
    return choice === 'Start';
  }

  private scheduleChange(runId: string, now: boolean): void {
    const fire = (): void => {
      this.pendingChange.delete(runId);
      const state = this.live.get(runId)?.state ?? this.recent.get(runId);
      if (!state) return;
      this.updateStatusBar(state);
      this.changed.fire(state);
    };
    if (now) {
      clearTimeout(this.pendingChange.get(runId));
      fire();
      return;
    }
    if (!this.pendingChange.has(runId)) this.pendingChange.set(runId, setTimeout(fire, changeDelayMs));
  }

  private updateStatusBar(state: RunState): void {
    // The status bar follows the run started last; others show in the Runs view.
    if (state.runId !== this.lastStatusRun) return;
    const progress = runProgress(state);
    if (isRunFinished(state)) {
      this.container.statusBar.set({
        kind: 'finished',
        runId: state.runId,
        status: state.status as 'passed' | 'failed' | 'canceled',
        durationMs: state.durationMs ?? 0,
        failedJobs: progress.failed.map((j) => j.name),
      });
      return;
    }
    const current = progress.running[0]?.name ?? progress.waiting[0]?.name ?? state.pipeline.name;
    this.container.statusBar.set({ kind: 'running', runId: state.runId, current, done: progress.done, total: progress.total });
  }

  private async updateContext(): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'opsloop.running', this.running);
  }

  private onFinished(runId: string, state: RunState): void {
    this.live.delete(runId);
    this.recent.set(runId, state);
    // Keep this session's memory small: the history has the rest.
    while (this.recent.size > 50) this.recent.delete(this.recent.keys().next().value!);
    void this.updateContext();
    this.scheduleChange(runId, true);
    this.container.log.info(`Run ${runId} ${state.status}${state.reason ? `: ${state.reason}` : ''}.`);
    void this.notify(state);
  }

  private async notify(state: RunState): Promise<void> {
    const settings = readRunSettings(this.container.workspaceFolder?.uri);
    if (settings.notifications === 'none') return;
    if (settings.notifications === 'failures' && state.status === 'passed') return;
    const progress = runProgress(state);
    const what = `${state.pipeline.name === state.pipeline.file ? state.pipeline.file : `${state.pipeline.name} (${state.pipeline.file})`}${state.selection && state.selection !== 'pipeline' ? `, ${state.selection}` : ''}`;
    const duration = formatDuration(state.durationMs ?? 0);
    if (state.status === 'passed') {
      const choice = await vscode.window.showInformationMessage(`Opsloop: ${what} passed in ${duration} (${progress.passed}/${progress.total} jobs).`, 'Open Run');
      if (choice === 'Open Run') await vscode.commands.executeCommand(CommandId.openRun, state.runId);
      return;
    }
    const failed = progress.failed;
    const message =
      state.status === 'failed'
        ? `Opsloop: ${what} failed in ${duration}: ${failed.map((j) => j.name).join(', ') || state.reason || 'a job failed'}.`
        : `Opsloop: ${what} was canceled after ${duration}.`;
    const actions = failed.length > 0 ? ['Open Log', 'Re-run Failed'] : state.status === 'canceled' ? ['Re-run Failed'] : [];
    const choice = await (state.status === 'failed' ? vscode.window.showErrorMessage(message, ...actions) : vscode.window.showWarningMessage(message, ...actions));
    if (choice === 'Open Log' && failed[0]) await vscode.commands.executeCommand(CommandId.showJobLog, { runId: state.runId, jobId: failed[0].id });
    if (choice === 'Re-run Failed') await vscode.commands.executeCommand(CommandId.rerunFailed, state.runId);
  }

  dispose(): void {
    for (const timer of this.pendingChange.values()) clearTimeout(timer);
    // The window is closing: stop what runs (the runner also kills every job on process exit).
    for (const run of this.live.values()) run.handle.cancel('canceled: VS Code closed the window');
    for (const d of this.disposables) d.dispose();
  }
}

const whenCreated: ((service: RunService, container: Container) => vscode.Disposable)[] = [];

/** Wires something to the RunService when it is created (terminals, the graph), without creating it. */
export function onRunServiceCreated(wire: (service: RunService, container: Container) => vscode.Disposable): void {
  whenCreated.push(wire);
}

/** The shared RunService (created on first use). */
export function getRunService(container: Container): RunService {
  return container.service('runs', () => {
    const service = new RunService(container);
    for (const wire of whenCreated) container.track(wire(service, container));
    return service;
  });
}
