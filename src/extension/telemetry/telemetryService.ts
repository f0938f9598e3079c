import * as vscode from 'vscode';
import { type HttpSourceConfig, isHttpSource, type LogConfig, type OpsloopConfig, type QueryConfig, type SourceConfig, environmentOf } from '../../core/config/opsloopConfig';
import { describeError, OpsloopError } from '../../core/errors';
import type { Deployment } from '../../core/incidents/model';
import type { LogRecord } from '../../core/telemetry/logs';
import type { DataGap, SeriesResult } from '../../core/telemetry/series';
import { HttpClient } from '../../node/http/httpClient';
import { createTelemetrySource } from '../../node/telemetry/createSource';
import { FileSource } from '../../node/telemetry/fileSource';
import type { LabelRequest, SourceCredentials, TelemetrySource, TimeRange } from '../../node/telemetry/telemetrySource';
import { describeSource } from '../../node/telemetry/telemetrySource';
import { checkAllowed, consentQuestion, originOf, tokenProblem } from '../../node/telemetry/tokenPolicy';
import type { Container } from '../container';
import { getConfigStore, type OpsloopConfigStore } from './configStore';
import { readTelemetrySettings, retryPolicyOf } from './telemetrySettings';
import { OriginConsent, type TelemetryPrompts, TokenStore, vscodePrompts } from './tokenStore';

/** A failure as data the UI can show: what failed, why, and the next step ("Set Token"). */
export interface Failure {
  readonly source: string;
  readonly kind: string;
  readonly message: string;
  readonly nextStep?: string;
}

export interface QueryOutcome {
  readonly query: QueryConfig;
  /** Present when the source answered (possibly partially: see `result.partial`). */
  readonly result?: SeriesResult;
  /** Present when it failed: the chart shows this, never an empty "no anomaly" line. */
  readonly failure?: Failure;
}

export interface DeploymentsOutcome {
  readonly deployments: Deployment[];
  /** Ranges a source answered only in part. */
  readonly partial: DataGap[];
  /** Deployment sources that failed. */
  readonly failures: Failure[];
}

export interface LogsOutcome {
  readonly records: LogRecord[];
  readonly partial: DataGap[];
  readonly failures: Failure[];
}

export function failureOf(source: string, error: unknown): Failure {
  if (OpsloopError.is(error)) return { source, kind: error.kind, message: error.message, ...(error.nextStep ? { nextStep: error.nextStep } : {}) };
  return { source, kind: 'internal', message: describeError(error) };
}

/**
 * The telemetry the later panels and analyses ask for: queries against the sources of
 * `.opsloop.yml`, the deployments its build-info entries reveal, its logs, label completion,
 * and "Opsloop: Set Token". Created on first use (`getTelemetryService`), never at activation.
 *
 * Rules kept here: tokens live in SecretStorage per origin; the first time a token would go to
 * a workspace-configured origin the person is shown the URL and asked (remembered per origin);
 * Restricted Mode sends no requests at all; partial or failed data comes back as such.
 */
export class TelemetryService implements vscode.Disposable {
  private readonly tokens: TokenStore;
  private readonly consent: OriginConsent;
  private readonly sources = new Map<string, TelemetrySource>();
  private readonly pendingConsent = new Map<string, Promise<boolean>>();
  private readonly disposables: vscode.Disposable[] = [];
  private http: HttpClient;
  private prompts: TelemetryPrompts = vscodePrompts;
  private readonly tokenChanged = new vscode.EventEmitter<string>();
  /** Fires with the origin whose token was set or removed. */
  readonly onDidChangeToken = this.tokenChanged.event;

  constructor(
    private readonly container: Container,
    private readonly store: OpsloopConfigStore,
  ) {
    this.tokens = new TokenStore(container.context.secrets);
    this.consent = new OriginConsent(container.context.globalState);
    this.http = this.makeClient();
    this.disposables.push(
      this.tokenChanged,
      store.onDidChange(() => this.sources.clear()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('opsloop.telemetry')) {
          this.http = this.makeClient();
          this.sources.clear();
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.sources.clear()),
    );
  }

  /** Replaces the questions asked of the person (integration tests answer them). */
  setPromptsForTest(prompts: TelemetryPrompts): void {
    this.prompts = prompts;
  }

  private makeClient(): HttpClient {
    const settings = readTelemetrySettings();
    return new HttpClient({ timeoutMs: settings.timeoutSeconds * 1000, maxBytes: settings.maxResponseBytes, retry: retryPolicyOf(settings), proxy: 'host', userAgent: 'opsloop-vscode' });
  }

  async config(): Promise<OpsloopConfig> {
    await this.store.ready();
    return this.store.config;
  }

  private async sourceConfig(name: string): Promise<SourceConfig> {
    const config = await this.config();
    const source = config.sources.find((s) => s.name === name);
    if (!source) {
      const file = this.store.file ? vscode.workspace.asRelativePath(this.store.file, false) : '.opsloop.yml';
      throw new OpsloopError('notFound', `No telemetry source is named '${name}' in ${file}${config.sources.length ? ` (sources: ${config.sources.map((s) => s.name).join(', ')})` : ''}.`, 'Open .opsloop.yml');
    }
    return source;
  }

  /** The adapter of a source, after the Restricted Mode check (made at every use, not only once). */
  private async source(name: string): Promise<TelemetrySource> {
    const config = await this.sourceConfig(name);
    checkAllowed(config, vscode.workspace.isTrusted);
    let source = this.sources.get(name);
    if (!source) {
      const settings = readTelemetrySettings();
      source = createTelemetrySource(config, {
        http: this.http,
        credentials: (c) => this.credentialsFor(c),
        root: this.container.workspaceFolder?.uri.fsPath ?? process.cwd(),
        allowOutsideRoot: vscode.workspace.isTrusted,
        concurrency: settings.concurrency,
        timeoutMs: settings.timeoutSeconds * 1000,
        maxBytes: settings.maxResponseBytes,
      });
      this.sources.set(name, source);
    }
    return source;
  }

  /** The stored token of a source's origin, handed out only when the person allowed that origin. */
  private async credentialsFor(source: SourceConfig): Promise<SourceCredentials | undefined> {
    const origin = originOf(source);
    if (origin === undefined) return undefined;
    checkAllowed(source, vscode.workspace.isTrusted);
    const stored = await this.tokens.get(origin);
    if (!stored) return undefined;
    if (!(await this.confirm(source, origin))) {
      throw new OpsloopError('untrusted', `${describeSource(source)}: the token was not sent, because sending it to ${origin} was not allowed.`, 'Set Token');
    }
    return stored;
  }

  /** Asks once per origin (concurrent queries share the question) and remembers a yes. */
  private confirm(source: SourceConfig, origin: string): Promise<boolean> {
    if (this.consent.has(origin)) return Promise.resolve(true);
    let pending = this.pendingConsent.get(origin);
    if (!pending) {
      pending = this.prompts.confirmOrigin(consentQuestion(source, origin)).then(async (yes) => {
        if (yes) await this.consent.add(origin);
        return yes;
      });
      pending.finally(() => this.pendingConsent.delete(origin)).catch(() => undefined);
      this.pendingConsent.set(origin, pending);
    }
    return pending;
  }

  async query(sourceName: string, query: string, range: TimeRange, signal?: AbortSignal): Promise<SeriesResult> {
    const source = await this.source(sourceName);
    const started = performance.now();
    try {
      const result = await source.query(query, range, signal);
      const points = result.series.reduce((n, s) => n + s.times.length, 0);
      this.container.log.info(`${sourceName}: ${result.series.length} series, ${points} points in ${(performance.now() - started).toFixed(0)} ms${result.partial?.length ? `, PARTIAL (${result.partial.length} gaps)` : ''}.`);
      return result;
    } catch (error) {
      if (!OpsloopError.is(error, 'cancelled')) this.container.log.warn(`${sourceName}: query failed: ${describeError(error)}`);
      throw error;
    }
  }

  /** Every configured query (or those of one service), each with its result or its failure. */
  async queryConfigured(range: TimeRange, signal?: AbortSignal, filter: { service?: string } = {}): Promise<QueryOutcome[]> {
    const config = await this.config();
    const queries = config.queries.filter((q) => filter.service === undefined || q.service === filter.service);
    return Promise.all(
      queries.map(async (q): Promise<QueryOutcome> => {
        try {
          return { query: q, result: await this.query(q.source, q.query, q.stepSeconds !== undefined ? { ...range, step: q.stepSeconds } : range, signal) };
        } catch (error) {
          if (OpsloopError.is(error, 'cancelled')) throw error;
          return { query: q, failure: failureOf(q.source, error) };
        }
      }),
    );
  }

  /** Deployments from the build-info entries of `deployments` (pipeline and git-tag entries come from the runs and git services). */
  async deployments(range: TimeRange, signal?: AbortSignal, filter: { service?: string } = {}): Promise<DeploymentsOutcome> {
    const config = await this.config();
    const out: DeploymentsOutcome = { deployments: [], partial: [], failures: [] };
    for (const entry of config.deployments) {
      if (entry.kind !== 'buildInfo' || (filter.service !== undefined && entry.service !== undefined && entry.service !== filter.service)) continue;
      try {
        const source = await this.source(entry.source);
        if (!source.deployments) throw new OpsloopError('unsupported', `${entry.source} cannot answer build-info queries.`);
        const sourceConfig = await this.sourceConfig(entry.source);
        const r = await source.deployments(
          {
            query: entry.query,
            environment: entry.environment ?? environmentOf(sourceConfig),
            ...(entry.service !== undefined ? { service: entry.service } : {}),
            ...(entry.revisionLabel !== undefined ? { revisionLabel: entry.revisionLabel } : {}),
          },
          range,
          signal,
        );
        out.deployments.push(...r.deployments.filter((d) => filter.service === undefined || d.service === undefined || d.service === filter.service));
        out.partial.push(...(r.partial ?? []));
      } catch (error) {
        if (OpsloopError.is(error, 'cancelled')) throw error;
        out.failures.push(failureOf(entry.source, error));
      }
    }
    out.deployments.sort((a, b) => a.time - b.time);
    return out;
  }

  /** Log records of the `logs` entries (JSON lines files, Splunk searches) in the range. */
  async logs(range: TimeRange, signal?: AbortSignal, filter: { service?: string } = {}): Promise<LogsOutcome> {
    const config = await this.config();
    const out: LogsOutcome = { records: [], partial: [], failures: [] };
    for (const entry of config.logs) {
      if (filter.service !== undefined && entry.service !== undefined && entry.service !== filter.service) continue;
      const label = entry.source ?? entry.path ?? 'logs';
      try {
        const r = await this.readLog(entry, range, signal);
        out.records.push(...r.records);
        out.partial.push(...(r.partial ?? []));
      } catch (error) {
        if (OpsloopError.is(error, 'cancelled')) throw error;
        out.failures.push(failureOf(label, error));
      }
    }
    out.records.sort((a, b) => a.time - b.time);
    return out;
  }

  private async readLog(entry: LogConfig, range: TimeRange, signal?: AbortSignal): Promise<{ records: LogRecord[]; partial?: readonly DataGap[] }> {
    if (entry.kind === 'splunk') {
      const source = await this.source(entry.source!);
      return source.logs!(range, signal, entry.query);
    }
    const file = new FileSource(
      { name: entry.source ?? 'logs', kind: 'file', path: entry.path!, format: 'jsonl' },
      { http: this.http, credentials: async () => undefined, root: this.container.workspaceFolder?.uri.fsPath ?? process.cwd(), allowOutsideRoot: vscode.workspace.isTrusted },
    );
    return file.logs(range, signal, entry.path);
  }

  /** Label names, or values of one label, for completion. */
  async labels(sourceName: string, request: LabelRequest, signal?: AbortSignal): Promise<string[]> {
    const source = await this.source(sourceName);
    return source.labels ? source.labels(request, signal) : [];
  }

  /** Whether a token is stored for the source's origin. */
  async hasToken(sourceName: string): Promise<boolean> {
    const origin = originOf(await this.sourceConfig(sourceName));
    return origin !== undefined && (await this.tokens.get(origin)) !== undefined;
  }

  /**
   * "Opsloop: Set Token": pick a source (unless named), show its URL and ask once whether tokens
   * may go there, then ask for the token (and Datadog's application key). An empty answer removes
   * the stored token. Returns true when something was stored or removed.
   */
  async setToken(sourceName?: string): Promise<boolean> {
    if (!vscode.workspace.isTrusted) throw new OpsloopError('untrusted', 'Opsloop stores no token in Restricted Mode.', 'Manage Workspace Trust');
    const config = await this.config();
    const candidates = config.sources.filter(isHttpSource);
    let source: HttpSourceConfig | undefined;
    if (sourceName !== undefined) {
      const found = config.sources.find((s) => s.name === sourceName);
      if (!found) throw new OpsloopError('notFound', `No telemetry source is named '${sourceName}'.`);
      if (!isHttpSource(found)) throw new OpsloopError('invalidInput', `Source '${sourceName}' reads a file: it needs no token.`);
      source = found;
    } else if (candidates.length === 0) {
      throw new OpsloopError('notFound', 'No telemetry source in .opsloop.yml needs a token: add a prometheus, dynatrace, splunk or datadog source first.', 'Open .opsloop.yml');
    } else {
      source = candidates.length === 1 ? candidates[0] : await this.prompts.pickSource(candidates);
    }
    if (!source) return false;
    const origin = new URL(source.url).origin;
    if (!(await this.confirm(source, origin))) return false;
    const validate = (v: string): string | undefined => tokenProblem(v);
    const what = describeSource(source);
    const basic = source.kind === 'prometheus' && source.auth === 'basic';
    const placeHolder = source.kind === 'dynatrace' ? 'dt0c01....' : basic ? 'user:password' : undefined;
    const first = await this.prompts.inputSecret({
      title: `Opsloop: token for ${source.name}`,
      prompt:
        source.kind === 'datadog'
          ? `Datadog API key for ${origin} (stored in VS Code's secret storage, sent only to this origin). Leave empty to remove the stored keys.`
          : `${basic ? 'user:password' : 'Token'} for ${what}: stored in VS Code's secret storage and sent only to ${origin}. Leave empty to remove the stored token.`,
      ...(placeHolder !== undefined ? { placeHolder } : {}),
      validate,
    });
    if (first === undefined) return false;
    if (first === '') {
      await this.tokens.delete(origin);
      this.tokenChanged.fire(origin);
      void vscode.window.showInformationMessage(`Opsloop: removed the token for ${origin}.`);
      return true;
    }
    const problem = tokenProblem(first);
    if (problem) throw new OpsloopError('invalidInput', problem);
    let applicationKey: string | undefined;
    if (source.kind === 'datadog') {
      applicationKey = await this.prompts.inputSecret({ title: `Opsloop: application key for ${source.name}`, prompt: `Datadog application key for ${origin}.`, validate });
      if (!applicationKey) return false;
      const p = tokenProblem(applicationKey);
      if (p) throw new OpsloopError('invalidInput', p);
    }
    await this.tokens.set(origin, applicationKey ? { token: first, applicationKey } : { token: first });
    this.sources.clear();
    this.tokenChanged.fire(origin);
    this.container.log.info(`Stored a token for ${origin} (source ${source.name}).`);
    void vscode.window.showInformationMessage(`Opsloop: token stored for ${origin}; it is sent only there.`);
    return true;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

export function getTelemetryService(container: Container): TelemetryService {
  return container.service('telemetry', () => new TelemetryService(container, getConfigStore(container)));
}
