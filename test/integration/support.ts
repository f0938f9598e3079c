import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { OpsloopApi } from '../../src/extension/extension';

export const extensionId = 'opsloop.opsloop';

export async function activateOpsloop(): Promise<OpsloopApi> {
  const extension = vscode.extensions.getExtension<OpsloopApi | undefined>(extensionId);
  assert.ok(extension, `extension ${extensionId} is not installed in this VS Code`);
  const api = await extension.activate();
  assert.ok(api, 'activate() returned no API: activation failed (see the Opsloop log)');
  return api;
}

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test VS Code has no folder open');
  return folder.uri.fsPath;
}

/** Polls until `check` returns a value or the time is up; for state that changes asynchronously. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
