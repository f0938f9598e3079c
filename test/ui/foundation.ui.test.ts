import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { openDemo, openOpsloop, runFromPalette, screenshot, type Session, statusBarItem } from './workbench';

describe('Opsloop in the workbench, as a person sees it', function () {
  this.timeout(180_000);
  let session: Session;
  before(async () => {
    session = await openDemo();
  });
  after(async () => session?.close());

  it('has an Opsloop container in the activity bar with the Pipelines, Runs and Incidents views', async () => {
    const { page } = session;
    await openOpsloop(page);
    for (const name of ['Pipelines', 'Runs', 'Incidents']) {
      await page.locator('.pane-header', { hasText: name }).first().waitFor({ timeout: 30_000 });
    }
    // A row of the Pipelines tree, not the welcome text (which also names .gitlab-ci.yml).
    await page.locator('.pane-body .monaco-list-row', { hasText: '.gitlab-ci.yml' }).first().waitFor({ timeout: 30_000 });
  });

  it('shows a pipeline indicator in the status bar', async () => {
    const item = statusBarItem(session.page, 'opsloop.pipeline');
    await item.waitFor({ timeout: 30_000 });
    const text = (await item.innerText()).trim();
    assert.ok(text.length > 0, 'the Opsloop status-bar item is empty');
    assert.doesNotMatch(text, /\$\(/, `a codicon was not rendered: ${text}`);
  });

  it('runs "Opsloop: Show Log" from the command palette and shows the activation time', async () => {
    const { page } = session;
    await runFromPalette(page, 'Opsloop: Show Log');
    // The editor renders spaces as non-breaking spaces: match any white space.
    await page.locator('.part.panel .view-line').filter({ hasText: /Opsloop\s+activated\s+in\s+[\d.]+\s+ms/ }).first().waitFor({ timeout: 30_000 });
    const path = await screenshot(page, 'foundation-opsloop-view');
    assert.ok(existsSync(path));
  });
});
