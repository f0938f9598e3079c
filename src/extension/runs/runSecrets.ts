import * as vscode from 'vscode';
import { OpsloopError } from '../../core/errors';
import { CommandId } from '../commandIds';
import { registerCommand } from '../commands/register';
import type { Container } from '../container';

const namePattern = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * The CI variables a local run needs but a repository must not hold (DEPLOY_TOKEN, ...): kept
 * in VS Code's secret storage per workspace folder, passed to jobs as environment variables and
 * masked in their output. Only the names are kept in workspace state (to list them).
 */
export class RunSecrets {
  constructor(private readonly context: vscode.ExtensionContext, private readonly folder: vscode.Uri) {}

  private key(name: string): string {
    return `opsloop.runSecret:${this.folder.toString()}:${name}`;
  }

  private get namesKey(): string {
    return `opsloop.runSecretNames:${this.folder.toString()}`;
  }

  names(): string[] {
    return [...(this.context.workspaceState.get<string[]>(this.namesKey) ?? [])].sort();
  }

  async set(name: string, value: string): Promise<void> {
    if (!namePattern.test(name)) throw new OpsloopError('invalidInput', `'${name}' is not a variable name (letters, digits and _, not starting with a digit).`);
    await this.context.secrets.store(this.key(name), value);
    await this.context.workspaceState.update(this.namesKey, [...new Set([...this.names(), name])]);
  }

  async remove(name: string): Promise<void> {
    await this.context.secrets.delete(this.key(name));
    await this.context.workspaceState.update(this.namesKey, this.names().filter((n) => n !== name));
  }

  /** Every stored secret, for a run. */
  async values(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const name of this.names()) {
      const value = await this.context.secrets.get(this.key(name));
      if (value !== undefined) out[name] = value;
    }
    return out;
  }
}

export function getRunSecrets(container: Container): RunSecrets | undefined {
  const folder = container.workspaceFolder;
  return folder ? container.service('runSecrets', () => new RunSecrets(container.context, folder.uri)) : undefined;
}

/** Set Run Secret (name and value from arguments, or asked) and Remove Run Secret. */
export function registerRunSecrets(container: Container): void {
  registerCommand(container, CommandId.setRunSecret, async (nameArg?: unknown, valueArg?: unknown) => {
    const secrets = getRunSecrets(container);
    if (!secrets) throw new OpsloopError('invalidInput', 'Open a folder to store the secrets of its runs.');
    const name =
      typeof nameArg === 'string'
        ? nameArg
        : await vscode.window.showInputBox({
            title: 'Opsloop: Set Run Secret (1/2)',
            prompt: 'The variable jobs read, as on your CI (e.g. DEPLOY_TOKEN)',
            validateInput: (v) => (namePattern.test(v) ? undefined : 'Letters, digits and _, not starting with a digit.'),
            ignoreFocusOut: true,
          });
    if (!name) return undefined;
    const value =
      typeof valueArg === 'string'
        ? valueArg
        : await vscode.window.showInputBox({ title: `Opsloop: Set Run Secret (2/2)`, prompt: `The value of ${name}: kept in VS Code's secret storage, masked in job output`, password: true, ignoreFocusOut: true });
    if (value === undefined) return undefined;
    await secrets.set(name, value);
    void vscode.window.showInformationMessage(`Opsloop: local runs of this folder now get ${name} (masked in their output).`);
    return name;
  });
  registerCommand(container, CommandId.removeRunSecret, async (nameArg?: unknown) => {
    const secrets = getRunSecrets(container);
    const names = secrets?.names() ?? [];
    if (!secrets || names.length === 0) {
      void vscode.window.showInformationMessage('Opsloop: no run secrets are stored for this folder.');
      return undefined;
    }
    const name = typeof nameArg === 'string' ? nameArg : await vscode.window.showQuickPick(names, { title: 'Opsloop: Remove Run Secret', placeHolder: 'The secret to forget' });
    if (!name) return undefined;
    await secrets.remove(name);
    return name;
  });
}
