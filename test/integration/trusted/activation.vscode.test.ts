import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CommandId } from '../../../src/extension/commandIds';
import { repoRoot } from '../../support/paths';
import { activateOpsloop, extensionId } from '../support';

interface Manifest {
  contributes: { commands: { command: string }[]; views: Record<string, { id: string }[]> };
}
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Manifest;

describe('Opsloop in a trusted workspace', () => {
  it('activates on the workspace\'s pipeline files and reports its activation time', async () => {
    const api = await activateOpsloop();
    assert.equal(vscode.extensions.getExtension(extensionId)?.isActive, true);
    assert.ok(Number.isFinite(api.activationMs) && api.activationMs > 0, `activationMs = ${api.activationMs}`);
    assert.equal(vscode.workspace.isTrusted, true);
  });

  it('registers every command the manifest declares, and declares every command it registers', async () => {
    await activateOpsloop();
    const registered = new Set((await vscode.commands.getCommands(true)).filter((c) => c.startsWith('opsloop.')));
    const declared = manifest.contributes.commands.map((c) => c.command);
    for (const id of declared) assert.ok(registered.has(id), `declared but not registered: ${id}`);
    for (const id of Object.values(CommandId)) assert.ok(declared.includes(id), `registered in code but not in package.json: ${id}`);
  });

  it('has its views in the Opsloop container, and they open', async () => {
    await activateOpsloop();
    const ids = manifest.contributes.views.opsloop?.map((v) => v.id) ?? [];
    assert.deepEqual(ids, ['opsloop.pipelines', 'opsloop.runs', 'opsloop.incidents']);
    await vscode.commands.executeCommand('workbench.view.extension.opsloop');
    for (const id of ids) await vscode.commands.executeCommand(`${id}.focus`);
  });
});
