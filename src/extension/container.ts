import * as vscode from 'vscode';
import { createLog } from './log';
import { PipelineStatusBar } from './statusBar';

/**
 * The composition root's product: the services, built once in activate() and handed to each
 * contribution. Heavy services are created on first use, never during activation.
 */
export class Container implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly statusBar: PipelineStatusBar;
  private readonly lazy = new Map<string, unknown>();

  constructor(readonly context: vscode.ExtensionContext) {
    this.log = createLog();
    this.statusBar = new PipelineStatusBar();
  }

  /** The folder Opsloop works on: the first workspace folder (multi-root: each contribution decides). */
  get workspaceFolder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  /** Registers a disposable for the lifetime of the extension. */
  track<T extends vscode.Disposable>(disposable: T): T {
    this.context.subscriptions.push(disposable);
    return disposable;
  }

  /** A service created by `create` the first time someone asks for `key`, then shared. */
  service<T>(key: string, create: () => T): T {
    if (!this.lazy.has(key)) {
      const value = create();
      this.lazy.set(key, value);
      if (value && typeof (value as { dispose?: unknown }).dispose === 'function') this.track(value as unknown as vscode.Disposable);
    }
    return this.lazy.get(key) as T;
  }

  dispose(): void {
    this.statusBar.dispose();
    this.log.dispose();
  }
}
