import { CommandId } from '../commandIds';
import { registerCommand } from '../commands/register';
import type { Container } from '../container';
import { getConfigStore } from './configStore';
import { getTelemetryService } from './telemetryService';

/**
 * Telemetry at activation: only the `.opsloop.yml` watcher (its problems in the Problems panel,
 * read in the background) and "Opsloop: Set Token". The telemetry service itself, with its HTTP
 * client and sources, is created on first use.
 */
export function registerTelemetry(container: Container): void {
  // Right after activation, not during it: the store's file watcher costs milliseconds to create.
  setTimeout(() => void getConfigStore(container).ready(), 0);
  // The handler checks trust itself (register.ts refuses setToken in Restricted Mode, and so does the service).
  registerCommand(container, CommandId.setToken, async (source?: unknown) => {
    await getTelemetryService(container).setToken(typeof source === 'string' ? source : undefined);
  });
}
