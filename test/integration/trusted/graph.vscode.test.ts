import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandId } from '../../../src/extension/commandIds';
import type { GraphPanel } from '../../../src/extension/graph/graphPanel';
import { activateOpsloop, waitFor } from '../support';

describe('Pipeline graph panel', () => {
  it('opens from its command as a webview tab and draws the workspace\'s pipeline', async () => {
    const api = await activateOpsloop();
    await vscode.commands.executeCommand(CommandId.showGraph, '.github/workflows/ci.yml');
    const tab = await waitFor('the graph tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('opsloop.graph')),
    );
    assert.equal(tab.label, 'Pipeline Graph');
    // The same panel object the extension created (services are shared through the container).
    const panel = api.container.service<GraphPanel | undefined>('graph', () => undefined)!;
    const snapshot = await waitFor('a drawn graph', () => (panel.snapshot().view ? panel.snapshot() : undefined));
    assert.equal(snapshot.selectedFile, '.github/workflows/ci.yml');
    const names = snapshot.view!.nodes.map((n) => n.name).sort();
    assert.ok(names.includes('build') && names.includes('deploy'), names.join(', '));
    assert.ok(snapshot.view!.edges.length >= 3, 'needs edges are missing');
    assert.equal(snapshot.trusted, true);
  });
});
