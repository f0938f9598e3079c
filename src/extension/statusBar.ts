import * as vscode from 'vscode';
import { CommandId } from './commandIds';

export type PipelineIndicatorState =
  | { readonly kind: 'idle'; readonly pipelines: number; readonly jobs: number }
  | { readonly kind: 'none' }
  | { readonly kind: 'restricted' }
  | { readonly kind: 'running'; readonly runId: string; readonly current: string; readonly done: number; readonly total: number }
  | { readonly kind: 'finished'; readonly runId: string; readonly status: 'passed' | 'failed' | 'canceled'; readonly durationMs: number; readonly failedJobs: readonly string[] };

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** The pipeline indicator: one item, short text with a codicon, a Markdown tooltip whose links are commands. */
export class PipelineStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private current: PipelineIndicatorState = { kind: 'none' };

  constructor() {
    this.item = vscode.window.createStatusBarItem('opsloop.pipeline', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Opsloop Pipeline';
    this.set(vscode.workspace.isTrusted ? { kind: 'none' } : { kind: 'restricted' });
    this.item.show();
  }

  get state(): PipelineIndicatorState {
    return this.current;
  }

  set(state: PipelineIndicatorState): void {
    this.current = state;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.isTrusted = { enabledCommands: Object.values(CommandId) };
    tooltip.supportThemeIcons = true;
    const links = (...l: [string, string][]): string => l.map(([label, id]) => `[${label}](command:${id})`).join(' · ');
    this.item.backgroundColor = undefined;
    switch (state.kind) {
      case 'none':
        this.item.text = '$(pulse) Opsloop';
        this.item.command = CommandId.refresh;
        tooltip.appendMarkdown(`**Opsloop**: no pipeline found in this workspace.\n\n${links(['Refresh', CommandId.refresh], ['Show log', CommandId.showLog])}`);
        break;
      case 'restricted':
        this.item.text = '$(shield) Opsloop';
        this.item.command = CommandId.manageTrust;
        tooltip.appendMarkdown(`**Opsloop** runs nothing in Restricted Mode.\n\n${links(['Manage Workspace Trust', CommandId.manageTrust])}`);
        break;
      case 'idle':
        this.item.text =
          state.jobs > 0 ? `$(pulse) ${state.jobs} ${state.jobs === 1 ? 'job' : 'jobs'}` : `$(pulse) ${state.pipelines} ${state.pipelines === 1 ? 'pipeline' : 'pipelines'}`;
        this.item.command = CommandId.runPipeline;
        tooltip.appendMarkdown(
          `**Opsloop**: ${state.pipelines} ${state.pipelines === 1 ? 'pipeline' : 'pipelines'}, ${state.jobs} jobs.\n\n${links(['Run pipeline', CommandId.runPipeline], ['Show log', CommandId.showLog])}`,
        );
        break;
      case 'running':
        this.item.text = `$(sync~spin) ${state.current} ${state.done}/${state.total}`;
        this.item.command = CommandId.openRun;
        tooltip.appendMarkdown(`**Running**: ${state.done} of ${state.total} jobs done, now \`${state.current}\`.\n\n${links(['Open run', CommandId.openRun], ['Cancel', CommandId.cancelRun])}`);
        break;
      case 'finished': {
        const icon = state.status === 'passed' ? '$(pass)' : state.status === 'failed' ? '$(error)' : '$(circle-slash)';
        this.item.text = `${icon} ${state.status} ${formatDuration(state.durationMs)}`;
        this.item.command = CommandId.openRun;
        if (state.status === 'failed') this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        const failed = state.failedJobs.length > 0 ? `\n\nFailed: ${state.failedJobs.map((j) => `\`${j}\``).join(', ')}` : '';
        tooltip.appendMarkdown(
          `**Run ${state.status}** in ${formatDuration(state.durationMs)}.${failed}\n\n${links(['Open run', CommandId.openRun], ['Re-run failed', CommandId.rerunFailed], ['Run pipeline', CommandId.runPipeline])}`,
        );
        break;
      }
    }
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `Opsloop: ${this.item.text.replace(/\$\([^)]*\)\s*/g, '')}` };
  }

  dispose(): void {
    this.item.dispose();
  }
}
