import * as vscode from 'vscode';
import { CommandId } from '../commandIds';
import type { Container } from '../container';
import { registerCommand } from './register';

/**
 * Commands declared in the manifest whose feature has not landed yet. Each feature removes its
 * ids from this list when it registers the real handler; the list is empty when all have landed.
 */
const pending: readonly CommandId[] = [
  CommandId.openTelemetry,
];

export function registerPendingCommands(container: Container): void {
  for (const id of pending) {
    registerCommand(container, id, () => vscode.window.showInformationMessage(`Opsloop: '${id}' is not available in this build yet.`));
  }
}
