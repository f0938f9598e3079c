import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fixture } from './paths';

/** A file of a temporary workspace: its text, or a path under test/fixtures to copy (a file or a folder). */
export type WorkspaceFile = string | { fixture: string[] };

/** A workspace in a new temp folder with the given files; returns its root. */
export function tempWorkspace(prefix: string, files: Record<string, WorkspaceFile>): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    if (typeof content === 'string') writeFileSync(target, content);
    else cpSync(fixture(...content.fixture), target, { recursive: true });
  }
  return root;
}

/** `make(files)` builds a temp workspace and remembers it; `cleanup()` (for an `after` hook) removes them all. */
export function workspaces(prefix: string): { make: (files: Record<string, WorkspaceFile>) => string; cleanup: () => void } {
  const roots: string[] = [];
  return {
    make: (files) => {
      const root = tempWorkspace(prefix, files);
      roots.push(root);
      return root;
    },
    cleanup: () => {
      for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
    },
  };
}
