/**
 * A tolerant tokenizer for the part of Groovy a declarative Jenkinsfile uses: identifiers,
 * numbers, strings (single, double, triple-quoted, slashy), comments and punctuation. It never
 * throws: an unterminated string or comment ends the input and is reported as a problem.
 */

export type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier or punctuation text; for strings, the decoded value (GString `${...}` kept as written). */
  readonly text: string;
  /** Offset of the first character and one past the last, in the source. */
  readonly start: number;
  readonly end: number;
  /** 1-based. */
  readonly line: number;
  readonly column: number;
  /** A line break separates this token from the previous one (Groovy ends statements there). */
  readonly newlineBefore: boolean;
  /** For strings: the quote used (`'`, `"`, `'''`, `"""`, `/`). */
  readonly quote?: string;
}

export interface TokenProblem {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

export interface Tokens {
  readonly tokens: Token[];
  readonly problems: TokenProblem[];
}

const punctuators = ['==~', '=~', '?.', '*.', '->', '==', '!=', '<=', '>=', '&&', '||', '++', '--', '+=', '-=', '<<', '..', '?:'];

/** Tokens after which a `/` starts a slashy string rather than a division. */
const beforeSlashy = new Set(['(', ',', '=', '==~', '=~', '[', ':', '{', ';', '!', '&&', '||', '==', '!=', 'return']);

export function tokenizeGroovy(source: string, maxTokens = 2_000_000): Tokens {
  const tokens: Token[] = [];
  const problems: TokenProblem[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let newline = true;
  const n = source.length;

  const advanceLines = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      if (source.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
  };

  const push = (kind: TokenKind, text: string, start: number, end: number, startLine: number, startColumn: number, quote?: string): void => {
    tokens.push({ kind, text, start, end, line: startLine, column: startColumn, newlineBefore: newline, ...(quote ? { quote } : {}) });
    newline = false;
  };

  while (i < n) {
    if (tokens.length >= maxTokens) {
      problems.push({ message: `The file has more than ${maxTokens} tokens; the rest is not read.`, line, column: i - lineStart + 1 });
      break;
    }
    const c = source[i]!;
    if (c === '\n') {
      newline = true;
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF') {
      i++;
      continue;
    }
    // Line continuation: a backslash at the end of a line joins it to the next.
    if (c === '\\' && (source[i + 1] === '\n' || (source[i + 1] === '\r' && source[i + 2] === '\n'))) {
      i += source[i + 1] === '\n' ? 1 : 2;
      advanceLines(i, i + 1);
      i++;
      continue;
    }
    const startLine = line;
    const startColumn = i - lineStart + 1;
    if (c === '#' && i === 0 && source[1] === '!') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const close = source.indexOf('*/', i + 2);
      const end = close < 0 ? n : close + 2;
      if (close < 0) problems.push({ message: 'A /* comment is never closed.', line: startLine, column: startColumn });
      advanceLines(i, end);
      i = end;
      if (line !== startLine) newline = true;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = source.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      const { value, end, closed } = readQuoted(source, i + quote.length, quote);
      if (!closed) problems.push({ message: `A string that starts with ${quote} is never closed.`, line: startLine, column: startColumn });
      advanceLines(i, end);
      push('string', value, i, end, startLine, startColumn, quote);
      i = end;
      continue;
    }
    if (c === '$' && source[i + 1] === '/') {
      const close = source.indexOf('/$', i + 2);
      const end = close < 0 ? n : close + 2;
      if (close < 0) problems.push({ message: 'A $/ string is never closed.', line: startLine, column: startColumn });
      advanceLines(i, end);
      push('string', source.slice(i + 2, close < 0 ? n : close), i, end, startLine, startColumn, '$/');
      i = end;
      continue;
    }
    if (c === '/' && slashyAllowed(tokens) && source[i + 1] !== ' ' && source[i + 1] !== '=') {
      const end = readSlashy(source, i + 1);
      if (end !== undefined) {
        push('string', source.slice(i + 1, end - 1), i, end, startLine, startColumn, '/');
        advanceLines(i, end);
        i = end;
        continue;
      }
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(source[j]!)) j++;
      push('ident', source.slice(i, j), i, j, startLine, startColumn);
      i = j;
      continue;
    }
    if (c >= '0' && c <= '9') {
      let j = i + 1;
      while (j < n && /[0-9a-zA-Z_.]/.test(source[j]!)) {
        if (source[j] === '.' && !/[0-9]/.test(source[j + 1] ?? '')) break;
        j++;
      }
      push('number', source.slice(i, j), i, j, startLine, startColumn);
      i = j;
      continue;
    }
    const multi = punctuators.find((p) => source.startsWith(p, i));
    const text = multi ?? c;
    push('punct', text, i, i + text.length, startLine, startColumn);
    i += text.length;
  }
  tokens.push({ kind: 'eof', text: '', start: n, end: n, line, column: n - lineStart + 1, newlineBefore: true });
  return { tokens, problems };
}

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$' || c.charCodeAt(0) > 127;
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}

function slashyAllowed(tokens: Token[]): boolean {
  const previous = tokens[tokens.length - 1];
  if (!previous) return true;
  if (previous.kind === 'punct') return beforeSlashy.has(previous.text);
  return previous.kind === 'ident' && previous.text === 'return';
}

/** A slashy string `/.../` on one line; undefined when it is not one (then `/` is division). */
function readSlashy(source: string, from: number): number | undefined {
  for (let j = from; j < source.length; j++) {
    const c = source[j];
    if (c === '\n') return undefined;
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '/') return j + 1;
  }
  return undefined;
}

/** Strings inside `${...}` inside strings: deeper than this is read as plain text (no unbounded recursion). */
const maxInterpolationDepth = 16;

const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '\\': '\\', "'": "'", '"': '"', $: '$', '0': '\0' };

/**
 * Reads a quoted string body from `from` (after the opening quote). Escapes are decoded; in
 * double-quoted strings `${...}` is kept as written, with nested strings and braces skipped.
 */
function readQuoted(source: string, from: number, quote: string, depth = 0): { value: string; end: number; closed: boolean } {
  const single = quote.length === 1;
  const interpolating = quote[0] === '"';
  let out = '';
  let i = from;
  while (i < source.length) {
    if (source.startsWith(quote, i)) return { value: out, end: i + quote.length, closed: true };
    const c = source[i]!;
    if (single && c === '\n') return { value: out, end: i, closed: false };
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) break;
      if (next === '\n') {
        i += 2;
        continue;
      }
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      out += escapes[next] ?? `\\${next}`;
      i += 2;
      continue;
    }
    if (interpolating && c === '$' && source[i + 1] === '{' && depth < maxInterpolationDepth) {
      const end = skipInterpolation(source, i + 2, depth + 1);
      out += source.slice(i, end);
      i = end;
      continue;
    }
    out += c;
    i++;
  }
  return { value: out, end: source.length, closed: false };
}

/** From inside `${`, the offset after its closing `}` (nested braces and strings skipped). */
function skipInterpolation(source: string, from: number, nesting: number): number {
  let depth = 1;
  let i = from;
  while (i < source.length && depth > 0) {
    const c = source[i]!;
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === '"' || c === "'") {
      const triple = source.startsWith(c.repeat(3), i);
      const q = triple ? c.repeat(3) : c;
      i = readQuoted(source, i + q.length, q, nesting).end;
      continue;
    }
    i++;
  }
  return i;
}
