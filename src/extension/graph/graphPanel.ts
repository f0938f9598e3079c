import * as vscode from 'vscode';
import { type GraphJobState, layoutPipelineGraph } from '../../core/pipeline/graphLayout';
import type { Pipeline, Plan } from '../../core/pipeline/model';
import type { RunState } from '../../core/run/runState';
import { type GraphRequest, graphRequests, type GraphSnapshot } from '../../shared/graphProtocol';
import { CommandId } from '../commandIds';
import type { Container } from '../container';
import { getPlanService } from '../pipelines/planService';
import { WebviewPanel } from '../webviews/webviewPanel';

/**
 * The pipeline graph panel: stage columns, jobs and their needs, with the live state of the
 * latest run of the shown pipeline. Actions go through the same commands as the palette, so
 * Restricted Mode and errors are handled in one place.
 */
export class GraphPanel implements vscode.Disposable {
  private readonly panel: WebviewPanel<typeof graphRequests, GraphSnapshot>;
  private readonly disposables: vscode.Disposable[] = [];
  private plan: Plan | undefined;
  private selectedFile: string | null = null;
  private readonly runs = new Map<string, RunState>();

  constructor(private readonly container: Container) {
    this.panel = new WebviewPanel(
      container,
      {
        viewType: 'opsloop.graph',
        title: 'Pipeline Graph',
        bundle: 'graphPanel',
        requests: graphRequests,
        icon: vscode.Uri.joinPath(container.context.extensionUri, 'media', 'opsloop.svg'),
      },
      { snapshot: () => this.snapshot(), onRequest: (request) => this.onRequest(request) },
    );
    const plans = getPlanService(container);
    this.disposables.push(
      plans.onDidChange((plan) => {
        this.plan = plan;
        this.panel.update();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.panel.update()),
    );
  }

  /** Shows the graph of `file` (or the one shown last, or the first pipeline). */
  async show(file?: string): Promise<void> {
    if (file) this.selectedFile = file;
    this.panel.show();
    this.plan = await getPlanService(this.container).get();
    this.panel.update();
  }

  /** Live state: the tree, the status bar and this panel follow the same RunEvents. */
  updateRun(run: RunState): void {
    this.runs.set(run.pipeline.file, run);
    if (run.pipeline.file === this.currentPipeline()?.file) this.panel.update();
  }

  get rejectedMessages(): number {
    return this.panel.rejected;
  }

  private currentPipeline(): Pipeline | undefined {
    const pipelines = this.plan?.pipelines ?? [];
    return pipelines.find((p) => p.file === this.selectedFile) ?? pipelines[0];
  }

  snapshot(): GraphSnapshot {
    const pipelines = (this.plan?.pipelines ?? []).map((p) => ({ file: p.file, name: p.name }));
    const pipeline = this.currentPipeline();
    const trusted = vscode.workspace.isTrusted;
    if (!pipeline) {
      return { pipelines, selectedFile: null, view: null, run: null, trusted, message: this.plan ? 'No pipeline found in this workspace.' : 'Loading the pipelines…' };
    }
    const run = this.runs.get(pipeline.file);
    const states = new Map<string, GraphJobState>();
    for (const job of run?.jobs ?? []) {
      states.set(job.id, { status: job.status, allowedFailure: job.allowedFailure, ...(job.durationMs !== undefined ? { durationMs: job.durationMs } : {}) });
    }
    const errors = pipeline.diagnostics.filter((d) => d.severity === 'error').length;
    const done = run?.jobs.filter((j) => j.status !== 'queued' && j.status !== 'running' && !(j.status === 'manual' && j.waiting)).length ?? 0;
    return {
      pipelines,
      selectedFile: pipeline.file,
      view: layoutPipelineGraph(pipeline, states),
      run: run ? { id: run.runId, status: run.status, done, total: run.jobs.length, ...(run.durationMs !== undefined ? { durationMs: run.durationMs } : {}) } : null,
      trusted,
      ...(errors > 0 ? { message: `${errors} ${errors === 1 ? 'error' : 'errors'} in ${pipeline.file}: see the Problems panel.` } : {}),
    };
  }

  private async onRequest(request: GraphRequest): Promise<void> {
    const pipeline = this.currentPipeline();
    switch (request.type) {
      case 'selectPipeline':
        this.selectedFile = request.file;
        this.panel.update();
        return;
      case 'revealJob':
        await vscode.commands.executeCommand(CommandId.revealDefinition, request.jobId);
        return;
      case 'runJob':
        await vscode.commands.executeCommand(CommandId.runJob, request.jobId);
        return;
      case 'showJobLog':
        await vscode.commands.executeCommand(CommandId.showJobLog, request.jobId);
        return;
      case 'runPipeline':
        await vscode.commands.executeCommand(CommandId.runPipeline, pipeline?.file);
        return;
      case 'rerunFailed':
        await vscode.commands.executeCommand(CommandId.rerunFailed, pipeline ? this.runs.get(pipeline.file)?.runId : undefined);
        return;
      case 'cancelRun':
        await vscode.commands.executeCommand(CommandId.cancelRun, pipeline ? this.runs.get(pipeline.file)?.runId : undefined);
        return;
      case 'ready':
        return;
    }
  }

  dispose(): void {
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

export function getGraphPanel(container: Container): GraphPanel {
  return container.service('graph', () => new GraphPanel(container));
}
