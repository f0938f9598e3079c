import * as vscode from 'vscode';
import { configFileNames, emptyConfig, type OpsloopConfig } from '../../core/config/opsloopConfig';
import { type ConfigDiagnostic, parseOpsloopConfig } from '../../core/config/validateConfig';
import type { Container } from '../container';

const severities: Readonly<Record<ConfigDiagnostic['severity'], vscode.DiagnosticSeverity>> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

function toDiagnostic(d: ConfigDiagnostic): vscode.Diagnostic {
  const start = new vscode.Position(Math.max(0, d.range.line - 1), Math.max(0, d.range.column - 1));
  const endLine = Math.max(start.line, d.range.endLine - 1);
  const endColumn = Math.max(0, d.range.endColumn - 1);
  const end = endLine === start.line && endColumn <= start.character ? start.translate(0, 1) : new vscode.Position(endLine, endColumn);
  const diagnostic = new vscode.Diagnostic(new vscode.Range(start, end), d.message, severities[d.severity]);
  diagnostic.source = 'opsloop';
  return diagnostic;
}

/**
 * The workspace's `.opsloop.yml` (or `.yaml`, `.json`), kept current: read when it is created,
 * changed or deleted on disk, its problems in the Problems panel — also while it is being
 * edited, from the editor's unsaved text. Reading and checking a file runs nothing, so this
 * also works in Restricted Mode.
 */
export class OpsloopConfigStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<OpsloopConfig>();
  readonly onDidChange = this.changed.event;
  private readonly diagnostics: vscode.DiagnosticCollection;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private current: OpsloopConfig = emptyConfig;
  private uri: vscode.Uri | undefined;
  private loading: Promise<void> | undefined;
  private editTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly folder: vscode.WorkspaceFolder | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.diagnostics = vscode.languages.createDiagnosticCollection('opsloop-config');
    this.disposables.push(this.diagnostics);
    if (folder) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.opsloop.{yml,yaml,json}'));
      const reload = (): void => void this.reload();
      this.disposables.push(watcher, watcher.onDidCreate(reload), watcher.onDidChange(reload), watcher.onDidDelete(reload));
      this.disposables.push(
        vscode.workspace.onDidChangeTextDocument((e) => {
          if (!this.isConfigDocument(e.document)) return;
          if (this.editTimer) clearTimeout(this.editTimer);
          this.editTimer = setTimeout(() => this.check(e.document.uri, e.document.getText()), 300);
        }),
        vscode.workspace.onDidCloseTextDocument((d) => {
          if (this.isConfigDocument(d) && d.isDirty) void this.reload();
        }),
      );
    }
  }

  get config(): OpsloopConfig {
    return this.current;
  }

  /** The configuration file read, if there is one. */
  get file(): vscode.Uri | undefined {
    return this.uri;
  }

  /** Resolves once the file has been read (the first read starts on the first call). */
  ready(): Promise<void> {
    this.loading ??= this.reload();
    return this.loading;
  }

  async reload(): Promise<void> {
    const task = this.read();
    this.loading = task;
    await task;
  }

  private isConfigDocument(document: vscode.TextDocument): boolean {
    if (!this.folder || document.uri.scheme !== this.folder.uri.scheme) return false;
    const rel = vscode.workspace.asRelativePath(document.uri, false);
    return (configFileNames as readonly string[]).includes(rel);
  }

  private async read(): Promise<void> {
    if (!this.folder) return;
    let found: vscode.Uri | undefined;
    let text: string | undefined;
    for (const name of configFileNames) {
      const uri = vscode.Uri.joinPath(this.folder.uri, name);
      try {
        const bytes = await vscode.workspace.fs.readFile(uri);
        if (found) {
          this.log.warn(`${name} is ignored: ${vscode.workspace.asRelativePath(found, false)} is read first.`);
          continue;
        }
        found = uri;
        text = new TextDecoder('utf-8').decode(bytes);
      } catch {
        // not there
      }
    }
    const previous = this.uri;
    this.uri = found;
    if (previous && (!found || previous.toString() !== found.toString())) this.diagnostics.delete(previous);
    if (!found || text === undefined) {
      this.current = emptyConfig;
      this.changed.fire(this.current);
      return;
    }
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === found!.toString());
    this.current = this.check(found, text, open?.isDirty ? open.getText() : undefined);
    this.log.info(`Read ${vscode.workspace.asRelativePath(found, false)}: ${this.current.sources.length} telemetry sources, ${this.current.queries.length} queries.`);
    this.changed.fire(this.current);
  }

  /** Validates `text` and publishes its diagnostics (of `shown` when the editor holds unsaved changes). */
  private check(uri: vscode.Uri, text: string, shown?: string): OpsloopConfig {
    const result = parseOpsloopConfig(text, vscode.workspace.asRelativePath(uri, false));
    const visible = shown !== undefined ? parseOpsloopConfig(shown, vscode.workspace.asRelativePath(uri, false)) : result;
    this.diagnostics.set(uri, visible.diagnostics.map(toDiagnostic));
    return result.config;
  }

  /** The problems currently shown for the configuration file. */
  problems(): readonly vscode.Diagnostic[] {
    return this.uri ? (this.diagnostics.get(this.uri) ?? []) : [];
  }

  dispose(): void {
    if (this.editTimer) clearTimeout(this.editTimer);
    for (const d of this.disposables) d.dispose();
  }
}

export function getConfigStore(container: Container): OpsloopConfigStore {
  return container.service('opsloopConfig', () => new OpsloopConfigStore(container.workspaceFolder, container.log));
}
