import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { openDemo, openOpsloop, runFromPalette, screenshot, type Session, waitForWebviewFrame } from './workbench';

describe('The pipeline graph, as a person sees it', function () {
  this.timeout(180_000);
  let session: Session;
  let frame: Frame;
  before(async () => {
    session = await openDemo();
    await openOpsloop(session.page);
    await runFromPalette(session.page, 'Opsloop: Show Pipeline Graph');
    frame = await waitForWebviewFrame(session.page, 'svg .job', 'a drawn pipeline graph');
  });
  after(async () => session?.close());

  it('draws the jobs as boxes with their names, and the needs as lines', async () => {
    const labels = await frame.locator('svg .job .label').allTextContents();
    assert.ok(labels.length >= 4, `only ${labels.length} jobs drawn`);
    assert.ok(labels.some((l) => l.includes('build')), labels.join(', '));
    assert.ok((await frame.locator('svg .edge').count()) >= 3);
    await screenshot(session.page, 'pipeline-graph');
  });

  it('runs under a strict content security policy: nonce scripts only, no network', async () => {
    const csp = (await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9_-]{20,}'/);
    assert.match(csp, /connect-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
  });

  it('offers the run actions in a trusted folder', async () => {
    await frame.locator('vscode-button', { hasText: 'Run pipeline' }).waitFor();
    assert.ok((await frame.locator('svg .job .run').count()) >= 4, 'no run button on the jobs');
  });
});
