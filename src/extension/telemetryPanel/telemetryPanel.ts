import * as vscode from 'vscode';
import type { Anomaly } from '../../core/anomaly/anomaly';
import { detectAnomalies, isSensitivity, type Sensitivity } from '../../core/anomaly/detect';
import { layoutChart } from '../../core/charts/chartLayout';
import { formatDateTime, formatDurationMs } from '../../core/charts/format';
import type { GitTagsDeploymentConfig } from '../../core/config/opsloopConfig';
import { describeError, OpsloopError } from '../../core/errors';
import { deploymentBefore, mergeDeployments } from '../../core/incidents/deployments';
import type { Deployment } from '../../core/incidents/model';
import { isRunFinished } from '../../core/run/runState';
import type { Series } from '../../core/telemetry/series';
import { gitTagDeployments } from '../../node/incidents/gitTagDeployments';
import { type AnomalyRow, type TelemetryChart, type TelemetryRequest, telemetryRequests, type TelemetrySnapshot } from '../../shared/telemetryProtocol';
import { CommandId } from '../commandIds';
import type { Container } from '../container';
import { getConfigStore } from '../telemetry/configStore';
import { failureOf, getTelemetryService, type QueryOutcome } from '../telemetry/telemetryService';
import { getRunService } from '../runs/runService';
import { WebviewPanel } from '../webviews/webviewPanel';

const ranges = [
  { key: '6h', label: 'Last 6 hours', seconds: 6 * 3600 },
  { key: '24h', label: 'Last 24 hours', seconds: 86400 },
  { key: '3d', label: 'Last 3 days', seconds: 3 * 86400 },
  { key: '7d', label: 'Last 7 days', seconds: 7 * 86400 },
  { key: '30d', label: 'Last 30 days', seconds: 30 * 86400 },
  // All of recorded or imported data; 30 days of a live source.
  { key: 'all', label: 'All data', seconds: 30 * 86400 },
] as const;
type RangeKey = (typeof ranges)[number]['key'];

/** History fetched before the visible window, so the detector knows what is usual there. */
const warmupSeconds = 3 * 86400;
const maxSeriesPerChart = 8;

interface Loaded {
  readonly anchor: number;
  readonly outcomes: readonly QueryOutcome[];
  readonly deployments: readonly Deployment[];
  readonly deploymentProblems: readonly string[];
  readonly anomalies: ReadonlyMap<string, readonly Anomaly[]>;
  /** The earliest sample of recorded or imported data (for "All data"). */
  readonly first?: number;
}

/**
 * The telemetry panel: each configured query of a service as a chart, anomalies found by the
 * streaming detector marked on it, deployments on the same time axis. Partial and failed data
 * are shown as such, never as a quiet chart.
 */
export class TelemetryPanel implements vscode.Disposable {
  private readonly panel: WebviewPanel<typeof telemetryRequests, TelemetrySnapshot>;
  private readonly disposables: vscode.Disposable[] = [];
  private service: string | null = null;
  private range: RangeKey = '3d';
  private sensitivity: Sensitivity;
  private width = 900;
  private loaded: Loaded | undefined;
  private loading = false;
  private message: string | undefined;
  private controller: AbortController | undefined;
  private services: string[] = [];
  private changedWhileHidden = false;
  /** Exports a person imported (CSV or JSON from a dashboard), shown like a service of their own. */
  private readonly imports = new Map<string, QueryOutcome[]>();

  constructor(private readonly container: Container) {
    const configured = vscode.workspace.getConfiguration('opsloop').get<string>('anomalies.sensitivity', 'medium');
    this.sensitivity = isSensitivity(configured) ? configured : 'medium';
    this.panel = new WebviewPanel(
      container,
      { viewType: 'opsloop.telemetry', title: 'Opsloop Telemetry', bundle: 'telemetryPanel', requests: telemetryRequests, icon: vscode.Uri.joinPath(container.context.extensionUri, 'media', 'opsloop.svg') },
      {
        snapshot: () => this.snapshot(),
        onRequest: (r) => this.onRequest(r),
        onDidDispose: () => this.controller?.abort(),
        onDidBecomeVisible: () => {
          if (this.changedWhileHidden) void this.load();
        },
      },
    );
    const telemetry = getTelemetryService(container);
    // A local deploy job that just passed is a deployment: put it on the charts.
    const deployedRuns = new Set<string>();
    this.disposables.push(
      getRunService(container).onDidChangeRun((run) => {
        if (!isRunFinished(run) || deployedRuns.has(run.runId) || !run.jobs.some((j) => j.deployment)) return;
        deployedRuns.add(run.runId);
        this.reloadWhenVisible();
      }),
      getConfigStore(container).onDidChange(() => this.reloadWhenVisible()),
      telemetry.onDidChangeToken(() => this.reloadWhenVisible()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.reloadWhenVisible()),
    );
  }

  /** Sources are queried only for a panel someone sees; a hidden one catches up when shown. */
  private reloadWhenVisible(): void {
    if (this.panel.visible) void this.load();
    else this.changedWhileHidden = true;
  }

  /** Shows an imported export: one chart per value column, with the detector and the deployments as for a service. */
  async showImported(title: string, charts: readonly { name: string; series: readonly Series[] }[]): Promise<void> {
    const key = `Imported: ${title}`;
    this.imports.set(
      key,
      charts.map((c) => ({ query: { name: c.name, source: 'import', query: `${title} · ${c.name}` }, result: { series: [...c.series] } })),
    );
    this.service = key;
    this.range = 'all';
    await this.show(key);
  }

  async show(service?: string): Promise<void> {
    if (service) this.service = service;
    this.panel.show();
    await this.load();
  }

  /** What the panel shows now (also for tests). */
  snapshot(): TelemetrySnapshot {
    const base = {
      services: this.services,
      service: this.service,
      ranges: ranges.map((r) => ({ key: r.key, label: r.label })),
      range: this.range,
      sensitivity: this.sensitivity,
      trusted: vscode.workspace.isTrusted,
    };
    if (!this.loaded) return { ...base, charts: [], anomalies: [], ...(this.message ? { message: this.message } : { message: 'Loading telemetry…' }) };
    const { anchor, outcomes, deployments, anomalies } = this.loaded;
    const seconds = this.range === 'all' && this.loaded.first !== undefined ? Math.max(60, anchor - this.loaded.first) : ranges.find((r) => r.key === this.range)!.seconds;
    const from = anchor - seconds;
    const utcOffsetMinutes = -new Date(anchor * 1000).getTimezoneOffset();
    const charts: TelemetryChart[] = outcomes.map((outcome, index) => {
      const id = `${index}:${outcome.query.name}`;
      const common = { id, query: outcome.query.query, source: outcome.query.source };
      if (outcome.failure) {
        return {
          ...common,
          state: 'failed',
          message: `${outcome.failure.message}`,
          ...(outcome.failure.nextStep === 'Set Token' ? { action: { label: 'Set Token', request: 'setToken' as const } } : { action: { label: 'Try again', request: 'refresh' as const } }),
          view: null,
        };
      }
      const result = outcome.result!;
      const series = result.series.slice(0, maxSeriesPerChart);
      const partial = result.partial ?? [];
      const notes = [
        ...partial.map((g) => `Partial data: ${g.reason}`),
        ...(result.warnings ?? []).map((w) => `Warning from ${outcome.query.source}: ${w}`),
        ...(result.series.length > maxSeriesPerChart ? [`Showing ${maxSeriesPerChart} of ${result.series.length} series: narrow the query to see the rest.`] : []),
      ];
      const view = layoutChart({
        title: outcome.query.name,
        ...(outcome.query.unit !== undefined ? { unit: outcome.query.unit } : {}),
        series,
        anomalies: series.flatMap((s) => anomalies.get(`${id}|${seriesLabel(s)}`) ?? []),
        deployments,
        gaps: partial,
        from,
        to: anchor,
        width: Math.max(320, this.width - 24),
        height: 200,
        utcOffsetMinutes,
      });
      return { ...common, state: partial.length > 0 ? 'partial' : 'ok', ...(notes.length > 0 ? { message: notes.join(' ') } : {}), view };
    });
    const rows: AnomalyRow[] = [];
    outcomes.forEach((outcome, index) => {
      const id = `${index}:${outcome.query.name}`;
      for (const [key, list] of anomalies) {
        if (!key.startsWith(`${id}|`)) continue;
        for (const a of list) {
          if ((a.end ?? anchor) < from) continue;
          const before = deploymentBefore(deployments, a.onset, 6 * 3600);
          rows.push({
            chartId: id,
            onset: formatDateTime(a.onset, utcOffsetMinutes),
            explanation: a.explanation,
            severity: a.score >= 0.8 ? 'high' : a.score >= 0.5 ? 'medium' : 'low',
            ongoing: a.end === undefined,
            ...(before ? { afterDeployment: `${formatDurationMs((a.onset - before.time) * 1000)} after ${before.revision.slice(0, 7)} was deployed to ${before.environment}` } : {}),
          });
        }
      }
    });
    const problems = this.loaded.deploymentProblems;
    const message = this.loading ? 'Refreshing…' : problems.length > 0 ? `Deployments incomplete: ${problems.join('; ')}` : this.message;
    return { ...base, charts, anomalies: rows, ...(message ? { message } : {}) };
  }

  private async onRequest(request: TelemetryRequest): Promise<void> {
    switch (request.type) {
      case 'resize':
        if (request.width >= 200 && request.width <= 10_000 && Math.abs(request.width - this.width) >= 8) {
          this.width = Math.floor(request.width);
          this.panel.update();
        }
        return;
      case 'selectService':
        if (this.services.includes(request.service)) {
          this.service = request.service;
          await this.load();
        }
        return;
      case 'selectRange':
        if (ranges.some((r) => r.key === request.range)) {
          this.range = request.range as RangeKey;
          await this.load();
        }
        return;
      case 'setSensitivity':
        if (isSensitivity(request.sensitivity)) {
          this.sensitivity = request.sensitivity;
          await this.load();
        }
        return;
      case 'refresh':
        await this.load();
        return;
      case 'setToken':
        await vscode.commands.executeCommand(CommandId.setToken, request.source);
        return;
      case 'openConfig': {
        const folder = this.container.workspaceFolder;
        if (folder) await vscode.window.showTextDocument(vscode.Uri.joinPath(folder.uri, '.opsloop.yml'));
        return;
      }
      case 'ready':
        return;
    }
  }

  /** Queries the service's telemetry and deployments, and runs the detector over each series. */
  async load(): Promise<void> {
    this.changedWhileHidden = false;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.loading = true;
    this.panel.update();
    const telemetry = getTelemetryService(this.container);
    try {
      const config = await telemetry.config();
      const configured = [...new Set([...config.services.map((s) => s.name), ...config.queries.flatMap((q) => (q.service ? [q.service] : []))])];
      this.services = [...configured, ...this.imports.keys()];
      if (this.services.length === 0) {
        this.loaded = undefined;
        this.message = this.container.workspaceFolder
          ? 'No telemetry queries configured: add them to .opsloop.yml (see docs/telemetry.md), or import a CSV or JSON export with Opsloop: Import Telemetry Export.'
          : 'Open a folder with an .opsloop.yml to see its telemetry.';
        return;
      }
      if (!this.service || !this.services.includes(this.service)) this.service = this.services[0] ?? null;
      const imported = this.service ? this.imports.get(this.service) : undefined;
      const filter = this.service && !imported ? { service: this.service } : {};
      const seconds = ranges.find((r) => r.key === this.range)!.seconds;
      const now = Date.now() / 1000;
      // Recorded data ends when it was recorded: show the window that ends with it, not an empty "last 6 hours".
      const recordedOnly = imported !== undefined || config.queries.filter((q) => !this.service || q.service === this.service).every((q) => config.sources.find((s) => s.name === q.source)?.kind === 'file');
      const fetchRange = recordedOnly ? { start: 0, end: now } : { start: now - seconds - warmupSeconds, end: now };
      const outcomes = imported ?? (await telemetry.queryConfigured(fetchRange, controller.signal, filter));
      let anchor = now;
      if (recordedOnly) {
        const last = Math.max(...outcomes.flatMap((o) => o.result?.series.map((s) => s.times[s.times.length - 1] ?? Number.NEGATIVE_INFINITY) ?? []));
        if (Number.isFinite(last)) anchor = last;
      }
      const first = Math.min(...outcomes.flatMap((o) => o.result?.series.map((x) => x.times[0] ?? Number.POSITIVE_INFINITY) ?? []));
      const shownFrom = this.range === 'all' && recordedOnly && Number.isFinite(first) ? first : anchor - seconds;
      const deployRange = { start: shownFrom - warmupSeconds, end: anchor };
      const { deployments, problems } = await this.deployments(deployRange, controller.signal, filter, {
        tags: config.deployments.filter((d): d is GitTagsDeploymentConfig => d.kind === 'gitTags'),
        pipeline: config.deployments.some((d) => d.kind === 'pipeline'),
      });
      const anomalies = new Map<string, Anomaly[]>();
      outcomes.forEach((outcome, index) => {
        for (const series of outcome.result?.series.slice(0, maxSeriesPerChart) ?? []) {
          const named: Series = { ...series, name: outcome.query.name };
          const { anomalies: found } = detectAnomalies(named, { sensitivity: this.sensitivity, ...(outcome.query.unit !== undefined ? { unit: outcome.query.unit } : {}) });
          anomalies.set(`${index}:${outcome.query.name}|${seriesLabel(series)}`, found);
        }
      });
      if (controller.signal.aborted) return;
      this.loaded = { anchor, outcomes, deployments, deploymentProblems: problems, anomalies, ...(recordedOnly && Number.isFinite(first) ? { first } : {}) };
      this.message = recordedOnly ? `${imported ? 'Imported' : 'Recorded'} telemetry, up to ${formatDateTime(anchor, -new Date(anchor * 1000).getTimezoneOffset())}.` : undefined;
    } catch (error) {
      if (OpsloopError.is(error, 'cancelled') || controller.signal.aborted) return;
      this.loaded = undefined;
      this.message = `Telemetry could not be read: ${describeError(error)}`;
      this.container.log.error(`Telemetry panel: ${describeError(error)}`);
    } finally {
      if (this.controller === controller) {
        this.loading = false;
        this.panel.update();
      }
    }
  }

  /**
   * Build-info deployments from the sources, deploy tags from git (trusted workspaces only) and
   * the deploy jobs of local runs; one marker per revision and environment.
   */
  private async deployments(
    range: { start: number; end: number },
    signal: AbortSignal,
    filter: { service?: string },
    entries: { tags: readonly GitTagsDeploymentConfig[]; pipeline: boolean },
  ): Promise<{ deployments: Deployment[]; problems: string[] }> {
    const telemetry = getTelemetryService(this.container);
    const outcome = await telemetry.deployments(range, signal, filter);
    const all: Deployment[] = [...outcome.deployments];
    const problems = outcome.failures.map((f) => `${f.source}: ${f.message}`);
    const tags = entries.tags;
    if (entries.pipeline) {
      try {
        const recorded = getRunService(this.container).history.deployments();
        all.push(...recorded);
      } catch (error) {
        problems.push(`local runs: ${describeError(error)}`);
      }
    }
    const root = this.container.workspaceFolder?.uri.fsPath;
    if (root && vscode.workspace.isTrusted) {
      for (const entry of tags) {
        if (filter.service !== undefined && entry.service !== undefined && entry.service !== filter.service) continue;
        try {
          all.push(...(await gitTagDeployments(root, entry, range, { signal })));
        } catch (error) {
          if (OpsloopError.is(error, 'cancelled')) throw error;
          problems.push(failureOf(`git tags ${entry.pattern}`, error).message);
        }
      }
    }
    return { deployments: mergeDeployments([all], range, filter.service), problems };
  }

  dispose(): void {
    this.controller?.abort();
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function seriesLabel(series: Series): string {
  return Object.keys(series.labels)
    .sort()
    .map((k) => `${k}=${series.labels[k]}`)
    .join(',');
}

export function getTelemetryPanel(container: Container): TelemetryPanel {
  return container.service('telemetryPanel', () => new TelemetryPanel(container));
}
