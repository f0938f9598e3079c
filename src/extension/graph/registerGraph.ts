import { CommandId } from '../commandIds';
import { registerCommand } from '../commands/register';
import type { Container } from '../container';
import { getGraphPanel } from './graphPanel';

export function registerGraph(container: Container): void {
  // The panel (and its webview) is created on first use, not at activation.
  registerCommand(container, CommandId.showGraph, (file?: unknown) => getGraphPanel(container).show(typeof file === 'string' ? file : undefined));
}
