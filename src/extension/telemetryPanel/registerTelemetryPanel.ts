import { CommandId } from '../commandIds';
import { registerCommand } from '../commands/register';
import type { Container } from '../container';
import { registerImportExport } from './importExport';
import { getTelemetryPanel } from './telemetryPanel';

export function registerTelemetryPanel(container: Container): void {
  // Created on first use: the panel, the telemetry service and the detector load only then.
  registerImportExport(container);
  registerCommand(container, CommandId.openTelemetry, (service?: unknown) => getTelemetryPanel(container).show(typeof service === 'string' ? service : undefined));
}
