import { RE2JS } from 're2js';

/**
 * The two path-pattern dialects of GitLab CI, compiled to RE2 (linear time, so a pattern from a
 * workspace cannot stall the parser):
 *
 * - `include:local` wildcards: the pattern is taken literally except `**∕` (any run of folders, or
 *   none), `**` (anything, `/` included) and `*` (anything but `/`), anchored at both ends.
 * - `rules:changes`, `rules:exists`, `only:changes`: Ruby's `File.fnmatch?` with FNM_PATHNAME,
 *   FNM_DOTMATCH and FNM_EXTGLOB: `*` and `?` stay inside a folder, `**∕` spans folders,
 *   `[a-z]`/`[!a]` classes, `{a,b}` alternatives, `\` escapes.
 */

const cache = new Map<string, RE2JS | null>();

function cached(key: string, build: () => string | null): RE2JS | null {
  let re = cache.get(key);
  if (re === undefined) {
    const source = build();
    try {
      re = source === null ? null : RE2JS.compile(source);
    } catch {
      re = null;
    }
    if (cache.size > 4000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

function escapeRe(ch: string): string {
  return /[\\^$.|?*+()[\]{}]/.test(ch) ? `\\${ch}` : ch;
}

/** Does the `include:local` pattern have a wildcard at all? */
export function isIncludeWildcard(pattern: string): boolean {
  return pattern.includes('*');
}

/** RE2 source for an `include:local` wildcard (leading `/` dropped: paths are from the repository root). */
export function includeWildcardSource(pattern: string): string {
  const p = pattern.replace(/^\/+/, '');
  let out = '^';
  for (let i = 0; i < p.length; ) {
    if (p.startsWith('**/', i)) {
      out += '(?:.*?/)?';
      i += 3;
    } else if (p.startsWith('**', i)) {
      out += '.*?';
      i += 2;
    } else if (p[i] === '*') {
      out += '[^/]*?';
      i += 1;
    } else {
      out += escapeRe(p[i]!);
      i += 1;
    }
  }
  return `${out}$`;
}

export function matchesIncludeWildcard(pattern: string, path: string): boolean {
  const re = cached(`i:${pattern}`, () => includeWildcardSource(pattern));
  return re !== null && re.matches(path);
}

/** RE2 source for a Ruby fnmatch pattern (PATHNAME | DOTMATCH | EXTGLOB); null when it cannot be read. */
export function fnmatchSource(pattern: string): string | null {
  let i = 0;
  const p = pattern.replace(/^\.\//, '');
  const parse = (inBraces: boolean): string | null => {
    let out = '';
    while (i < p.length) {
      const c = p[i]!;
      if (inBraces && (c === ',' || c === '}')) return out;
      if (c === '*') {
        if (p[i + 1] === '*' && (i === 0 || p[i - 1] === '/') && p[i + 2] === '/') {
          out += '(?:[^/]*/)*';
          i += 3;
        } else {
          while (p[i] === '*') i++;
          out += '[^/]*';
        }
      } else if (c === '?') {
        out += '[^/]';
        i++;
      } else if (c === '[') {
        const end = p.indexOf(']', i + 2);
        if (end < 0) {
          out += '\\[';
          i++;
          continue;
        }
        let body = p.slice(i + 1, end);
        let negate = false;
        if (body.startsWith('!') || body.startsWith('^')) {
          negate = true;
          body = body.slice(1);
        }
        const cls = body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]').replace(/\[/g, '\\[');
        out += negate ? `[^/${cls}]` : `[${cls}]`;
        i = end + 1;
      } else if (c === '{') {
        i++;
        const alternatives: string[] = [];
        for (;;) {
          const alt = parse(true);
          if (alt === null) return null;
          alternatives.push(alt);
          if (p[i] === ',') {
            i++;
            continue;
          }
          if (p[i] === '}') {
            i++;
            break;
          }
          return null; // unclosed brace
        }
        out += `(?:${alternatives.join('|')})`;
      } else if (c === '\\' && i + 1 < p.length) {
        out += escapeRe(p[i + 1]!);
        i += 2;
      } else {
        out += escapeRe(c);
        i++;
      }
    }
    return inBraces ? null : out;
  };
  const body = parse(false);
  return body === null ? null : `^${body}$`;
}

export function matchesFnmatch(pattern: string, path: string): boolean {
  const re = cached(`f:${pattern}`, () => fnmatchSource(pattern));
  if (re === null) return pattern === path;
  return re.matches(path);
}
