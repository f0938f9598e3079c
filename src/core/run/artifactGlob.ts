/**
 * GitLab `artifacts:paths` matching: paths relative to the project folder with `*` (within one
 * folder), `**` (any depth), `?` and `[abc]`; a pattern that names a folder takes everything in
 * it. Pure: the node layer walks the folder and asks `matchesArtifact` for each path.
 */

function escape(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** A regular expression for one pattern (forward slashes, no leading './'). */
export function artifactPatternToRegExp(pattern: string): RegExp {
  const p = normalizeArtifactPath(pattern).replace(/\/+$/, '');
  let source = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        // `**/` matches zero or more folders; a trailing `**` matches everything below.
        if (p[i + 2] === '/') {
          source += '(?:[^/]*/)*';
          i += 2;
        } else {
          source += '.*';
          i += 1;
        }
      } else {
        source += '[^/]*';
      }
    } else if (c === '?') {
      source += '[^/]';
    } else if (c === '[') {
      const close = p.indexOf(']', i + 1);
      if (close < 0) {
        source += '\\[';
      } else {
        const body = p.slice(i + 1, close).replace(/\\/g, '\\\\');
        source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else {
      source += escape(c);
    }
  }
  // The pattern may name a folder: everything below it matches too.
  return new RegExp(`^${source}(?:/.*)?$`);
}

export function normalizeArtifactPath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/');
}

/** True when a pattern leaves its folder (`../x`, `/abs`): such patterns are refused. */
export function escapesProject(pattern: string): boolean {
  const p = normalizeArtifactPath(pattern);
  return p.startsWith('/') || p.split('/').includes('..');
}

/** The literal folder prefix of a pattern, where a walk can start ("dist/**" → "dist"). */
export function literalPrefix(pattern: string): string {
  const parts = normalizeArtifactPath(pattern).split('/');
  const literal: string[] = [];
  for (const part of parts) {
    if (/[*?[]/.test(part)) break;
    literal.push(part);
  }
  return literal.join('/').replace(/\/+$/, '');
}

export function matchesArtifact(relativePath: string, patterns: readonly RegExp[]): boolean {
  const path = normalizeArtifactPath(relativePath);
  return patterns.some((p) => p.test(path));
}
