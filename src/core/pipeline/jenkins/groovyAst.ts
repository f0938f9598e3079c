/**
 * A tolerant parser for the statement shapes of a declarative Jenkinsfile:
 *   name { ... }                 pipeline, stages, steps, post, environment
 *   name(args) { ... }           stage('Build') { ... }, dir('x') { ... }
 *   name(args)                   timeout(time: 5, unit: 'MINUTES')
 *   name arg, key: arg           sh 'make', sh script: 'make', label: 'build'
 *   NAME = value                 environment entries
 * Anything else is kept as raw text. It never throws; problems (unclosed braces, strings) are
 * returned with a line and column. Nesting deeper than a limit is skipped, not recursed into.
 */
import { type Token, type TokenProblem, tokenizeGroovy } from './groovyTokens';

export type GroovyValue =
  | { readonly kind: 'string'; readonly text: string; readonly quote: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'ident'; readonly text: string }
  | { readonly kind: 'list'; readonly items: readonly GroovyArg[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly GroovyArg[] }
  | { readonly kind: 'closure'; readonly body: readonly Statement[] }
  | { readonly kind: 'expr'; readonly text: string };

export interface GroovyArg {
  readonly name?: string;
  readonly value: GroovyValue;
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface Statement {
  /** The leading (possibly dotted) identifier; '' for a statement that is not a call or assignment. */
  readonly name: string;
  readonly args: readonly GroovyArg[];
  readonly block?: readonly Statement[];
  /** `NAME = value`. */
  readonly assigned?: GroovyValue;
  /** Raw source of the statement and of its block's inside. */
  readonly text: string;
  readonly blockText?: string;
  readonly start: Position;
  readonly end: Position;
}

export interface GroovyFile {
  readonly statements: readonly Statement[];
  readonly problems: readonly TokenProblem[];
}

const maxDepth = 64;

export function parseGroovy(source: string): GroovyFile {
  const { tokens, problems } = tokenizeGroovy(source);
  const parser = new Parser(source, tokens, problems);
  const statements = parser.block(0, true);
  return { statements, problems };
}

class Parser {
  private pos = 0;
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
    private readonly problems: TokenProblem[],
  ) {
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  private get token(): Token {
    return this.tokens[this.pos]!;
  }

  private peek(offset = 1): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  private isPunct(text: string, token = this.token): boolean {
    return token.kind === 'punct' && token.text === text;
  }

  private next(): Token {
    const t = this.token;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  position(offset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  private problem(message: string, token: Token): void {
    this.problems.push({ message, line: token.line, column: token.column });
  }

  /** Statements until the `}` that closes this block (consumed by the caller) or the end. */
  block(depth: number, top = false): Statement[] {
    const statements: Statement[] = [];
    for (;;) {
      const t = this.token;
      if (t.kind === 'eof') return statements;
      if (this.isPunct('}')) {
        if (!top) return statements;
        this.problem('A } closes nothing.', t);
        this.next();
        continue;
      }
      if (this.isPunct(';')) {
        this.next();
        continue;
      }
      const before = this.pos;
      statements.push(this.statement(depth));
      if (this.pos === before) this.next();
    }
  }

  private statement(depth: number): Statement {
    const first = this.token;
    if (first.kind !== 'ident') {
      this.skipExpression(depth);
      return this.finish(first, '', []);
    }
    const name = this.dottedName();
    if (this.isPunct('=')) {
      this.next();
      const assigned = this.value(depth);
      return { ...this.finish(first, name, []), assigned };
    }
    let args: GroovyArg[] = [];
    if (this.isPunct('(') && !this.token.newlineBefore) {
      this.next();
      args = this.argList(')', depth + 1);
    } else if (!this.token.newlineBefore && !this.isPunct('{') && !this.isPunct('}') && !this.isPunct(';') && this.token.kind !== 'eof') {
      args = this.commandArgs(depth);
    }
    if (this.isPunct('{')) {
      const open = this.next();
      if (depth >= maxDepth) {
        this.problem(`Blocks are nested more than ${maxDepth} deep; the inner part is not analysed.`, open);
        const close = this.skipBalanced();
        return { ...this.finish(first, name, args), block: [], blockText: this.source.slice(open.end, close) };
      }
      const block = this.block(depth + 1);
      const closeToken = this.token;
      if (this.isPunct('}')) this.next();
      else this.problem(`The { of '${name}' is never closed.`, open);
      return { ...this.finish(first, name, args), block, blockText: this.source.slice(open.end, closeToken.start) };
    }
    return this.finish(first, name, args);
  }

  private finish(first: Token, name: string, args: GroovyArg[]): Statement {
    const last = this.tokens[Math.max(0, this.pos - 1)]!;
    const endOffset = Math.max(first.end, last.end);
    return {
      name,
      args,
      text: this.source.slice(first.start, endOffset),
      start: { line: first.line, column: first.column },
      end: this.position(endOffset),
    };
  }

  private dottedName(): string {
    let name = this.next().text;
    while ((this.isPunct('.') || this.isPunct('?.')) && this.peek().kind === 'ident' && !this.peek().newlineBefore) {
      this.next();
      name += `.${this.next().text}`;
    }
    return name;
  }

  /** `a, key: b` up to the end of the line (a trailing comma continues on the next line). */
  private commandArgs(depth: number): GroovyArg[] {
    const args: GroovyArg[] = [];
    for (;;) {
      const before = this.pos;
      args.push(this.arg(depth));
      if (this.pos === before) break;
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      break;
    }
    return args;
  }

  private argList(close: string, depth: number): GroovyArg[] {
    if (depth >= maxDepth) {
      this.problem(`Brackets are nested more than ${maxDepth} deep; the inner part is not analysed.`, this.token);
      this.skipPast(close);
      return [];
    }
    const args: GroovyArg[] = [];
    for (;;) {
      if (this.isPunct(close)) {
        this.next();
        return args;
      }
      if (this.token.kind === 'eof' || this.isPunct('}')) {
        this.problem(`A ${close === ')' ? '(' : '['} is never closed.`, this.token);
        return args;
      }
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      const before = this.pos;
      args.push(this.arg(depth));
      if (this.pos === before) this.next();
    }
  }

  private arg(depth: number): GroovyArg {
    const t = this.token;
    if ((t.kind === 'ident' || t.kind === 'string') && this.isPunct(':', this.peek()) && !this.isPunct('?:', this.peek())) {
      this.next();
      this.next();
      return { name: t.text, value: this.value(depth) };
    }
    return { value: this.value(depth) };
  }

  /** One argument value; anything more complex than a literal, a list, a call or a closure is kept as raw text. */
  private value(depth: number): GroovyValue {
    const start = this.token;
    const startPos = this.pos;
    const simple = this.primary(depth);
    if (simple && this.atValueEnd()) return simple;
    this.pos = startPos;
    this.skipExpression(depth);
    const end = this.tokens[Math.max(0, this.pos - 1)]!;
    return { kind: 'expr', text: this.source.slice(start.start, Math.max(start.end, end.end)) };
  }

  private atValueEnd(): boolean {
    const t = this.token;
    if (t.kind === 'eof' || t.newlineBefore) return true;
    return t.kind === 'punct' && [',', ')', ']', '}', ';', '{'].includes(t.text);
  }

  private primary(depth: number): GroovyValue | undefined {
    const t = this.token;
    if (t.kind === 'string') {
      this.next();
      return { kind: 'string', text: t.text, quote: t.quote ?? "'" };
    }
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', text: t.text };
    }
    if (this.isPunct('-') && this.peek().kind === 'number') {
      this.next();
      return { kind: 'number', text: `-${this.next().text}` };
    }
    if (t.kind === 'ident') {
      const name = this.dottedName();
      if (this.isPunct('(') && !this.token.newlineBefore) {
        this.next();
        const args = this.argList(')', depth + 1);
        return { kind: 'call', name, args };
      }
      return { kind: 'ident', text: name };
    }
    if (this.isPunct('[')) {
      this.next();
      if (this.isPunct(':') && this.isPunct(']', this.peek())) {
        this.next();
        this.next();
        return { kind: 'list', items: [] };
      }
      return { kind: 'list', items: this.argList(']', depth + 1) };
    }
    if (this.isPunct('{')) {
      const open = this.next();
      if (depth >= maxDepth) {
        this.problem(`Blocks are nested more than ${maxDepth} deep; the inner part is not analysed.`, open);
        this.skipBalanced();
        return { kind: 'closure', body: [] };
      }
      const body = this.block(depth + 1);
      if (this.isPunct('}')) this.next();
      else this.problem('A { is never closed.', open);
      return { kind: 'closure', body };
    }
    return undefined;
  }

  /** Skips an expression: to a `,` `)` `]` `}` `;` at its own depth, or the end of the line. */
  private skipExpression(_depth: number): void {
    let nesting = 0;
    const first = this.pos;
    for (;;) {
      const t = this.token;
      if (t.kind === 'eof') return;
      if (this.pos > first && nesting === 0 && t.newlineBefore && !this.continuesLine()) return;
      if (t.kind === 'punct') {
        if (t.text === '(' || t.text === '[' || t.text === '{') nesting++;
        else if (t.text === ')' || t.text === ']' || t.text === '}') {
          if (nesting === 0) return;
          nesting--;
        } else if (nesting === 0 && (t.text === ',' || t.text === ';')) return;
      }
      this.next();
    }
  }

  /** An operator at the end of the previous line continues the expression. */
  private continuesLine(): boolean {
    const previous = this.tokens[this.pos - 1];
    return previous !== undefined && previous.kind === 'punct' && ['+', '-', '*', '&&', '||', '?', ':', '.', '=', '==', '!=', '(', '[', ','].includes(previous.text);
  }

  /** Skips to the `close` bracket that ends the current list (consumed), over nested brackets of any kind. */
  private skipPast(close: string): void {
    let nesting = 0;
    for (;;) {
      const t = this.token;
      if (t.kind === 'eof') return;
      if (t.kind === 'punct') {
        if (t.text === '(' || t.text === '[' || t.text === '{') nesting++;
        else if (t.text === ')' || t.text === ']' || t.text === '}') {
          if (nesting === 0) {
            if (t.text === close) this.next();
            return;
          }
          nesting--;
        }
      }
      this.next();
    }
  }

  /** After an opening `{`: skips to its matching `}` (consumed) and returns the offset of that `}`. */
  private skipBalanced(): number {
    let nesting = 1;
    for (;;) {
      const t = this.token;
      if (t.kind === 'eof') return t.start;
      if (this.isPunct('{')) nesting++;
      else if (this.isPunct('}')) {
        nesting--;
        if (nesting === 0) {
          this.next();
          return t.start;
        }
      }
      this.next();
    }
  }
}

/** The text of a value as Groovy would print it, for strings and literals; raw source for the rest. */
export function valueText(value: GroovyValue): string {
  switch (value.kind) {
    case 'string':
    case 'number':
    case 'ident':
    case 'expr':
      return value.text;
    case 'call':
      return `${value.name}(${value.args.map(argText).join(', ')})`;
    case 'list':
      return `[${value.items.map(argText).join(', ')}]`;
    case 'closure':
      return '{ ... }';
  }
}

/** An argument as source-like text: strings inside calls and lists keep their quotes. */
function argText(arg: GroovyArg): string {
  const v = arg.value;
  const text = v.kind === 'string' ? quoted(v.text, v.quote) : valueText(v);
  return arg.name !== undefined ? `${arg.name}: ${text}` : text;
}

function quoted(text: string, quote: string): string {
  if (quote === '/' || quote === '$/') return `/${text}/`;
  const q = quote[0] === '"' ? '"' : "'";
  return `${q}${text.replace(/\\/g, '\\\\').replace(q === '"' ? /"/g : /'/g, `\\${q}`)}${q}`;
}
