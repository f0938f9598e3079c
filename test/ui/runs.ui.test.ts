import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { openDemo, openOpsloop, runFromPalette, screenshot, type Session, statusBarItem } from './workbench';

const workflow = '.github/workflows/ci.yml';

describe('Local runs, as a person sees them', function () {
  this.timeout(240_000);
  let session: Session;
  before(async () => {
    session = await openDemo({ settings: { 'opsloop.run.manualJobs': 'skip', 'opsloop.run.notifications': 'all' } });
  });
  after(async () => session?.close());

  it('starts a run from the palette; the status bar shows it running, then passed; the Runs view lists its jobs', async () => {
    const { page } = session;
    await openOpsloop(page);
    // The Pipelines view has read the plan once its file shows.
    await page.locator('.pane-body .monaco-list-row', { hasText: workflow }).first().waitFor({ timeout: 60_000 });
    const item = statusBarItem(page, 'opsloop.pipeline');
    await item.waitFor({ timeout: 30_000 });
    const seen = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const text = (await item.innerText().catch(() => '')).trim();
        if (text) seen.add(text);
        await page.waitForTimeout(50);
      }
    })();

    await runFromPalette(page, 'Opsloop: Run Pipeline');
    // With several runnable pipelines the command asks which one: answer when it asks.
    const picker = page.locator('.quick-input-widget .monaco-list-row', { hasText: workflow });
    const askDeadline = Date.now() + 60_000;
    for (;;) {
      if (await picker.first().isVisible().catch(() => false)) {
        await picker.first().click();
        break;
      }
      if (/\d+\/\d+$|passed|failed/.test(await item.innerText().catch(() => ''))) break;
      if (Date.now() > askDeadline) throw new Error('Run Pipeline neither asked for a pipeline nor started a run');
      await page.waitForTimeout(100);
    }

    const deadline = Date.now() + 120_000;
    while (!/passed|failed|canceled/.test((await item.innerText().catch(() => '')) ?? '')) {
      if (Date.now() > deadline) throw new Error(`the run did not end within 2 minutes; the status bar says ${await item.innerText()}`);
      await page.waitForTimeout(100);
    }
    watching = false;
    await watch;
    const texts = [...seen];
    assert.ok(texts.some((t) => /\d+\/4$/.test(t)), `the status bar never showed progress like "build 1/4": ${texts.join(' | ')}`);
    const final = (await item.innerText()).trim();
    assert.match(final, /^passed \d/, `the run did not pass: ${final}`);
    assert.doesNotMatch(final, /\$\(/, 'a codicon was not rendered');

    // The Runs view: the run, expanded, with a row per job.
    const runs = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) });
    const header = page.locator('.pane-header', { hasText: 'Runs' }).first();
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    // The newest run is on top; the workflow is named CI.
    const runRow = runs.locator('.monaco-list-row', { hasText: 'CI' }).first();
    await runRow.waitFor({ timeout: 30_000 });
    // The view re-renders a moment after the status bar: wait for the row to say it.
    await runs.locator('.monaco-list-row', { hasText: /CI.*passed/ }).first().waitFor({ timeout: 15_000 });
    if ((await runRow.getAttribute('aria-expanded')) !== 'true') await runRow.click();
    for (const job of ['build', 'test (ubuntu-latest, 18)', 'test (ubuntu-latest, 20)', 'deploy']) {
      await runs.locator('.monaco-list-row', { hasText: job }).first().waitFor({ timeout: 15_000 });
    }
    const passedIcons = await runs.locator('.monaco-list-row .codicon-pass').count();
    assert.ok(passedIcons >= 4, `expected a pass icon for each job, saw ${passedIcons}`);
    // The notification says how it ended.
    await page.locator('.notifications-toasts .notification-toast', { hasText: /passed in/ }).first().waitFor({ timeout: 15_000 });
    const path = await screenshot(page, 'runs-finished');
    assert.ok(existsSync(path));
  });

  it('opens a job\'s log from the Runs view', async () => {
    const { page } = session;
    const runs = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) });
    await runs.locator('.monaco-list-row', { hasText: 'deploy' }).first().click();
    try {
      await page.locator('.tabs-container .tab', { hasText: /\.log/ }).first().waitFor({ timeout: 30_000 });
      // The editor renders spaces as non-breaking spaces: match any white space.
      await page.locator('.part.editor .view-line').filter({ hasText: /deployed\s+checkout/ }).first().waitFor({ timeout: 30_000 });
    } finally {
      await screenshot(page, 'runs-job-log');
    }
  });
});
