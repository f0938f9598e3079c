import * as vscode from 'vscode';
import { describeError, OpsloopError } from '../../core/errors';
import { type CommandId, commandsNeedingTrust } from '../commandIds';
import type { Container } from '../container';
import { requireTrust } from '../trust';

const trustReason: Partial<Record<CommandId, string>> = {
  'opsloop.runPipeline': 'run the pipeline',
  'opsloop.runStage': 'run the stage',
  'opsloop.runJob': 'run the job',
  'opsloop.rerunFailed': 're-run the failed jobs',
  'opsloop.setToken': 'store a token',
  'opsloop.setRunSecret': 'store a secret for local runs',
};

/** The commands behind the next steps errors offer, so the button does what it says. */
const nextStepCommands: Readonly<Record<string, string>> = {
  'Set Token': 'opsloop.setToken',
  'Manage Workspace Trust': 'workbench.trust.manage',
  'Open Log': 'opsloop.showLog',
  'Open Settings': 'workbench.action.openSettings',
};

/**
 * Registers a command with the house rules applied in one place: commands that run code are
 * refused in Restricted Mode by the handler itself, and a failure becomes a message with the
 * way to the log instead of an unhandled rejection.
 */
export function registerCommand(
  container: Container,
  id: CommandId,
  handler: (...args: unknown[]) => unknown,
): void {
  container.track(
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      if (commandsNeedingTrust.has(id) && !requireTrust(trustReason[id] ?? 'run this command')) return undefined;
      try {
        return await handler(...args);
      } catch (error) {
        if (OpsloopError.is(error, 'cancelled')) return undefined;
        container.log.error(`${id} failed: ${describeError(error)}`, error instanceof Error ? error.stack : undefined);
        const next = OpsloopError.is(error) && error.nextStep ? error.nextStep : undefined;
        const nextCommand = next ? nextStepCommands[next] : undefined;
        const actions = next && nextCommand ? [next, 'Open Log'] : ['Open Log'];
        void vscode.window.showErrorMessage(`Opsloop: ${describeError(error)}${next && !nextCommand ? ` (${next})` : ''}`, ...actions).then((choice) => {
          if (choice === 'Open Log') container.log.show();
          else if (choice && nextCommand) void vscode.commands.executeCommand(nextCommand);
        });
        return undefined;
      }
    }),
  );
}
