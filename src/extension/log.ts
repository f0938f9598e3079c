import * as vscode from 'vscode';

/** The extension's one log, in the Output panel as "Opsloop" (with levels the person can filter). */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('Opsloop', { log: true });
}
