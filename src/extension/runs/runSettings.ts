import { availableParallelism } from 'node:os';
import * as vscode from 'vscode';
import type { DockerPolicy } from '../../node/runner/docker';

/** How the person wants runs to behave; read at each run start, so changes apply to the next run. */
export interface RunSettings {
  readonly concurrency: number;
  readonly dockerPolicy: DockerPolicy;
  readonly isolated: boolean;
  readonly includeWorkingTreeChanges: boolean;
  readonly defaultTimeoutSeconds: number;
  readonly manualJobs: 'ask' | 'run' | 'skip';
  readonly terminals: 'eachJob' | 'onDemand';
  readonly notifications: 'all' | 'failures' | 'none';
  /** Machine-scoped: the bash jobs use (undefined: bash from PATH). */
  readonly shell?: string;
  /** Machine-scoped: the docker command. */
  readonly dockerPath?: string;
}

/**
 * Settings that name an executable are read from the user's own settings only (reliability
 * item 3): a workspace could otherwise make Opsloop run a program of its choosing.
 */
function userOnly(config: vscode.WorkspaceConfiguration, key: string): string | undefined {
  const value = config.inspect<string>(key)?.globalValue;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

export function readRunSettings(scope?: vscode.ConfigurationScope): RunSettings {
  const config = vscode.workspace.getConfiguration('opsloop.run', scope);
  const concurrency = config.get<number>('concurrency', 0);
  const timeoutMinutes = config.get<number>('defaultTimeoutMinutes', 60);
  const shell = userOnly(config, 'shell');
  const dockerPath = userOnly(config, 'dockerPath');
  return {
    concurrency: Number.isFinite(concurrency) && concurrency >= 1 ? Math.floor(concurrency) : availableParallelism(),
    dockerPolicy: oneOf(config.get('dockerPolicy'), ['host', 'skip', 'fail'] as const, 'host'),
    isolated: config.get<boolean>('isolated', false) === true,
    includeWorkingTreeChanges: config.get<boolean>('includeWorkingTreeChanges', false) === true,
    defaultTimeoutSeconds: Math.max(1, Math.round((Number.isFinite(timeoutMinutes) && timeoutMinutes > 0 ? timeoutMinutes : 60) * 60)),
    manualJobs: oneOf(config.get('manualJobs'), ['ask', 'run', 'skip'] as const, 'ask'),
    terminals: oneOf(config.get('terminals'), ['eachJob', 'onDemand'] as const, 'eachJob'),
    notifications: oneOf(config.get('notifications'), ['all', 'failures', 'none'] as const, 'all'),
    ...(shell ? { shell } : {}),
    ...(dockerPath ? { dockerPath } : {}),
  };
}
