/**
 * GitHub's hashFiles() for local runs: the SHA-256 of each file the patterns match in the
 * workspace, then the SHA-256 of those hashes; '' when nothing matches. Patterns as in
 * @actions/glob: `*`, `**`, `?`, `[abc]`, a folder takes everything below it, `!pattern`
 * excludes, several patterns as several arguments or lines. Files outside the workspace never
 * count. Files are taken in path order (GitHub takes them in the order its file system lists
 * them, so the hash may differ from GitHub's; it is empty exactly when GitHub's is, and changes
 * when a matched file changes).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { artifactPatternToRegExp, escapesProject, literalPrefix, normalizeArtifactPath } from '../../core/run/artifactGlob';

const chunkBytes = 1024 * 1024;

function hashOfFile(path: string): Buffer {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(chunkBytes);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buffer, 0, chunkBytes, null); n > 0; n = readSync(fd, buffer, 0, chunkBytes, null)) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest();
}

export function hashFiles(workspace: string, patterns: readonly string[]): string {
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  const starts = new Set<string>();
  for (const line of patterns.flatMap((p) => p.split('\n'))) {
    let pattern = line.trim();
    if (pattern === '' || pattern.startsWith('#')) continue;
    const negated = pattern.startsWith('!');
    if (negated) pattern = pattern.slice(1).trim();
    // Docs: `/src/*.js` means src at the root of the workspace.
    pattern = normalizeArtifactPath(pattern).replace(/^\/+/, '');
    if (pattern === '' || escapesProject(pattern)) continue;
    (negated ? exclude : include).push(artifactPatternToRegExp(pattern));
    if (!negated) starts.add(literalPrefix(pattern));
  }
  if (include.length === 0) return '';

  const matched: string[] = [];
  const visited = new Set<string>();
  const walk = (relative: string): void => {
    const absolute = join(workspace, relative);
    let stat;
    try {
      stat = statSync(absolute);
    } catch {
      return; // gone, or a broken link
    }
    if (stat.isFile()) {
      if (include.some((r) => r.test(relative)) && !exclude.some((r) => r.test(relative))) matched.push(relative);
      return;
    }
    if (!stat.isDirectory()) return;
    // Links are followed (GitHub's default), each real folder once, and never out of the workspace.
    let real: string;
    try {
      real = realpathSync(absolute);
    } catch {
      return;
    }
    if (visited.has(real)) return;
    visited.add(real);
    let names: string[];
    try {
      names = readdirSync(absolute).sort();
    } catch {
      return;
    }
    for (const name of names) walk(relative === '' ? name : `${relative}/${name}`);
  };
  const root = realpathSync(workspace);
  // A walk starts where a pattern's literal folders end; one start inside another is skipped.
  const sortedStarts = [...starts].sort();
  for (const start of sortedStarts) {
    if (sortedStarts.some((other) => other !== start && (other === '' || start.startsWith(`${other}/`)))) continue;
    walk(start);
  }
  const inside = matched.filter((relative) => {
    try {
      const real = realpathSync(join(workspace, relative));
      return real === root || real.startsWith(`${root}/`);
    } catch {
      return false;
    }
  });
  if (inside.length === 0) return '';
  const total = createHash('sha256');
  for (const relative of [...new Set(inside)].sort()) total.update(hashOfFile(join(workspace, relative)));
  return total.digest('hex');
}
