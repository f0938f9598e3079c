import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandId } from '../../../src/extension/commandIds';
import type { TelemetryPanel } from '../../../src/extension/telemetryPanel/telemetryPanel';
import type { TelemetrySnapshot } from '../../../src/shared/telemetryProtocol';
import { activateOpsloop, waitFor } from '../support';

describe('Telemetry panel', () => {
  let snapshot: TelemetrySnapshot;
  before(async () => {
    const api = await activateOpsloop();
    await vscode.commands.executeCommand(CommandId.openTelemetry, 'checkout');
    const panel = api.container.service<TelemetryPanel | undefined>('telemetryPanel', () => undefined);
    assert.ok(panel, 'Open Telemetry created no panel');
    snapshot = await waitFor('charts of the demo service', () => {
      const s = panel.snapshot();
      return s.charts.length > 0 && s.charts.every((c) => c.state !== 'loading') ? s : undefined;
    }, 60_000);
  });

  it('opens as a webview tab', async () => {
    const tabs = (): string[] => vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => (t.input instanceof vscode.TabInputWebview ? t.input.viewType : t.label));
    await waitFor(`the telemetry tab among ${tabs().join(', ')}`, () => tabs().some((t) => t.endsWith('opsloop.telemetry')) || undefined);
  });

  it('draws one chart per configured query of the service, from the recorded data', () => {
    assert.equal(snapshot.service, 'checkout');
    assert.deepEqual(snapshot.charts.map((c) => c.view?.title), ['p99 latency', 'error ratio', 'requests']);
    for (const chart of snapshot.charts) {
      assert.equal(chart.state, 'ok', `${chart.view?.title}: ${chart.message ?? ''}`);
      assert.ok(chart.view && chart.view.lines[0]!.path.length > 100, 'no line drawn');
    }
  });

  it('puts the deployments on the time axis: the build-info revisions and the deploy tags agree', () => {
    const marks = snapshot.charts[0]!.view!.deployments;
    assert.ok(marks.length >= 2, `${marks.length} deployment markers`);
    assert.ok(marks.every((m) => /^[0-9a-f]{7}$/.test(m.label)), marks.map((m) => m.label).join(', '));
    assert.equal(new Set(marks.map((m) => m.label)).size, marks.length, 'one marker per revision');
  });

  it('finds the latency regression that follows the last deployment, and says so', () => {
    const latency = snapshot.anomalies.filter((a) => a.chartId.endsWith('p99 latency'));
    const regression = latency.find((a) => /Nov 18 1[34]:/.test(a.onset));
    assert.ok(regression, `anomalies found: ${snapshot.anomalies.map((a) => `${a.onset} ${a.explanation}`).join(' | ')}`);
    assert.match(regression.afterDeployment ?? '', /after [0-9a-f]{7} was deployed to production/);
    assert.match(regression.explanation, /p99 latency/);
    assert.ok(snapshot.charts[0]!.view!.anomalies.length >= 1, 'the chart does not mark it');
  });
});
