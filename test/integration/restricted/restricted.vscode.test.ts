import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CommandId, commandsNeedingTrust } from '../../../src/extension/commandIds';
import { activateOpsloop, workspaceRoot } from '../support';

describe('Opsloop in Restricted Mode', () => {
  it('opens the folder untrusted and still activates (limited support)', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the restricted suite must run in an untrusted folder');
    await activateOpsloop();
  });

  it('refuses every command that would run code: nothing is executed', async () => {
    await activateOpsloop();
    const marker = join(workspaceRoot(), '.opsloop-ran');
    for (const id of commandsNeedingTrust) {
      const result: unknown = await vscode.commands.executeCommand(id);
      assert.equal(result, undefined, `${id} returned a result in Restricted Mode`);
    }
    await vscode.commands.executeCommand(CommandId.runJob, 'build');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(existsSync(marker), false, 'a job wrote its marker file although the folder is not trusted');
  });
});
