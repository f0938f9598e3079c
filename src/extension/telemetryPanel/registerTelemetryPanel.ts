import { CommandId } from '../commandIds';
import { registerCommand } from '../commands/register';
import type { Container } from '../container';
import { getTelemetryPanel } from './telemetryPanel';

export function registerTelemetryPanel(container: Container): void {
  // Created on first use: the panel, the telemetry service and the detector load only then.
  registerCommand(container, CommandId.openTelemetry, (service?: unknown) => getTelemetryPanel(container).show(typeof service === 'string' ? service : undefined));
}
