import * as vscode from 'vscode';
import type { JobStatus } from '../../core/run/runEvents';
import { isRunFinished, type JobRunState, type RunState } from '../../core/run/runState';
import type { RunSummary } from '../../node/history/runHistory';
import { CommandId } from '../commandIds';
import type { Container } from '../container';
import { getRunService } from '../runs/runService';
import { formatDuration } from '../statusBar';

/** Elements of the Runs view: runs (live and from the history) and their jobs. */
export type RunsNode = { readonly kind: 'run'; readonly runId: string } | { readonly kind: 'job'; readonly runId: string; readonly jobId: string } | { readonly kind: 'error'; readonly message: string };

const statusIcon: Readonly<Record<JobStatus, [string, string | undefined]>> = {
  queued: ['circle-outline', undefined],
  running: ['sync~spin', 'charts.blue'],
  passed: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  skipped: ['debug-step-over', 'disabledForeground'],
  canceled: ['circle-slash', 'testing.iconSkipped'],
  manual: ['debug-pause', 'disabledForeground'],
};

/** The icon of a job's run state, shared by the Runs view and the Pipelines tree. */
export function jobStatusIcon(status: JobStatus, extra?: { waiting?: boolean; allowedFailure?: boolean }): vscode.ThemeIcon {
  if (extra?.waiting) return new vscode.ThemeIcon('question', new vscode.ThemeColor('charts.yellow'));
  if (status === 'failed' && extra?.allowedFailure) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('testing.iconQueued'));
  const [id, color] = statusIcon[status];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

function ago(seconds: number): string {
  const diff = Math.max(0, Date.now() / 1000 - seconds);
  if (diff < 60) return 'just now';
  if (diff < 3600) return `${Math.floor(diff / 60)} min ago`;
  if (diff < 86_400) return `${Math.floor(diff / 3600)} h ago`;
  return new Date(seconds * 1000).toLocaleDateString();
}

function isState(entry: RunSummary | RunState): entry is RunState {
  return Array.isArray((entry as RunState).jobs);
}

/** The Runs view: every local run, newest first, with live job states; a job's log opens on click. */
export class RunsTree implements vscode.TreeDataProvider<RunsNode> {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private listening = false;
  /** The runs listed last, so that each item does not read the history again. */
  private entries = new Map<string, RunSummary | RunState>();

  constructor(private readonly container: Container) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** The rows as plain data (for tests). */
  snapshot(): RunsViewRow[] {
    return runsViewSnapshot(this);
  }

  private service() {
    const service = getRunService(this.container);
    if (!this.listening) {
      this.listening = true;
      this.container.track(service.onDidChangeRun(() => this.refresh()));
    }
    return service;
  }

  getChildren(element?: RunsNode): RunsNode[] {
    if (!vscode.workspace.isTrusted && !element) {
      // Restricted Mode: the welcome content explains; reading history runs nothing, but nothing ran here either.
      return [];
    }
    try {
      const service = this.service();
      if (!element) {
        const list = service.list();
        this.entries = new Map(list.map((r) => [r.runId, r]));
        return list.map((r) => ({ kind: 'run', runId: r.runId }));
      }
      if (element.kind === 'run') return (service.run(element.runId)?.jobs ?? []).map((j) => ({ kind: 'job', runId: element.runId, jobId: j.id }));
      return [];
    } catch (error) {
      return element ? [] : [{ kind: 'error', message: error instanceof Error ? error.message : String(error) }];
    }
  }

  getParent(element: RunsNode): RunsNode | undefined {
    return element.kind === 'job' ? { kind: 'run', runId: element.runId } : undefined;
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'error') {
      const item = new vscode.TreeItem('Could not read the run history', vscode.TreeItemCollapsibleState.None);
      item.description = node.message;
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
      item.command = { command: CommandId.showLog, title: 'Show Log' };
      return item;
    }
    const service = getRunService(this.container);
    if (node.kind === 'run') return this.runItem(this.entries.get(node.runId) ?? service.run(node.runId), node.runId);
    const state = service.run(node.runId);
    const job = state?.jobs.find((j) => j.id === node.jobId);
    return this.jobItem(node, job, state);
  }

  private runItem(entry: RunSummary | RunState | undefined, runId: string): vscode.TreeItem {
    // Live and this session's runs are states; older ones are summaries from the index.
    const state = entry && isState(entry) ? entry : undefined;
    const summary = entry ?? state;
    const item = new vscode.TreeItem(summary ? `${summary.pipeline.name === summary.pipeline.file ? summary.pipeline.file : summary.pipeline.name}` : runId, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `run:${runId}`;
    if (!summary) return item;
    const running = state ? !isRunFinished(state) : summary.status === 'running' || summary.status === 'queued';
    const done = state ? state.jobs.filter((j) => j.status !== 'queued' && j.status !== 'running' && !j.waiting).length : undefined;
    const total = state ? state.jobs.length : (summary as RunSummary).jobs?.total;
    const parts = [
      summary.selection && summary.selection !== 'pipeline' ? summary.selection : undefined,
      running ? `${done ?? 0}/${total ?? '?'} jobs` : summary.status,
      summary.durationMs !== undefined && !running ? formatDuration(summary.durationMs) : undefined,
      ago(summary.queuedTime),
    ].filter(Boolean);
    item.description = parts.join(' · ');
    item.iconPath = jobStatusIcon(summary.status === 'queued' ? 'queued' : summary.status);
    item.contextValue = running ? 'opsloopRun.running' : summary.status === 'passed' ? 'opsloopRun.passed' : 'opsloopRun.failed';
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.isTrusted = { enabledCommands: [CommandId.rerunFailed, CommandId.cancelRun, CommandId.openRun] };
    tooltip.appendMarkdown(`**${summary.pipeline.file}** · ${summary.selection ?? 'pipeline'}\n\n`);
    tooltip.appendMarkdown(`Run \`${runId}\` · ${summary.status}${summary.reason ? ` · ${summary.reason.replace(/[[\]`*_]/g, '')}` : ''}\n\n`);
    if (summary.revision) tooltip.appendMarkdown(`Commit \`${summary.revision.slice(0, 12)}\`${summary.branch ? ` on \`${summary.branch}\`` : ''}\n\n`);
    const arg = encodeURIComponent(JSON.stringify([runId]));
    tooltip.appendMarkdown(running ? `[Cancel](command:${CommandId.cancelRun}?${arg})` : `[Open run](command:${CommandId.openRun}?${arg}) · [Re-run failed](command:${CommandId.rerunFailed}?${arg})`);
    item.tooltip = tooltip;
    return item;
  }

  private jobItem(node: { runId: string; jobId: string }, job: JobRunState | undefined, state: RunState | undefined): vscode.TreeItem {
    const item = new vscode.TreeItem(job?.name ?? node.jobId, vscode.TreeItemCollapsibleState.None);
    item.id = `job:${node.runId}:${node.jobId}`;
    if (!job) return item;
    const status = job.waiting ? 'waiting for you' : job.status === 'failed' && job.allowedFailure ? 'failed (allowed)' : job.status;
    const parts = [status, job.attempt > 1 ? `attempt ${job.attempt}` : undefined, job.durationMs !== undefined && job.status !== 'skipped' ? formatDuration(job.durationMs) : undefined, job.stage];
    item.description = parts.filter(Boolean).join(' · ');
    item.iconPath = jobStatusIcon(job.status, job);
    item.contextValue = job.status === 'running' ? 'opsloopRunJob.running' : 'opsloopRunJob';
    item.tooltip = `${job.name} · ${status}${job.exitCode !== null ? ` · exit code ${job.exitCode}` : ''}${job.reason ? `\n${job.reason}` : ''}${job.logFile ? `\n\nLog: ${job.logFile}` : ''}${state?.isolated ? '\nRan in an isolated copy.' : ''}`;
    item.command = { command: CommandId.showJobLog, title: 'Show Job Log', arguments: [{ runId: node.runId, jobId: node.jobId }] };
    return item;
  }
}

interface RunsViewParts {
  readonly tree: RunsTree;
  readonly view: vscode.TreeView<RunsNode>;
}

export function registerRunsView(container: Container): void {
  const tree = new RunsTree(container);
  const view = container.track(vscode.window.createTreeView('opsloop.runs', { treeDataProvider: tree, showCollapseAll: true }));
  // Kept in the container so commands (and tests, through the extension's API) reach the same tree.
  container.service<RunsViewParts>('runsView', () => ({ tree, view }));
  container.track(vscode.workspace.onDidGrantWorkspaceTrust(() => tree.refresh()));
}

function parts(container: Container): RunsViewParts | undefined {
  try {
    return container.service<RunsViewParts>('runsView', () => {
      throw new Error('the Runs view is not registered');
    });
  } catch {
    return undefined;
  }
}

/** Shows a run in the Runs view, expanded and selected. */
export async function revealRunInView(container: Container, runId: string): Promise<void> {
  const found = parts(container);
  if (!found) return;
  found.tree.refresh();
  try {
    await vscode.commands.executeCommand('opsloop.runs.focus');
    await found.view.reveal({ kind: 'run', runId }, { expand: true, select: true, focus: false });
  } catch (error) {
    container.log.warn(`Could not reveal run ${runId}: ${String(error)}`);
  }
}

export interface RunsViewRow {
  readonly runId: string;
  readonly label: string;
  readonly description: string;
  readonly jobs: readonly { readonly name: string; readonly description: string; readonly icon: string }[];
}

/** What the Runs view shows now, as plain data (tests read it through the extension's API). */
export function runsViewSnapshot(tree: RunsTree): RunsViewRow[] {
  return tree.getChildren().flatMap((node) => {
    if (node.kind !== 'run') return [];
    const item = tree.getTreeItem(node);
    const jobs = tree.getChildren(node).map((j) => {
      const ji = tree.getTreeItem(j);
      return { name: String(ji.label), description: String(ji.description ?? ''), icon: ji.iconPath instanceof vscode.ThemeIcon ? ji.iconPath.id : '' };
    });
    return [{ runId: node.runId, label: String(item.label), description: String(item.description ?? ''), jobs }];
  });
}
