import * as vscode from 'vscode';
import { CommandId } from '../commandIds';
import type { Container } from '../container';
import { registerCommand } from './register';

/** Commands that belong to no single feature. */
export function registerCoreCommands(container: Container): void {
  registerCommand(container, CommandId.showLog, () => container.log.show());
  registerCommand(container, CommandId.manageTrust, () => vscode.commands.executeCommand('workbench.trust.manage'));
}
