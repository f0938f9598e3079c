import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import { Container } from './container';
import { contributions } from './contributions';

const moduleLoaded = performance.now();

/** What tests (and other extensions) can ask of a running Opsloop. */
export interface OpsloopApi {
  readonly activationMs: number;
  readonly container: Container;
}

/**
 * The composition root: build services, register contributions, push disposables. No real
 * work here; heavy modules load on first use.
 */
export function activate(context: vscode.ExtensionContext): OpsloopApi | undefined {
  const started = performance.now();
  let container: Container | undefined;
  try {
    container = new Container(context);
    context.subscriptions.push(container);
    const timings: string[] = [];
    for (const contribute of contributions) {
      const before = performance.now();
      contribute(container);
      timings.push(`${contribute.name} ${(performance.now() - before).toFixed(1)}`);
    }
    const activationMs = performance.now() - started;
    container.log.info(`Opsloop activated in ${activationMs.toFixed(1)} ms (by contribution, ms: ${timings.join(', ')}; bundle loaded ${(started - moduleLoaded).toFixed(1)} ms earlier).`);
    return { activationMs, container };
  } catch (error) {
    // Our own message, with the way to the log, instead of VS Code's generic "activation failed".
    container?.log.error(`Activation failed: ${describeError(error)}`, error instanceof Error ? error.stack : undefined);
    void vscode.window.showErrorMessage(`Opsloop could not start: ${describeError(error)}`, 'Open Log').then((choice) => {
      if (choice === 'Open Log') container?.log.show();
    });
    return undefined;
  }
}

export function deactivate(): void {
  // Disposables in context.subscriptions are released by VS Code.
}
