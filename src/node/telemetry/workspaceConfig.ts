/** Finds and reads a workspace's `.opsloop.yml` (or `.yaml`, `.json`). */
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { configFileNames } from '../../core/config/opsloopConfig';
import { type ConfigLoadResult, parseOpsloopConfig } from '../../core/config/validateConfig';
import { OpsloopError } from '../../core/errors';

export interface WorkspaceConfig extends ConfigLoadResult {
  /** Absolute path of the file read. */
  readonly file: string;
  /** Other configuration files that were found and not read (only the first counts). */
  readonly ignored: readonly string[];
}

export async function findConfigFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of configFileNames) {
    try {
      const stat = await fs.stat(join(root, name));
      if (stat.isFile()) found.push(join(root, name));
    } catch {
      // not there
    }
  }
  return found;
}

/** Reads `file` (or the first configuration file under `root`); undefined when there is none. */
export async function loadWorkspaceConfig(root: string, file?: string): Promise<WorkspaceConfig | undefined> {
  const candidates = file !== undefined ? [resolve(root, file)] : await findConfigFiles(root);
  const chosen = candidates[0];
  if (chosen === undefined) return undefined;
  let text: string;
  try {
    text = await fs.readFile(chosen, 'utf8');
  } catch (error) {
    throw new OpsloopError('notFound', `Cannot read ${chosen}: ${(error as Error).message}`);
  }
  return { file: chosen, ignored: candidates.slice(1), ...parseOpsloopConfig(text, chosen) };
}
