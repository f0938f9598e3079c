import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { type MessageOf, type MessageSpec, parseMessage } from '../../shared/ipc';
import type { Container } from '../container';

export interface PanelDefinition<S extends MessageSpec> {
  readonly viewType: string;
  readonly title: string;
  /** Name of the bundle in dist/webview (without .js); its .css is loaded when present. */
  readonly bundle: string;
  readonly requests: S;
  readonly icon?: vscode.Uri;
}

/** A fresh nonce for each render, from the OS's CSPRNG. */
export function createNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** The CSP every Opsloop webview uses: nothing but our own bundle, styles and fonts; no network. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function renderHtml(webview: vscode.Webview, bundleRoot: vscode.Uri, definition: { title: string; bundle: string }, nonce = createNonce()): string {
  const script = webview.asWebviewUri(vscode.Uri.joinPath(bundleRoot, `${definition.bundle}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(bundleRoot, `${definition.bundle}.css`));
  const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview.cspSource, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}" nonce="${nonce}">
<title>${escape(definition.title)}</title>
</head>
<body>
<div id="app" role="main"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}

/**
 * One webview panel: the HTML of design.md (CSP, nonce, bundle-only resource roots), every
 * message from the webview validated against the panel's request list, and state sent as a
 * whole snapshot after the webview said "ready" (again when a hidden panel becomes visible).
 */
export class WebviewPanel<S extends MessageSpec, N> implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private stale = true;
  private wasVisible = true;
  private readonly disposables: vscode.Disposable[] = [];
  /** Messages refused because they were not on the list (for tests and the log). */
  rejected = 0;

  constructor(
    private readonly container: Container,
    private readonly definition: PanelDefinition<S>,
    private readonly handlers: {
      snapshot(): N;
      onRequest(request: MessageOf<S>): unknown;
      onDidDispose?(): void;
      /** The panel was hidden and is shown again (its tab chosen). */
      onDidBecomeVisible?(): void;
    },
  ) {}

  get bundleRoot(): vscode.Uri {
    return vscode.Uri.joinPath(this.container.context.extensionUri, 'dist', 'webview');
  }

  get visible(): boolean {
    return this.panel?.visible ?? false;
  }

  show(column: vscode.ViewColumn = vscode.ViewColumn.Active): void {
    if (this.panel) {
      this.panel.reveal(column);
      return;
    }
    const panel = vscode.window.createWebviewPanel(this.definition.viewType, this.definition.title, column, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [this.bundleRoot],
      retainContextWhenHidden: false,
    });
    this.panel = panel;
    this.ready = false;
    this.wasVisible = true;
    if (this.definition.icon) panel.iconPath = this.definition.icon;
    panel.webview.html = renderHtml(panel.webview, this.bundleRoot, this.definition);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      panel.onDidChangeViewState(() => {
        // Without retainContextWhenHidden the webview reloads when shown again; it says ready again.
        if (panel.visible && this.stale) this.push();
        if (panel.visible && !this.wasVisible) this.handlers.onDidBecomeVisible?.();
        this.wasVisible = panel.visible;
      }),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        for (const d of this.disposables.splice(0)) d.dispose();
        this.handlers.onDidDispose?.();
      }),
    );
  }

  /** The state changed: send it now if the webview can take it, else when it can. */
  update(): void {
    this.stale = true;
    if (this.ready && this.panel?.visible) this.push();
  }

  private push(): void {
    if (!this.panel || !this.ready) return;
    this.stale = false;
    void this.panel.webview.postMessage({ type: 'snapshot', snapshot: this.handlers.snapshot() });
  }

  private receive(message: unknown): void {
    const request = parseMessage(this.definition.requests, message);
    if (!request) {
      this.rejected++;
      this.container.log.warn(`${this.definition.viewType}: ignored a message that is not on the panel's list: ${JSON.stringify(message).slice(0, 200)}`);
      return;
    }
    if (request.type === 'ready') {
      this.ready = true;
      this.push();
      return;
    }
    try {
      const result = this.handlers.onRequest(request);
      if (result instanceof Promise) result.catch((error: unknown) => this.container.log.error(`${this.definition.viewType}: ${String(error)}`));
    } catch (error) {
      this.container.log.error(`${this.definition.viewType}: ${String(error)}`);
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
