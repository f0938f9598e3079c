import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipelineFormatOf } from '../../core/pipeline/formats';
import type { PipelineFormat } from '../../core/pipeline/model';

export interface PipelineFile {
  /** Workspace-relative, forward slashes. */
  readonly path: string;
  readonly format: PipelineFormat;
}

const skipped = new Set(['.git', 'node_modules', '.vscode-test', 'dist', 'out']);

/**
 * Pipeline files under `root`, the way each CI finds them: only at the root and in
 * `.github/workflows`. Sorted by path so output is stable.
 */
export async function discoverPipelineFiles(root: string): Promise<PipelineFile[]> {
  const found: PipelineFile[] = [];
  const candidates = async (dir: string): Promise<string[]> => {
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      const files: string[] = [];
      for (const e of entries) {
        if (skipped.has(e.name)) continue;
        // A pipeline file may be a symbolic link (shared CI config): CI follows it, so do we.
        if (e.isFile() || (e.isSymbolicLink() && (await stat(join(dir, e.name)).catch(() => undefined))?.isFile())) files.push(join(dir, e.name));
      }
      return files;
    } catch {
      return [];
    }
  };
  const files = [...(await candidates(root)), ...(await candidates(join(root, '.github', 'workflows')))];
  for (const file of files) {
    const path = relative(root, file).split(sep).join('/');
    const format = pipelineFormatOf(path);
    if (format) found.push({ path, format });
  }
  // Code-unit order, not locale order: the same on every machine.
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
