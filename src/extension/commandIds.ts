/**
 * Every command id in one typed place, so a typo is a compile error. package.json's
 * `contributes.commands` must list exactly these (a unit test checks both directions).
 */
export const CommandId = {
  refresh: 'opsloop.refresh',
  showLog: 'opsloop.showLog',
  openPipelineFile: 'opsloop.openPipelineFile',
  revealDefinition: 'opsloop.revealDefinition',
  runPipeline: 'opsloop.runPipeline',
  runStage: 'opsloop.runStage',
  runJob: 'opsloop.runJob',
  rerunFailed: 'opsloop.rerunFailed',
  cancelRun: 'opsloop.cancelRun',
  showJobLog: 'opsloop.showJobLog',
  openRun: 'opsloop.openRun',
  setToken: 'opsloop.setToken',
  openTelemetry: 'opsloop.openTelemetry',
  manageTrust: 'opsloop.manageTrust',
  showGraph: 'opsloop.showGraph',
  setRunSecret: 'opsloop.setRunSecret',
  removeRunSecret: 'opsloop.removeRunSecret',
  importTelemetry: 'opsloop.importTelemetry',
} as const;

export type CommandId = (typeof CommandId)[keyof typeof CommandId];

/** Commands that execute workspace code, touch git or send a token: refused in Restricted Mode. */
export const commandsNeedingTrust: ReadonlySet<CommandId> = new Set<CommandId>([
  CommandId.runPipeline,
  CommandId.runStage,
  CommandId.runJob,
  CommandId.rerunFailed,
  CommandId.setToken,
  CommandId.setRunSecret,
]);
