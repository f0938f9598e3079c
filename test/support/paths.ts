import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root, found from the compiled test's folder (out/ or a personal out-NAME folder) or the working directory. */
function findRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    let dir = start;
    for (;;) {
      const manifest = join(dir, 'package.json');
      if (existsSync(manifest)) {
        try {
          if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'opsloop') return dir;
        } catch {
          // not ours; keep walking up
        }
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error('Cannot find the Opsloop repository root (a package.json named "opsloop") above the tests.');
}

export const repoRoot = findRoot();
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
export const fixture = (...parts: string[]): string => join(fixturesDir, ...parts);
