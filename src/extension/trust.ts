import * as vscode from 'vscode';

/**
 * Every handler that runs workspace code, git or an authenticated request calls this itself
 * (reliability item 1): a `when` clause alone can be bypassed with executeCommand.
 * Returns true when the workspace is trusted; otherwise says why nothing ran.
 */
export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  const action = 'Manage Workspace Trust';
  void vscode.window
    .showWarningMessage(
      `Opsloop did not ${what}: this folder is open in Restricted Mode, where Opsloop runs no jobs, no git and sends no tokens. Trust the folder to allow it.`,
      action,
    )
    .then((choice) => {
      if (choice === action) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  return false;
}
