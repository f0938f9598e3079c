/** What UI tests do as a person in the workbench: open views, run palette commands, read the status bar. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Frame, Locator, Page } from 'playwright-core';
import { type CodeServer, launchBrowser, openWorkbench, startCodeServer, workbenchUrl } from '../harness/codeServer';
import { repoRoot } from '../support/paths';

export const screenshotsDir = join(repoRoot, 'artifacts', 'screenshots');

export interface Session {
  readonly page: Page;
  readonly workspace: string;
  readonly server: CodeServer;
  close(): Promise<void>;
}

/** A fresh copy of the demo workspace (with its git history) opened in code-server with Opsloop loaded. */
export async function openDemo(options: { trust?: 'trusted' | 'restricted'; settings?: Record<string, unknown> } = {}): Promise<Session> {
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'prepareDemo.mjs'), '--quiet'], { cwd: repoRoot, stdio: 'inherit' });
  const workspace = join(mkdtempSync(join(tmpdir(), 'opsloop-ui-')), 'checkout');
  cpSync(join(repoRoot, 'demo-workspace'), workspace, { recursive: true });
  const server = await startCodeServer({ workspace, trust: options.trust ?? 'trusted', settings: options.settings });
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const page = await openWorkbench(browser, workbenchUrl(server, workspace));
    // The extension's contributions arrive after the workbench renders: wait for its activity-bar entry.
    await page.locator('.activitybar .action-item a[aria-label^="Opsloop"]').waitFor({ timeout: 90_000 });
    const opened = browser;
    return {
      page,
      workspace,
      server,
      async close() {
        await opened.close();
        await server.stop();
        rmSync(join(workspace, '..'), { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close();
    await server.stop();
    throw error;
  }
}

/** Opens the Opsloop container from the activity bar. */
export async function openOpsloop(page: Page): Promise<void> {
  await page.locator('.activitybar .action-item a[aria-label^="Opsloop"]').click();
  await page.locator('.pane-header', { hasText: 'Pipelines' }).waitFor();
}

/** Runs a command from the palette by its title, as a person would (F1, type, Enter). */
export async function runFromPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  // Fuzzy matching may rank a longer title first ("Show Job Log" for "Show Log"): click the exact one.
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) });
  await row.first().click();
}

/** The status-bar item an extension contributed, by its id. */
export function statusBarItem(page: Page, id: string): Locator {
  return page.locator(`.statusbar-item[id$="${id}"]`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotsDir, { recursive: true });
  const path = join(screenshotsDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** The webview frame in which `selector` matches at least `count` elements (webviews are nested iframes). */
export async function waitForWebviewFrame(page: Page, selector: string, what: string, count = 1, timeoutMs = 90_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if ((await frame.locator(selector).count().catch(() => 0)) >= count) return frame;
    }
    if (Date.now() > deadline) throw new Error(`${what} did not appear within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
