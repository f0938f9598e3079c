import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { getPlanService } from '../../../src/extension/pipelines/planService';
import type { PipelinesTree } from '../../../src/extension/views/pipelinesView';
import { activateOpsloop, waitFor, workspaceRoot } from '../support';

describe('Pipelines in Restricted Mode', () => {
  it('reads and shows the pipeline (reading runs nothing) but offers no Run lenses and keeps the restricted status', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const api = await activateOpsloop();
    const plan = await getPlanService(api.container).get();
    assert.deepEqual(plan.files, ['.gitlab-ci.yml']);
    assert.deepEqual(plan.pipelines[0]!.jobs.map((j) => j.name), ['build']);
    const tree = api.container.service<PipelinesTree>('pipelinesTree', () => {
      throw new Error('no Pipelines tree');
    });
    const [file] = await waitFor('the file in the tree', async () => {
      const nodes = await tree.getChildren();
      return nodes.length > 0 ? nodes : undefined;
    });
    assert.equal(file!.kind, 'file');
    const uri = vscode.Uri.file(join(workspaceRoot(), '.gitlab-ci.yml'));
    await vscode.workspace.openTextDocument(uri);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.deepEqual(lenses.filter((l) => l.command?.command.startsWith('opsloop.')), []);
    assert.equal(api.container.statusBar.state.kind, 'restricted');
  });
});
