import type { Container } from './container';
import { registerCoreCommands } from './commands/coreCommands';
import { registerGraph } from './graph/registerGraph';
import { registerTelemetryPanel } from './telemetryPanel/registerTelemetryPanel';
import { registerPipelineViews } from './views/pipelinesView';
import { registerRunsView } from './views/runsView';
import { registerRunCommands } from './runs/runCommands';
import { registerRunSecrets } from './runs/runSecrets';
import { registerIncidentsView } from './views/incidentsView';
import { registerTelemetry } from './telemetry/registerTelemetry';

/**
 * What activate() registers, in order. Each contribution registers its commands, views and
 * listeners and pushes every disposable into the container; none does real work at activation.
 */
export const contributions: readonly ((container: Container) => void)[] = [
  registerCoreCommands,
  registerPipelineViews,
  registerRunsView,
  registerRunCommands,
  registerRunSecrets,
  registerIncidentsView,
  registerGraph,
  registerTelemetryPanel,
  registerTelemetry,
];
