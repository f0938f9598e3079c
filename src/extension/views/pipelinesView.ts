import * as vscode from 'vscode';
import { formatLabels } from '../../core/pipeline/formats';
import type { Job, PipelineFormat, Plan, When } from '../../core/pipeline/model';
import { CommandId } from '../commandIds';
import { registerCommand } from '../commands/register';
import type { Container } from '../container';
import { registerPipelineCodeLens } from '../pipelines/codeLens';
import { registerPipelineDiagnostics } from '../pipelines/diagnostics';
import { registerPipelineOutline } from '../pipelines/outline';
import {
  fileNodes,
  type FileNode,
  instanceNodes,
  isMatrixGroup,
  type JobNode,
  jobNodes,
  type PipelineNode,
  stageNodes,
  stepNodes,
} from '../pipelines/pipelineNodes';
import { getPlanService, type PlanService } from '../pipelines/planService';
import { registerRevealDefinition, revealCommand } from '../pipelines/revealDefinition';
import { onRunServiceCreated } from '../runs/runService';
import { formatDuration } from '../statusBar';
import { jobStatusIcon } from './runsView';
import type { JobRunState } from '../../core/run/runState';

const fileIcons: Readonly<Record<PipelineFormat, string>> = { github: 'github', gitlab: 'file-code', azure: 'azure-devops', jenkins: 'file-code' };
const whenLabels: Readonly<Record<When, string>> = {
  on_success: 'on success',
  on_failure: 'on failure',
  always: 'always',
  manual: 'manual',
  delayed: 'delayed',
  never: 'never',
};
/** Problems listed under a file node; the rest are in the Problems panel. */
const maxProblemNodes = 20;

/** The Pipelines view: file → stage → job → step, matrix instances under their job, errors as nodes with an action. */
export class PipelinesTree implements vscode.TreeDataProvider<PipelineNode> {
  private readonly changed = new vscode.EventEmitter<PipelineNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  /** The job's state in its latest run, once runs exist (set when the RunService is created). */
  private live: ((jobId: string) => JobRunState | undefined) | undefined;

  constructor(private readonly plans: PlanService | undefined) {}

  /** Shows each job's latest run state (icon and description); the tree redraws on `refresh`. */
  followRuns(live: (jobId: string) => JobRunState | undefined): void {
    this.live = live;
    this.refresh();
  }

  /** Tells the view to ask again (after a new plan). */
  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(element?: PipelineNode): Promise<PipelineNode[]> {
    if (!this.plans) return [];
    if (!element) {
      const plan = await this.plans.get();
      const failure = this.plans.lastFailure();
      const files = fileNodes(plan);
      return failure ? [{ kind: 'loadError', message: failure }, ...files] : files;
    }
    switch (element.kind) {
      case 'file': {
        const problems: PipelineNode[] = element.problems.slice(0, maxProblemNodes).map((diagnostic) => ({ kind: 'problem', file: diagnostic.file, diagnostic }));
        return [...problems, ...stageNodes(element)];
      }
      case 'stage':
        return jobNodes(element);
      case 'job':
        return isMatrixGroup(element) ? instanceNodes(element) : stepNodes(element.file, element.pipeline, element.jobs[0]!);
      case 'instance':
        return stepNodes(element.file, element.pipeline, element.job);
      default:
        return [];
    }
  }

  getTreeItem(node: PipelineNode): vscode.TreeItem {
    switch (node.kind) {
      case 'loadError': {
        const item = new vscode.TreeItem('Could not read the pipelines', vscode.TreeItemCollapsibleState.None);
        item.description = node.message;
        item.tooltip = `${node.message}\n\nClick to try again; the Opsloop log has the details.`;
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        item.contextValue = 'pipelineLoadError';
        item.command = { command: CommandId.refresh, title: 'Try Again' };
        return item;
      }
      case 'file':
        return this.fileItem(node);
      case 'stage': {
        const item = new vscode.TreeItem(node.stage.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `stage|${node.file}|${node.stage.name}`;
        const count = node.stage.jobs.length;
        item.description = `${count} ${count === 1 ? 'job' : 'jobs'}`;
        item.iconPath = new vscode.ThemeIcon('layers');
        item.contextValue = 'pipelineStage';
        item.tooltip = node.pipeline.format === 'github' ? `${node.stage.name}: jobs at this depth of the needs graph (GitHub Actions has no stages).` : `Stage ${node.stage.name} of ${node.file}`;
        return item;
      }
      case 'job':
        return this.jobItem(node);
      case 'instance': {
        const job = node.job;
        const item = new vscode.TreeItem(job.name, job.steps.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `instance|${job.id}`;
        item.description = withRunState(job.matrix ? Object.entries(job.matrix).map(([k, v]) => `${k}=${v}`).join(' ') : undefined, this.live?.(job.id));
        item.iconPath = runIcon(this.live?.(job.id)) ?? jobIcon(job);
        item.tooltip = jobTooltip(job);
        item.contextValue = 'pipelineJobInstance';
        item.command = revealCommand(job.source);
        return item;
      }
      case 'step': {
        const { step } = node;
        const item = new vscode.TreeItem(step.name, vscode.TreeItemCollapsibleState.None);
        item.id = `step|${node.job.id}|${node.index}`;
        item.description = step.kind === 'uses' ? 'uses' : step.phase === 'after' ? 'after' : undefined;
        item.iconPath = new vscode.ThemeIcon(step.kind === 'uses' ? 'package' : step.phase === 'after' ? 'debug-step-out' : 'terminal');
        const tooltip = new vscode.MarkdownString();
        tooltip.appendMarkdown(`**${escapeMarkdown(step.name)}**`);
        if (step.condition) tooltip.appendMarkdown(`\n\nif: \`${escapeCode(step.condition)}\``);
        if (step.workingDirectory) tooltip.appendMarkdown(`\n\nin \`${escapeCode(step.workingDirectory)}\``);
        if (step.kind === 'script' && step.script !== undefined) tooltip.appendCodeblock(step.script.length > 2000 ? `${step.script.slice(0, 2000)}\n…` : step.script, 'shell');
        else if (step.uses) tooltip.appendMarkdown(`\n\nuses \`${escapeCode(step.uses)}\` (runs in its CI, not as a shell step)`);
        item.tooltip = tooltip;
        item.contextValue = 'pipelineStep';
        if (step.range) item.command = revealCommand(step.range);
        return item;
      }
      case 'problem': {
        const d = node.diagnostic;
        const item = new vscode.TreeItem(d.message, vscode.TreeItemCollapsibleState.None);
        item.description = `${d.file}:${d.line}`;
        item.tooltip = `${d.severity}: ${d.message}\n${d.file}:${d.line}:${d.column} [${d.code}]\n\nClick to open the line.`;
        item.iconPath = new vscode.ThemeIcon(d.severity === 'error' ? 'error' : 'warning', new vscode.ThemeColor(d.severity === 'error' ? 'list.errorForeground' : 'list.warningForeground'));
        item.contextValue = 'pipelineProblem';
        item.command = revealCommand({ file: d.file, startLine: d.line, startColumn: d.column, endLine: d.endLine ?? d.line, endColumn: d.endColumn ?? d.column });
        return item;
      }
    }
  }

  private fileItem(node: FileNode): vscode.TreeItem {
    const item = new vscode.TreeItem(node.file, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `file|${node.file}`;
    const jobs = node.pipeline?.jobs.length ?? 0;
    const errors = node.problems.length;
    const parts = [node.format ? formatLabels[node.format] : 'not read', `${jobs} ${jobs === 1 ? 'job' : 'jobs'}`];
    if (errors > 0) parts.push(`${errors} ${errors === 1 ? 'error' : 'errors'}`);
    item.description = parts.join(' · ');
    item.iconPath = errors > 0 && jobs === 0 ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')) : new vscode.ThemeIcon(node.format ? fileIcons[node.format] : 'file');
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${escapeMarkdown(node.pipeline?.name ?? node.file)}**\n\n${escapeMarkdown(node.file)} · ${parts.map(escapeMarkdown).join(' · ')}`);
    if (errors > 0) tooltip.appendMarkdown(`\n\nProblems are listed below and in the Problems panel.`);
    item.tooltip = tooltip;
    item.contextValue = 'pipelineFile';
    item.command = revealCommand({ file: node.file, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 });
    return item;
  }

  private jobItem(node: JobNode): vscode.TreeItem {
    const first = node.jobs[0]!;
    const group = isMatrixGroup(node);
    const hasChildren = group || first.steps.length > 0;
    const item = new vscode.TreeItem(group ? displayDefinition(node) : first.name, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `job|${node.file}|${node.stage}|${node.definition}`;
    if (group) {
      item.description = `${node.jobs.length} ${node.jobs.length === 1 ? 'instance' : 'instances'}`;
      item.iconPath = runIcon(worstOf(node.jobs.map((j) => this.live?.(j.id)))) ?? new vscode.ThemeIcon('symbol-array');
      item.contextValue = 'pipelineJobMatrix';
    } else {
      item.description = withRunState(jobDescription(first), this.live?.(first.id));
      item.iconPath = runIcon(this.live?.(first.id)) ?? jobIcon(first);
      item.contextValue = 'pipelineJob';
    }
    item.tooltip = jobTooltip(first, group ? node.jobs.length : undefined);
    item.command = revealCommand(first.source);
    return item;
  }
}

/** A matrix parent's label: the definition's last part (GitHub reusable workflow jobs are `call/job`). */
function displayDefinition(node: JobNode): string {
  const first = node.jobs[0]!;
  const name = first.name;
  const paren = name.lastIndexOf(' (');
  if (first.matrix && paren > 0 && name.endsWith(')')) return name.slice(0, paren);
  const colon = name.indexOf(': [');
  if (colon > 0) return name.slice(0, colon);
  const parallel = /^(.*) \d+\/\d+$/.exec(name);
  if (parallel) return parallel[1]!;
  return node.definition;
}

function jobDescription(job: Job): string | undefined {
  const parts: string[] = [];
  if (job.when !== 'on_success') parts.push(whenLabels[job.when]);
  if (job.allowFailure) parts.push('may fail');
  if (job.environment) parts.push(`→ ${job.environment.name}`);
  if (job.needs && job.needs.length > 0) parts.push(`needs ${job.needs.map((n) => n.job).join(', ')}`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** The run state's icon, or undefined when the job has not run (the job's own icon then). */
function runIcon(state: JobRunState | undefined): vscode.ThemeIcon | undefined {
  return state ? jobStatusIcon(state.status, { waiting: state.waiting, allowedFailure: state.allowedFailure }) : undefined;
}

/** "failed 3.2 s · needs build": the latest run first, then what the plan says. */
function withRunState(description: string | undefined, state: JobRunState | undefined): string | undefined {
  if (!state) return description;
  const run = `${state.waiting ? 'waiting for you' : state.status}${state.durationMs !== undefined && state.status !== 'running' ? ` ${formatDuration(state.durationMs)}` : ''}`;
  return description ? `${run} · ${description}` : run;
}

/** A matrix parent shows its most urgent instance: running, then failed, then the rest. */
function worstOf(states: readonly (JobRunState | undefined)[]): JobRunState | undefined {
  const order = ['running', 'failed', 'manual', 'queued', 'canceled', 'skipped', 'passed'];
  return states.filter((s): s is JobRunState => s !== undefined).sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status))[0];
}

function jobIcon(job: Job): vscode.ThemeIcon {
  switch (job.when) {
    case 'manual':
      return new vscode.ThemeIcon('debug-pause');
    case 'never':
      return new vscode.ThemeIcon('circle-slash');
    case 'on_failure':
      return new vscode.ThemeIcon('warning');
    case 'delayed':
      return new vscode.ThemeIcon('watch');
    default:
      return new vscode.ThemeIcon(job.environment ? 'rocket' : 'gear');
  }
}

function jobTooltip(job: Job, instances?: number): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  const line = (label: string, value: string): void => {
    md.appendMarkdown(`\n\n${label}: ${value}`);
  };
  md.appendMarkdown(`**${escapeMarkdown(instances ? job.definition : job.name)}**`);
  if (instances) line('Instances', String(instances));
  line('Stage', `\`${escapeCode(job.stage)}\``);
  if (job.needs === null) line('Needs', 'every job of the earlier stages');
  else line('Needs', job.needs.length === 0 ? 'nothing (starts at once)' : job.needs.map((n) => `\`${escapeCode(n.job)}\`${n.optional ? ' (optional)' : ''}`).join(', '));
  line('When', whenLabels[job.when]);
  if (job.condition) line('Condition', `\`${escapeCode(job.condition)}\``);
  if (job.allowFailure) line('Allowed to fail', 'yes');
  if (job.retry > 0) line('Retries', String(job.retry));
  if (job.timeoutSeconds !== undefined) line('Timeout', `${Math.round(job.timeoutSeconds / 60)} min`);
  if (job.environment) line('Environment', `\`${escapeCode(job.environment.name)}\`${job.environment.action ? ` (${escapeMarkdown(job.environment.action)})` : ''}`);
  if (job.image) line('Image', `\`${escapeCode(job.image)}\``);
  if (!instances && job.matrix) line('Matrix', Object.entries(job.matrix).map(([k, v]) => `\`${escapeCode(k)}=${escapeCode(v)}\``).join(' '));
  line('Defined in', `${escapeMarkdown(job.source.file)}:${job.source.startLine}`);
  return md;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|~]/g, '\\$&');
}

function escapeCode(text: string): string {
  return text.replace(/`/g, "'").replace(/\n/g, ' ');
}

/** Registers the Pipelines view and everything fed by the plan: diagnostics, CodeLens, outline, reveal, status bar. */
export function registerPipelineViews(container: Container): void {
  const folder = container.workspaceFolder;
  const plans = folder ? getPlanService(container) : undefined;
  const tree = container.service('pipelinesTree', () => new PipelinesTree(plans));
  // Live job states once runs exist; registering this creates no RunService.
  onRunServiceCreated((runs) => {
    tree.followRuns((jobId) => runs.jobState(jobId)?.job);
    return runs.onDidChangeRun(() => tree.refresh());
  });
  container.track(vscode.window.createTreeView('opsloop.pipelines', { treeDataProvider: tree, showCollapseAll: true }));
  registerCommand(container, CommandId.refresh, async () => {
    await plans?.refresh();
  });
  registerCommand(container, CommandId.openPipelineFile, async (arg: unknown) => {
    const uri = arg instanceof vscode.Uri ? arg : arg && typeof arg === 'object' && 'file' in arg && typeof arg.file === 'string' ? plans?.uriOf(arg.file) : undefined;
    if (uri) await vscode.window.showTextDocument(uri);
  });
  registerRevealDefinition(container, plans);
  registerPipelineOutline(container);
  if (!plans) return;
  registerPipelineDiagnostics(container, plans);
  registerPipelineCodeLens(container, plans);
  const updateStatus = (plan: Plan): void => {
    const kind = container.statusBar.state.kind;
    if ((kind === 'none' || kind === 'idle') && vscode.workspace.isTrusted) {
      const jobs = plan.pipelines.reduce((n, p) => n + p.jobs.length, 0);
      container.statusBar.set(plan.files.length > 0 ? { kind: 'idle', pipelines: plan.files.length, jobs } : { kind: 'none' });
    }
  };
  container.track(plans.onDidChange((plan) => {
    tree.refresh();
    updateStatus(plan);
  }));
  container.track(vscode.workspace.onDidGrantWorkspaceTrust(() => {
    const plan = plans.current();
    if (plan) updateStatus(plan);
  }));
  // Read the plan once the activation is over (reading is not running: fine in Restricted Mode).
  setTimeout(() => void plans.get(), 0);
}
