/**
 * A real VS Code for tests on machines that cannot download one: code-server (VS Code's own
 * server and workbench, from npm) plus Debian's Chromium driven by playwright-core.
 * See ../shared/recipes/vscode-in-ci.md.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { repoRoot } from '../support/paths';

export const codeServerVersion = '4.100.3';
const installDir = join(repoRoot, '.vscode-test', 'code-server');
const binary = join(installDir, 'node_modules', '.bin', 'code-server');

/** Chromium from Debian; a clear message when it is missing instead of a silent skip. */
export function chromiumPath(): string {
  for (const candidate of [process.env.OPSLOOP_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  throw new Error('Chromium is missing: install Debian\'s package (apt-get install chromium) or set OPSLOOP_CHROMIUM.');
}

/** Installs code-server into .vscode-test (git-ignored) unless it is there already. */
export function ensureCodeServer(): string {
  if (!existsSync(join(installDir, `.installed-${codeServerVersion}`))) {
    execFileSync(join(repoRoot, 'scripts', 'install-code-server.sh'), { stdio: 'inherit' });
  }
  return binary;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface CodeServerOptions {
  readonly workspace: string;
  /** Workspace Trust: 'trusted' turns the feature off (everything trusted); 'restricted' opens the folder in Restricted Mode without a prompt. */
  readonly trust: 'trusted' | 'restricted';
  readonly settings?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

export interface CodeServer {
  readonly port: number;
  readonly url: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly log: () => string;
  stop(): Promise<void>;
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const bin = ensureCodeServer();
  const port = await freePort();
  const base = mkdtempSync(join(tmpdir(), 'opsloop-cs-'));
  const userDataDir = join(base, 'user-data');
  const extensionsDir = join(base, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const trustSettings =
    options.trust === 'trusted'
      ? { 'security.workspace.trust.enabled': false }
      : { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false };
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'git.enabled': false,
        'workbench.enableExperiments': false,
        'window.commandCenter': false,
        ...trustSettings,
        ...options.settings,
      },
      null,
      2,
    ),
  );
  let output = '';
  const child: ChildProcess = spawn(
    bin,
    ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, options.workspace],
    { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    url,
    userDataDir,
    extensionsDir,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((r) => child.once('exit', r));
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** The URL that opens `workspace` with the extension under development and, optionally, its tests. */
export function workbenchUrl(server: CodeServer, workspace: string, testsModule?: string): string {
  const remote = (p: string): string => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload: [string, string][] = [
    ['extensionDevelopmentPath', remote(repoRoot)],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  if (testsModule) payload.push(['extensionTestsPath', remote(testsModule)]);
  return `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Opens the workbench and waits until it has rendered its status bar. */
export async function openWorkbench(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60_000 });
  return page;
}
