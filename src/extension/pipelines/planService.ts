import * as vscode from 'vscode';
import { describeError } from '../../core/errors';
import { pipelineFormatOf } from '../../core/pipeline/formats';
import type { Plan } from '../../core/pipeline/model';
import { loadWorkspacePlan } from '../../node/pipeline/loadPlan';
import type { Container } from '../container';

const emptyPlan: Plan = Object.freeze({ files: [], pipelines: [], diagnostics: [] });

/**
 * The workspace's validated plan, loaded from disk on first use and reloaded when a pipeline
 * file (or a file a pipeline includes) is saved, created, changed or deleted. Loads never overlap:
 * a refresh asked for during a load runs once after it. Reads files only (Restricted Mode is fine).
 */
export class PlanService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Plan>();
  /** Fires with each newly loaded plan. */
  readonly onDidChange: vscode.Event<Plan> = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private plan: Plan | undefined;
  private failure: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private queued: Promise<Plan> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private controller: AbortController | undefined;
  /** Workspace-relative files the current plan was built from (pipelines, includes, templates). */
  private sources = new Set<string>();
  private disposed = false;
  private watching = false;

  constructor(
    readonly folder: vscode.WorkspaceFolder | undefined,
    private readonly log: vscode.LogOutputChannel,
    private readonly debounceMs = 300,
  ) {}

  /**
   * Watches the files the plan is made of. Started by the first load, not in the constructor:
   * creating file watchers costs milliseconds that activation should not pay.
   */
  private watch(): void {
    const folder = this.folder;
    if (this.watching || !folder || this.disposed) return;
    this.watching = true;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '**/{*.yml,*.yaml,Jenkinsfile}'));
    const onFile = (uri: vscode.Uri): void => {
      if (this.isRelevant(uri)) this.scheduleRefresh();
    };
    // GitLab rules depend on the branch: a checkout (HEAD moves) can change the pipeline.
    const head = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.git/HEAD'));
    const onCheckout = (): void => {
      if (this.plan?.pipelines.some((p) => p.format === 'gitlab')) this.scheduleRefresh();
    };
    this.disposables.push(
      watcher,
      watcher.onDidCreate(onFile),
      watcher.onDidChange(onFile),
      watcher.onDidDelete(onFile),
      vscode.workspace.onDidSaveTextDocument((doc) => onFile(doc.uri)),
      // Trusted now: git may give GitLab its real branch and changed files.
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduleRefresh()),
      head,
      head.onDidChange(onCheckout),
      head.onDidCreate(onCheckout),
    );
  }

  /** The last loaded plan, if any. */
  current(): Plan | undefined {
    return this.plan;
  }

  /** Why the last load failed as a whole (an unreadable folder), if it did; files' own problems are diagnostics. */
  lastFailure(): string | undefined {
    return this.failure;
  }

  /** The plan, loading it the first time. */
  get(): Promise<Plan> {
    return this.plan ? Promise.resolve(this.plan) : (this.queued ?? this.refresh());
  }

  /** Loads the plan again (after any load in progress) and fires onDidChange. */
  refresh(): Promise<Plan> {
    this.watch();
    if (this.queued) return this.queued;
    const next = this.chain.then(() => {
      this.queued = undefined;
      return this.load();
    });
    this.queued = next;
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** A refresh after a short quiet period (saves and file events come in bursts). */
  scheduleRefresh(): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, this.debounceMs);
  }

  /** Is this file one the plan is made of, or a place a CI looks for pipelines? */
  isRelevant(uri: vscode.Uri): boolean {
    if (!this.folder) return false;
    const rel = relativePath(this.folder, uri);
    if (rel === undefined) return false;
    return pipelineFormatOf(rel) !== undefined || this.sources.has(rel);
  }

  /** Workspace-relative path of a URI in the folder, forward slashes; undefined outside it. */
  relative(uri: vscode.Uri): string | undefined {
    return this.folder ? relativePath(this.folder, uri) : undefined;
  }

  /** The URI of a workspace-relative path. */
  uriOf(file: string): vscode.Uri | undefined {
    return this.folder ? vscode.Uri.joinPath(this.folder.uri, ...file.split('/')) : undefined;
  }

  private async load(): Promise<Plan> {
    if (this.disposed) return this.plan ?? emptyPlan;
    if (!this.folder) return this.publish(emptyPlan);
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const started = performance.now();
    try {
      // git gives GitLab its pipeline context; it runs only in a trusted workspace (reliability.md item 19).
      const plan = await loadWorkspacePlan(this.folder.uri.fsPath, { signal: controller.signal, useGit: vscode.workspace.isTrusted });
      this.failure = undefined;
      const jobs = plan.pipelines.reduce((n, p) => n + p.jobs.length, 0);
      this.log.info(`Plan: ${plan.pipelines.length} pipelines, ${jobs} jobs, ${plan.diagnostics.length} diagnostics in ${(performance.now() - started).toFixed(1)} ms.`);
      return this.publish(plan);
    } catch (error) {
      this.failure = describeError(error);
      this.log.error(`Reading the pipelines failed: ${this.failure}`, error instanceof Error ? error.stack : undefined);
      return this.publish(this.plan ?? emptyPlan);
    }
  }

  private publish(plan: Plan): Plan {
    this.plan = plan;
    const sources = new Set<string>(plan.files);
    for (const p of plan.pipelines) {
      for (const j of p.jobs) {
        sources.add(j.source.file);
        for (const s of j.steps) if (s.range) sources.add(s.range.file);
      }
      for (const d of p.diagnostics) sources.add(d.file);
      const included = (p as { includedFiles?: unknown }).includedFiles;
      if (Array.isArray(included)) for (const f of included) if (typeof f === 'string') sources.add(f);
    }
    this.sources = sources;
    if (!this.disposed) this.changed.fire(plan);
    return plan;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.controller?.abort();
    for (const d of this.disposables) d.dispose();
  }
}

function relativePath(folder: vscode.WorkspaceFolder, uri: vscode.Uri): string | undefined {
  if (uri.scheme !== folder.uri.scheme) return undefined;
  const base = folder.uri.path.endsWith('/') ? folder.uri.path : `${folder.uri.path}/`;
  if (!uri.path.startsWith(base)) return undefined;
  return uri.path.slice(base.length);
}

/** The shared PlanService of this extension (created on first use). The runner and the graph use it too. */
export function getPlanService(container: Container): PlanService {
  return container.service('plans', () => new PlanService(container.workspaceFolder, container.log));
}
