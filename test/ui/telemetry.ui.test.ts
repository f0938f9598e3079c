import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { openDemo, runFromPalette, screenshot, type Session, waitForWebviewFrame } from './workbench';

describe('The telemetry panel, as a person sees it', function () {
  this.timeout(180_000);
  let session: Session;
  let frame: Frame;
  before(async () => {
    session = await openDemo();
    await runFromPalette(session.page, 'Opsloop: Open Telemetry');
    frame = await waitForWebviewFrame(session.page, 'svg.chart', 'three telemetry charts', 3);
  });
  after(async () => session?.close());

  it('shows each query as a chart with its latest value, deployments as markers and anomalies as bands', async () => {
    const titles = await frame.locator('.card h2').allTextContents();
    assert.deepEqual(titles, ['p99 latency', 'error ratio', 'requests']);
    assert.match((await frame.locator('.card .latest').first().textContent()) ?? '', /\d+(\.\d+)? (ms|s)$/);
    assert.ok((await frame.locator('.card').first().locator('.deployment').count()) >= 2, 'no deployment markers');
    assert.ok((await frame.locator('.card').first().locator('rect.anomaly').count()) >= 1, 'no anomaly band on the latency chart');
    await screenshot(session.page, 'telemetry-panel');
  });

  it('lists the anomalies in words, the regression linked to the deployment before it', async () => {
    const rows = await frame.locator('.anomalies li').allInnerTexts();
    assert.ok(rows.some((r) => /p99 latency/.test(r) && /after [0-9a-f]{7} was deployed/.test(r)), rows.join('\n'));
  });

  it('changes the time range from its toolbar', async () => {
    const before = await frame.locator('.card').first().locator('.tick.x').allTextContents();
    await frame.locator('vscode-dropdown[aria-label="Time range"]').click();
    await frame.locator('vscode-option', { hasText: 'Last 6 hours' }).click();
    const deadline = Date.now() + 30_000;
    while (JSON.stringify(await frame.locator('.card').first().locator('.tick.x').allTextContents()) === JSON.stringify(before)) {
      if (Date.now() > deadline) throw new Error('the time axis did not change after choosing "Last 6 hours"');
      await new Promise((r) => setTimeout(r, 200));
    }
    const after = await frame.locator('.card').first().locator('.tick.x').allTextContents();
    assert.ok(after.every((t) => /^\d\d:\d\d$|^[A-Z][a-z]{2} \d+$/.test(t)), after.join(', '));
  });
});
