/**
 * CI systems splice expression values into scripts (GitHub `${{ matrix.os }}`, Azure
 * `$(Build.SourceBranch)`). Opsloop never splices a value into code (reliability item 18): each
 * occurrence becomes a reference to an environment variable that holds the value, written so
 * the shell expands it where the CI would have put the text:
 * - unquoted: `${NAME}` (word splitting and globbing as with spliced text, but no code);
 * - inside "double quotes": `${NAME}`;
 * - inside 'single quotes': `'"${NAME}"'` (close, expand, reopen).
 * PowerShell gets `$env:NAME`. Other interpreters (python, node...) cannot be rewritten safely:
 * their occurrences are left as they are and reported.
 */
import { findTemplateExpressions as findGithubTemplateExpressions } from '../pipeline/github/expressions';

export type ShellFamily = 'posix' | 'pwsh' | 'other';

export interface Occurrence {
  /** Index of the first character in the script. */
  readonly start: number;
  /** Index after the last character. */
  readonly end: number;
  /** The expression text, without delimiters. */
  readonly expression: string;
}

export interface RewriteResult {
  readonly script: string;
  /** Environment variables that carry the values. */
  readonly env: Readonly<Record<string, string>>;
  /** Expressions that could not be resolved or rewritten, for a warning. */
  readonly unresolved: readonly string[];
}

/**
 * `${{ expr }}` occurrences (GitHub, also Azure template syntax), found as GitHub finds them: a
 * `}}` inside a 'string' does not end one. A `${{` that is never closed is left as text.
 */
export function findTemplateExpressions(script: string): Occurrence[] {
  return findGithubTemplateExpressions(script).expressions.map((e) => ({ start: e.start, end: e.end, expression: e.source }));
}

/** Azure macros `$(name)` whose name is a known variable; `$(command)` stays a command substitution. */
export function findMacroExpressions(script: string, isVariable: (name: string) => boolean): Occurrence[] {
  const found: Occurrence[] = [];
  const pattern = /\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g;
  for (let m = pattern.exec(script); m; m = pattern.exec(script)) {
    if (isVariable(m[1]!)) found.push({ start: m.index, end: m.index + m[0].length, expression: m[1]! });
  }
  return found;
}

type Quote = 'none' | 'single' | 'double';

/** The POSIX shell quoting state at each occurrence's start (heredoc bodies count as unquoted). */
function quoteStates(script: string, positions: readonly number[]): Quote[] {
  const states: Quote[] = [];
  let quote: Quote = 'none';
  let p = 0;
  for (let i = 0; i <= script.length && p < positions.length; i++) {
    while (p < positions.length && positions[p] === i) {
      states.push(quote);
      p++;
    }
    const c = script[i];
    if (c === undefined) break;
    if (quote === 'single') {
      if (c === "'") quote = 'none';
    } else if (quote === 'double') {
      if (c === '\\') i++;
      else if (c === '"') quote = 'none';
    } else if (c === '\\') {
      i++;
    } else if (c === "'") {
      quote = 'single';
    } else if (c === '"') {
      quote = 'double';
    } else if (c === '#' && (i === 0 || /\s/.test(script[i - 1]!))) {
      // A comment runs to the end of the line; quotes in it mean nothing.
      const end = script.indexOf('\n', i);
      const stop = end < 0 ? script.length : end;
      while (p < positions.length && positions[p]! < stop) {
        states.push('none');
        p++;
      }
      i = stop - 1;
    }
  }
  while (states.length < positions.length) states.push('none');
  return states;
}

/**
 * Replaces each occurrence by a reference to an environment variable `prefix + n` holding
 * `resolve(expression)`. `resolve` returns undefined for what it cannot evaluate (the text is
 * then replaced by an empty value, as GitHub does for a missing context, and reported).
 */
export function rewriteScript(
  script: string,
  occurrences: readonly Occurrence[],
  shell: ShellFamily,
  resolve: (expression: string) => string | undefined,
  prefix = 'OPSLOOP_EXPR_',
): RewriteResult {
  if (occurrences.length === 0) return { script, env: {}, unresolved: [] };
  const env: Record<string, string> = {};
  const unresolved: string[] = [];
  if (shell === 'other') {
    for (const o of occurrences) unresolved.push(o.expression);
    return { script, env, unresolved };
  }
  const sorted = [...occurrences].sort((a, b) => a.start - b.start);
  const states = shell === 'posix' ? quoteStates(script, sorted.map((o) => o.start)) : sorted.map(() => 'none' as Quote);
  const names = new Map<string, string>();
  let out = '';
  let position = 0;
  sorted.forEach((o, i) => {
    if (o.start < position) return; // overlapping: already replaced
    const value = resolve(o.expression);
    if (value === undefined) unresolved.push(o.expression);
    let name = names.get(o.expression);
    if (!name) {
      name = `${prefix}${names.size + 1}`;
      names.set(o.expression, name);
      env[name] = value ?? '';
    }
    let reference: string;
    if (shell === 'pwsh') reference = `$env:${name}`;
    else if (states[i] === 'single') reference = `'"\${${name}}"'`;
    else reference = `\${${name}}`;
    out += script.slice(position, o.start) + reference;
    position = o.end;
  });
  out += script.slice(position);
  return { script: out, env, unresolved };
}
