import * as assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CommandId } from '../../../src/extension/commandIds';
import type { TelemetryPanel } from '../../../src/extension/telemetryPanel/telemetryPanel';
import { activateOpsloop, waitFor, workspaceRoot } from '../support';

describe('Import Telemetry Export', function () {
  this.timeout(120_000);
  const file = join(workspaceRoot(), 'latency-export.csv');
  before(() => {
    // A Grafana-style export: times in milliseconds, one row per host and minute; host a degrades at the end.
    const start = Date.parse('2026-11-20T00:00:00Z');
    const rows = ['Time,host,latency'];
    for (let i = 0; i < 2000; i++) {
      for (const host of ['a', 'b']) {
        const usual = 0.2 + 0.02 * Math.sin(i / 37) + 0.005 * Math.sin(i * 1.7 + (host === 'a' ? 0 : 1));
        rows.push(`${start + i * 60_000},${host},${(host === 'a' && i >= 1960 ? usual + 1.2 : usual).toFixed(4)}`);
      }
    }
    writeFileSync(file, `${rows.join('\n')}\n`);
  });
  after(async () => {
    rmSync(file, { force: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('reads a CSV export through the table layer into the telemetry panel: a chart per value column, a line per host, the anomaly marked', async () => {
    const api = await activateOpsloop();
    const charts = await vscode.commands.executeCommand<string[]>(CommandId.importTelemetry, vscode.Uri.file(file));
    assert.deepEqual(charts, ['latency']);
    const panel = api.container.service<TelemetryPanel | undefined>('telemetryPanel', () => undefined)!;
    const snapshot = await waitFor('the imported chart', () => {
      const s = panel.snapshot();
      return s.service === 'Imported: latency-export.csv' && s.charts.length === 1 && s.charts[0]!.view ? s : undefined;
    });
    assert.ok(snapshot.services.includes('Imported: latency-export.csv'));
    const view = snapshot.charts[0]!.view!;
    assert.equal(view.lines.length, 2, 'one line per host');
    assert.deepEqual(view.lines.map((l) => l.label).sort(), ['latency {host=a}', 'latency {host=b}']);
    // Times were milliseconds: the axis must show November 2026, not 1970 or the year 58,000.
    assert.match(snapshot.message ?? '', /Imported telemetry, up to .*Nov 21/);
    const spike = snapshot.anomalies.find((a) => /Nov 21/.test(a.onset));
    assert.ok(spike, `anomalies: ${snapshot.anomalies.map((a) => `${a.onset} ${a.explanation}`).join(' | ')}`);
  });
});
