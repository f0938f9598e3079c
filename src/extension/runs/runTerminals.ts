import * as vscode from 'vscode';
import type { Pipeline } from '../../core/pipeline/model';
import type { RunSelection } from '../../core/run/runGraph';
import type { RunEvent } from '../../core/run/runEvents';
import { isJobFinished, isRunFinished } from '../../core/run/runState';
import type { Container } from '../container';
import { getPlanService } from '../pipelines/planService';
import { requireTrust } from '../trust';
import { readRunSettings } from './runSettings';
import { getRunService, type RunService } from './runService';

/** The task type of every Opsloop job (`tasks.json`: `{ "type": "opsloop", "file": ..., "job": ... }`). */
export const taskType = 'opsloop';

export interface OpsloopTaskDefinition extends vscode.TaskDefinition {
  readonly type: typeof taskType;
  /** The pipeline file, workspace-relative. */
  readonly file: string;
  /** A job id (`file#name`) or name: run it with the jobs it needs. */
  readonly job?: string;
  /** A stage: run its jobs. Without job and stage: the whole pipeline. */
  readonly stage?: string;
}

/** Jobs of one run that get a terminal of their own without being asked (more: on demand). */
const maxAutoTerminals = 20;
/** Characters a terminal shows per job; the rest is in the log (a terminal is no place for 200 MB). */
const maxTerminalChars = 4_000_000;

const dim = (text: string): string => `\x1b[2m${text}\x1b[0m`;
const colors = { passed: '\x1b[32m', failed: '\x1b[31m', canceled: '\x1b[33m', skipped: '\x1b[2m', manual: '\x1b[2m', queued: '', running: '' } as const;

/** Terminal text wants \r\n. */
function toTerminal(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/**
 * A terminal that follows one job of a run (or the whole run, each line prefixed with its job):
 * it first shows what the job printed so far (capped, with a marker), then its live output, and
 * ends with the job's status. Ctrl-C in it (or "Terminate Task" for a task) cancels the job.
 */
class RunTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidClose = this.closeEmitter.event;
  private subscription: vscode.Disposable | undefined;
  private closed = false;
  runId: string | undefined;
  private readonly partial = new Map<string, string>();
  private readonly shown = new Map<string, number>();

  constructor(
    private readonly service: RunService,
    private readonly target: { runId: string; jobId?: string } | (() => Promise<{ runId: string; jobId?: string }>),
    private readonly onEnd: () => void,
    /**
     * A task's terminal closes with the exit status (VS Code keeps it for reading). A plain
     * terminal would vanish on close: it stays open, so the output can still be read.
     */
    private readonly closeOnEnd = true,
  ) {}

  open(): void {
    void this.attach();
  }

  private async attach(): Promise<void> {
    let target: { runId: string; jobId?: string };
    try {
      target = typeof this.target === 'function' ? await this.target() : this.target;
    } catch (error) {
      this.writeEmitter.fire(toTerminal(`\x1b[31m${error instanceof Error ? error.message : String(error)}\x1b[0m\n`));
      this.finish(1);
      return;
    }
    this.runId = target.runId;
    const state = this.service.run(target.runId);
    const jobId = target.jobId;
    const job = jobId ? state?.jobs.find((j) => j.id === jobId) : undefined;
    this.writeEmitter.fire(toTerminal(dim(`Opsloop · ${state?.pipeline.file ?? ''} · ${job ? job.name : (state?.selection ?? 'run')} · run ${target.runId}\n`)));
    const handle = this.service.handle(target.runId);
    if (jobId) {
      const earlier = handle?.output(jobId);
      if (earlier) this.writeEmitter.fire(toTerminal(earlier));
    }
    if (!handle || (state && isRunFinished(state))) {
      this.writeEmitter.fire(toTerminal(dim('This run has ended; its full logs are in the Runs view.\n')));
      this.finish(job?.status === 'passed' ? 0 : 1);
      return;
    }
    if (job && isJobFinished(job)) {
      this.finish(job.status === 'passed' || job.allowedFailure ? 0 : 1);
      return;
    }
    this.subscription = this.service.onDidRunEvent((event) => this.onEvent(event, jobId));
  }

  private onEvent(event: RunEvent, jobId: string | undefined): void {
    if (event.runId !== this.runId || this.closed) return;
    if (jobId && 'jobId' in event && event.jobId !== jobId) return;
    const name = (id: string): string => this.service.run(event.runId)?.jobs.find((j) => j.id === id)?.name ?? id;
    switch (event.type) {
      case 'job.output': {
        const before = this.shown.get(event.jobId) ?? 0;
        this.shown.set(event.jobId, before + event.text.length);
        if (before >= maxTerminalChars) return;
        if (before + event.text.length > maxTerminalChars) {
          this.writeEmitter.fire(toTerminal(`\n${dim(`[${name(event.jobId)}: more output than a terminal should hold; the rest is in the job's log (Show Job Log)]`)}\n`));
          return;
        }
        const text = event.stream === 'system' ? `\x1b[36m${event.text.replace(/\n(?=.)/g, '\n\x1b[36m')}\x1b[0m` : event.text;
        if (jobId) {
          this.writeEmitter.fire(toTerminal(text));
        } else {
          // A whole run: prefix complete lines with their job's name.
          const buffer = (this.partial.get(event.jobId) ?? '') + event.text;
          const lines = buffer.split('\n');
          this.partial.set(event.jobId, lines.pop()!);
          for (const line of lines) this.writeEmitter.fire(toTerminal(`${dim(`[${name(event.jobId)}]`)} ${event.stream === 'system' ? `\x1b[36m${line}\x1b[0m` : line}\n`));
        }
        break;
      }
      case 'job.started':
        if (!jobId) this.writeEmitter.fire(toTerminal(`${dim(`[${name(event.jobId)}]`)} started${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}\n`));
        break;
      case 'job.finished': {
        const line = `${colors[event.status]}${event.status}${event.allowedFailure ? ' (allowed to fail)' : ''}\x1b[0m${event.reason ? ` · ${event.reason}` : ''}`;
        if (jobId) {
          if (!this.closeOnEnd) this.writeEmitter.fire(toTerminal(`${dim('─'.repeat(8))} ${line}\n`));
          this.finish(event.status === 'passed' || event.allowedFailure ? 0 : (event.exitCode ?? 1) || 1);
        } else {
          this.writeEmitter.fire(toTerminal(`${dim(`[${name(event.jobId)}]`)} ${line}\n`));
        }
        break;
      }
      case 'run.finished':
        if (!jobId) {
          this.writeEmitter.fire(toTerminal(`\nRun ${colors[event.status]}${event.status}\x1b[0m${event.reason ? ` · ${event.reason}` : ''}\n`));
          this.finish(event.status === 'passed' ? 0 : 1);
        }
        break;
      default:
        break;
    }
  }

  handleInput(data: string): void {
    if (data === '\x03') this.cancel();
  }

  /** Stops following without touching the job (a newer terminal takes over). */
  detach(): void {
    this.finish(0, true);
  }

  private cancel(): void {
    if (!this.runId) return;
    const handle = this.service.handle(this.runId);
    const target = typeof this.target === 'function' ? undefined : this.target;
    if (target?.jobId) handle?.cancelJob(target.jobId);
    else handle?.cancel('canceled from its terminal');
  }

  close(): void {
    // A task's terminal: "Terminate Task" means stop it. A job's own terminal: closing it only
    // stops following (Ctrl-C in it cancels the job).
    if (!this.closed && this.closeOnEnd) this.cancel();
    this.finish(130);
  }

  private finish(code: number, force = false): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription?.dispose();
    if (this.closeOnEnd || force) this.closeEmitter.fire(code);
    this.onEnd();
  }
}

/** Terminals shown for jobs, by `file|job` (one per job, replaced by the job's next run). */
const terminals = new Map<string, RunTerminal>();
const followTerminals = new Map<string, vscode.Terminal>();
/** The run each job terminal shows. */
const followedRun = new Map<string, string>();

function presentation(reveal: boolean): vscode.TaskPresentationOptions {
  return {
    reveal: reveal ? vscode.TaskRevealKind.Always : vscode.TaskRevealKind.Never,
    focus: false,
    panel: vscode.TaskPanelKind.Dedicated,
    clear: true,
    echo: false,
    showReuseMessage: false,
  };
}

function jobTask(folder: vscode.WorkspaceFolder, definition: OpsloopTaskDefinition, name: string, execution: vscode.CustomExecution, reveal: boolean): vscode.Task {
  const task = new vscode.Task(definition, folder, name, 'opsloop', execution);
  task.presentationOptions = presentation(reveal);
  task.group = vscode.TaskGroup.Build;
  return task;
}

/**
 * Shows a job of a live run in a terminal of its own. These follow a run that is already going,
 * so they are plain extension terminals, not tasks (a task would start the job again); the job's
 * terminal of an earlier run is replaced.
 */
export function showJobTerminal(container: Container, runId: string, jobId: string, reveal: boolean): void {
  const service = getRunService(container);
  const state = service.run(runId);
  const job = state?.jobs.find((j) => j.id === jobId);
  if (!state || !job) return;
  const key = `${state.pipeline.file}|${jobId}`;
  const existing = followTerminals.get(key);
  const following = terminals.get(key);
  if (existing && followedRun.get(key) === runId) {
    if (reveal) existing.show(true);
    return;
  }
  following?.detach();
  existing?.dispose();
  const terminal = new RunTerminal(
    service,
    { runId, jobId },
    () => {
      if (terminals.get(key) === terminal) terminals.delete(key);
    },
    false,
  );
  terminals.set(key, terminal);
  const created = vscode.window.createTerminal({ name: `${job.name} · Opsloop`, pty: terminal, iconPath: new vscode.ThemeIcon('run'), isTransient: true });
  followTerminals.set(key, created);
  followedRun.set(key, runId);
  if (reveal) created.show(true);
}

/** The run selection a task definition names. */
export function selectionOf(definition: OpsloopTaskDefinition): RunSelection {
  if (definition.job) return { kind: 'jobs', jobs: [definition.job] };
  if (definition.stage) return { kind: 'stage', stage: definition.stage };
  return { kind: 'pipeline' };
}

/** Tasks: every pipeline, stage and job of the plan, each run in its own terminal. */
class OpsloopTaskProvider implements vscode.TaskProvider {
  constructor(private readonly container: Container) {}

  async provideTasks(): Promise<vscode.Task[]> {
    const folder = this.container.workspaceFolder;
    if (!folder) return [];
    const plan = await getPlanService(this.container).get();
    const tasks: vscode.Task[] = [];
    for (const pipeline of plan.pipelines) {
      if (pipeline.jobs.length === 0) continue;
      tasks.push(this.startTask(folder, { type: taskType, file: pipeline.file }, `${pipeline.file}: pipeline`, pipeline));
      for (const stage of pipeline.stages) if (stage.jobs.length > 0) tasks.push(this.startTask(folder, { type: taskType, file: pipeline.file, stage: stage.name }, `${pipeline.file}: stage ${stage.name}`, pipeline));
      for (const job of pipeline.jobs) tasks.push(this.startTask(folder, { type: taskType, file: pipeline.file, job: job.id }, `${pipeline.file}: ${job.name}`, pipeline));
    }
    return tasks;
  }

  async resolveTask(task: vscode.Task): Promise<vscode.Task | undefined> {
    const definition = task.definition as OpsloopTaskDefinition;
    const folder = this.container.workspaceFolder;
    if (!folder || typeof definition.file !== 'string') return undefined;
    const plan = await getPlanService(this.container).get();
    const pipeline = plan.pipelines.find((p) => p.file === definition.file);
    if (!pipeline) return undefined;
    return this.startTask(folder, definition, task.name, pipeline);
  }

  /** A task that starts a run when executed (Tasks: Run Task, tasks.json). */
  private startTask(folder: vscode.WorkspaceFolder, definition: OpsloopTaskDefinition, name: string, pipeline: Pipeline): vscode.Task {
    const service = getRunService(this.container);
    const execution = new vscode.CustomExecution(async (resolved) => {
      const def = resolved as OpsloopTaskDefinition;
      const key = def.job ? `${pipeline.file}|${def.job.includes('#') ? def.job : `${pipeline.file}#${def.job}`}` : undefined;
      const terminal = new RunTerminal(
        service,
        async () => {
          if (!requireTrust('run this task')) throw new Error('Opsloop runs nothing in Restricted Mode.');
          const plan = await getPlanService(this.container).get();
          const current = plan.pipelines.find((p) => p.file === def.file);
          if (!current) throw new Error(`${def.file} is not a pipeline of this workspace.`);
          const handle = await service.start({ pipeline: current, selection: selectionOf(def), trigger: 'task' });
          const jobId = def.job ? current.jobs.find((j) => j.id === def.job || j.name === def.job)?.id : undefined;
          return { runId: handle.runId, ...(jobId ? { jobId } : {}) };
        },
        () => {
          if (key && terminals.get(key) === terminal) terminals.delete(key);
        },
      );
      if (key) {
        terminals.get(key)?.detach();
        terminals.set(key, terminal);
      }
      return terminal;
    });
    return jobTask(folder, definition, name, execution, true);
  }
}

/** Registers the task provider and opens a terminal for each job a run starts (as the setting says). */
export function registerRunTerminals(container: Container): void {
  container.track(vscode.tasks.registerTaskProvider(taskType, new OpsloopTaskProvider(container)));
  container.track(
    vscode.window.onDidCloseTerminal((closed) => {
      for (const [key, terminal] of followTerminals) {
        if (terminal !== closed) continue;
        followTerminals.delete(key);
        followedRun.delete(key);
      }
    }),
  );
}

/** Called once the RunService exists: each started job gets its terminal (up to a cap per run). */
export function followRunsInTerminals(container: Container, service: RunService): vscode.Disposable {
  const opened = new Map<string, number>();
  return service.onDidRunEvent((event) => {
    if (event.type === 'run.finished') {
      opened.delete(event.runId);
      return;
    }
    if (event.type !== 'job.started' || event.attempt !== 1) return;
    if (readRunSettings(container.workspaceFolder?.uri).terminals !== 'eachJob') return;
    const count = opened.get(event.runId) ?? 0;
    if (count >= maxAutoTerminals) return;
    const state = service.run(event.runId);
    if (!state || state.trigger === 'task') return;
    opened.set(event.runId, count + 1);
    try {
      showJobTerminal(container, event.runId, event.jobId, false);
    } catch (error) {
      container.log.warn(`Could not open a terminal for ${event.jobId}: ${String(error)}`);
    }
  });
}
