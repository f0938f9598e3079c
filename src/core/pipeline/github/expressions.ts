/**
 * GitHub Actions expressions (`${{ ... }}` and the text of `if:`): one interpreter for the plan
 * (the GitHub parser) and for the run (the local runner). Interpreted, never passed to eval
 * (reliability item 10); GitHub's limits are checked before work grows: 21,000 characters, a
 * tree 50 levels deep (100 levels of parentheses while reading), results of at most 10 M
 * characters, fromJSON input 64 levels deep.
 *
 * The language as GitHub documents it ("Evaluate expressions in workflows and actions") and as
 * its runner implements what the page leaves open:
 * - literals: null, true, false, numbers (JSON forms, `0x` hex, `0o` octal, NaN, Infinity),
 *   'strings' with '' for a quote;
 * - contexts github, env, vars, job, jobs, steps, runner, secrets, strategy, matrix, needs,
 *   inputs; `.name`, `[index]` and the object filter `*`; names ignore case;
 * - `!`, then `< <= > >=`, then `== !=`, then `&&`, then `||`; `&&` and `||` return one of their
 *   operands. Loose comparison: strings ignore case; other mixed types become numbers (null 0,
 *   booleans 1 and 0, strings parsed, arrays and objects NaN); NaN compares false; arrays and
 *   objects equal only themselves;
 * - contains, startsWith, endsWith, format, join, toJSON, fromJSON, hashFiles, case, and the
 *   status functions success, failure, cancelled, always;
 * - `if:` means `success() && (condition)` unless it calls a status function; text around
 *   `${{ }}` makes a string (GitHub's `format`), which is true when it is not empty.
 *
 * At plan time only some contexts are known (matrix values); the rest are `unknown` and the
 * logic is three-valued, so that `always() && github.ref == 'x'` still says "always". At run
 * time every context and the status are given and the results are plain values.
 */
import { OpsloopError } from '../../errors';
import { compareIgnoringCase, findKeyIgnoringCase, foldCase, readQuotedString } from '../expressions/expressionText';
import type { When } from '../model';

// ---------------------------------------------------------------------------------------------
// Values

/** A value in a context or a result: JSON data. */
export type ExpressionValue = null | boolean | number | string | ExpressionValue[] | { [key: string]: ExpressionValue };

/** The value of something only a run knows. */
export const unknown: unique symbol = Symbol('unknown');
/** Unknown, but a boolean (a comparison, a `!`, a status function at plan time). */
const unknownBoolean: unique symbol = Symbol('unknown boolean');
/** Unknown, but true as a condition (`x || 'y'`). */
const unknownTruthy: unique symbol = Symbol('unknown truthy');
/** Unknown, but false as a condition (`x && 0`). */
const unknownFalsy: unique symbol = Symbol('unknown falsy');
type Unknown = typeof unknown | typeof unknownBoolean | typeof unknownTruthy | typeof unknownFalsy;

/** A value, or one of the kinds of unknown. */
export type Value = ExpressionValue | Unknown;

export function isUnknown(value: unknown): value is Unknown {
  return value === unknown || value === unknownBoolean || value === unknownTruthy || value === unknownFalsy;
}

export type JobStatus = 'success' | 'failure' | 'cancelled';

export interface EvalContext {
  /** The status of what ran before; without it the status functions are unknown. */
  readonly status?: JobStatus;
  /** Known contexts by name, e.g. { matrix: { os: 'ubuntu' } }. */
  readonly contexts?: Readonly<Record<string, unknown>>;
  /** What a context that `contexts` lacks is: unknown (plan time, the default) or null (run time). */
  readonly missing?: 'unknown' | 'null';
  /** GitHub's hashFiles(); without it the result is unknown. */
  readonly hashFiles?: (patterns: readonly string[]) => string;
}

export const maxExpressionLength = 21_000;
export const maxExpressionDepth = 50;
const maxNesting = 100;
const maxResultLength = 10 * 1024 * 1024;
const maxJsonDepth = 64;

export const contextNames: ReadonlySet<string> = new Set(['github', 'env', 'vars', 'job', 'jobs', 'steps', 'runner', 'secrets', 'strategy', 'matrix', 'needs', 'inputs']);
const statusFunctions: ReadonlySet<string> = new Set(['success', 'failure', 'cancelled', 'always']);
/** Name (lower case) → [fewest, most] arguments, as GitHub checks them while parsing. */
const functionArity: ReadonlyMap<string, readonly [number, number]> = new Map([
  ['contains', [2, 2]],
  ['startswith', [2, 2]],
  ['endswith', [2, 2]],
  ['format', [1, 255]],
  ['join', [1, 2]],
  ['tojson', [1, 1]],
  ['fromjson', [1, 1]],
  ['hashfiles', [1, 255]],
  ['case', [3, 255]],
  ['success', [0, 0]],
  ['failure', [0, 0]],
  ['cancelled', [0, 0]],
  ['always', [0, 0]],
]);
const functionNames = 'contains, startsWith, endsWith, format, join, toJSON, fromJSON, hashFiles, case, success, failure, cancelled, always';

type Kind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

function kindOf(value: ExpressionValue): Kind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as 'boolean' | 'number' | 'string' | 'object';
}

function isPrimitive(value: ExpressionValue): value is null | boolean | number | string {
  return value === null || typeof value !== 'object';
}

function isRecord(value: ExpressionValue): value is { [key: string]: ExpressionValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Context data as the interpreter sees it (YAML and callers may hand in undefined, Dates, bigints). */
function canonical(value: unknown): ExpressionValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'number':
    case 'string':
      return value;
    case 'bigint':
      return Number(value);
    case 'object':
      return value instanceof Date ? value.toISOString() : (value as ExpressionValue);
    default:
      return null;
  }
}

/** Arrays made by the object filter `*`: a property of one is taken from each item. */
const filteredArrays = new WeakSet<readonly unknown[]>();

function filtered(items: ExpressionValue[]): ExpressionValue[] {
  filteredArrays.add(items);
  return items;
}

const decimalNumber = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** GitHub's conversion of text to a number: JSON forms, `0x` hex and `0o` octal (32-bit), Infinity; else NaN. Empty text is 0. */
export function parseNumberText(text: string): number {
  const s = text.trim();
  if (s === '') return 0;
  if (decimalNumber.test(s)) return Number(s);
  const radix = /^0x([0-9a-fA-F]+)$/.exec(s) ? 16 : /^0o([0-7]+)$/.exec(s) ? 8 : 0;
  if (radix !== 0) {
    const digits = s.slice(2).replace(/^0+(?=.)/, '');
    if (digits.length > 11) return NaN;
    const n = parseInt(digits, radix);
    return n > 0xffffffff ? NaN : n | 0;
  }
  if (/^[+-]?infinity$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  return NaN;
}

/** A number as GitHub writes it: .NET's "G15" (15 significant digits, exponent from 1E+15 and below 1E-04). */
export function numberText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, exponentText] = n.toExponential(14).split('e') as [string, string];
  const exponent = Number(exponentText);
  const digits = mantissa.replace('-', '').replace('.', '').replace(/0+$/, '');
  const sign = n < 0 ? '-' : '';
  if (exponent >= 15 || exponent < -4) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}E${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits}${'0'.repeat(exponent + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** A value as text, as GitHub converts it: null '', booleans, numbers in G15, arrays 'Array', objects 'Object'. */
export function toText(value: ExpressionValue): string {
  switch (kindOf(value)) {
    case 'null':
      return '';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return numberText(value as number);
    case 'string':
      return value as string;
    case 'array':
      return 'Array';
    default:
      return 'Object';
  }
}

function toNumber(value: ExpressionValue): number {
  switch (kindOf(value)) {
    case 'null':
      return 0;
    case 'boolean':
      return value ? 1 : 0;
    case 'number':
      return value as number;
    case 'string':
      return parseNumberText(value as string);
    default:
      return NaN;
  }
}

function isTruthy(value: ExpressionValue): boolean {
  if (value === null || value === false || value === '') return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  return true;
}

/** true, false, or unknown when only a run can tell. */
export function truthy(value: Value): boolean | typeof unknown {
  if (value === unknownTruthy) return true;
  if (value === unknownFalsy) return false;
  if (isUnknown(value)) return unknown;
  return isTruthy(value);
}

/** GitHub's coercion before a comparison: mixed types become numbers, arrays and objects stay. */
function coerce(a: ExpressionValue, b: ExpressionValue): [ExpressionValue, ExpressionValue] {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === kb) return [a, b];
  if (ka === 'number' && kb === 'string') return [a, toNumber(b)];
  if (ka === 'string' && kb === 'number') return [toNumber(a), b];
  if (ka === 'boolean' || ka === 'null') return coerce(toNumber(a), b);
  if (kb === 'boolean' || kb === 'null') return coerce(a, toNumber(b));
  return [a, b];
}

/** `==` as GitHub defines it. */
export function looseEquals(left: ExpressionValue, right: ExpressionValue): boolean {
  const [a, b] = coerce(left, right);
  const kind = kindOf(a);
  if (kind !== kindOf(b)) return false;
  switch (kind) {
    case 'null':
      return true;
    case 'string':
      return compareIgnoringCase(a as string, b as string) === 0;
    default:
      return a === b; // numbers (NaN is never equal), booleans, and arrays/objects by identity
  }
}

/** Negative, zero, positive, or NaN when the two do not compare (NaN, mixed, arrays, objects). */
function order(left: ExpressionValue, right: ExpressionValue): number {
  const [a, b] = coerce(left, right);
  const kind = kindOf(a);
  if (kind !== kindOf(b)) return NaN;
  if (kind === 'number') return Number.isNaN(a as number) || Number.isNaN(b as number) ? NaN : (a as number) - (b as number);
  if (kind === 'string') return compareIgnoringCase(a as string, b as string);
  if (kind === 'boolean') return Number(a) - Number(b);
  return NaN;
}

// ---------------------------------------------------------------------------------------------
// Syntax

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Expr =
  | { readonly kind: 'literal'; readonly value: null | boolean | number | string }
  | { readonly kind: 'context'; readonly name: string }
  /** `.name` is an index by a string literal; `*` is the object filter. */
  | { readonly kind: 'index'; readonly target: Expr; readonly index: Expr | '*' }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: 'not'; readonly operand: Expr }
  /** `&&` and `||` with all the operands of a chain, as GitHub flattens them. */
  | { readonly kind: 'and' | 'or'; readonly operands: readonly Expr[] }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly left: Expr; readonly right: Expr };

type TokenKind = 'number' | 'string' | 'keyword' | 'punct' | 'op' | 'end';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly at: number;
  readonly number?: number;
  readonly string?: string;
}

const boundaryChars = new Set(['(', '[', ')', ']', ',', '.', '!', '>', '<', '=', '&', '|']);
const whitespace = /\s/;
const isSpace = (c: string): boolean => whitespace.test(c);
const isBoundary = (c: string): boolean => boundaryChars.has(c) || isSpace(c);
const keywordPattern = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function shown(source: string): string {
  return `\`${source.length > 80 ? `${source.slice(0, 77)}...` : source}\``;
}

const clip = (text: string): string => (text.length > 20 ? `${text.slice(0, 20)}...` : text);

function syntaxError(source: string, what: string): OpsloopError {
  return new OpsloopError('invalidInput', `Cannot read expression ${shown(source)}: ${what}.`);
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const last = (): Token | undefined => tokens[tokens.length - 1];
  // Where an operand may start, a '.' begins a number (.5); elsewhere it is a property access.
  const operandExpected = (): boolean => {
    const t = last();
    return t === undefined || t.kind === 'op' || (t.kind === 'punct' && (t.text === ',' || t.text === '(' || t.text === '['));
  };
  while (i < source.length) {
    const c = source[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === "'") {
      let read;
      try {
        read = readQuotedString(source, i);
      } catch {
        throw new OpsloopError('invalidInput', `Unterminated string at position ${at + 1} in ${shown(source)}.`);
      }
      tokens.push({ kind: 'string', text: source.slice(at, read.end), at, string: read.value });
      i = read.end;
      continue;
    }
    if ('()[],*'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, at });
      i++;
      continue;
    }
    const two = source.slice(i, i + 2);
    if (two === '!=' || two === '>=' || two === '<=' || two === '==' || two === '&&' || two === '||') {
      tokens.push({ kind: 'op', text: two, at });
      i += 2;
      continue;
    }
    if (c === '!' || c === '<' || c === '>') {
      tokens.push({ kind: 'op', text: c, at });
      i++;
      continue;
    }
    if (c === '=' || c === '&' || c === '|') throw syntaxError(source, `unexpected '${c}' at position ${at + 1}`);
    if (c === '.' && !operandExpected()) {
      tokens.push({ kind: 'punct', text: '.', at });
      i++;
      continue;
    }
    if (c === '.' || c === '-' || c === '+' || (c >= '0' && c <= '9')) {
      i++;
      while (i < source.length && (!isBoundary(source[i]!) || source[i] === '.')) i++;
      const text = source.slice(at, i);
      const n = parseNumberText(text);
      if (Number.isNaN(n)) throw syntaxError(source, `'${clip(text)}' at position ${at + 1} is not a number`);
      tokens.push({ kind: 'number', text, at, number: n });
      continue;
    }
    i++;
    while (i < source.length && !isBoundary(source[i]!)) i++;
    const text = source.slice(at, i);
    if (!keywordPattern.test(text)) throw syntaxError(source, `unexpected '${clip(text)}' at position ${at + 1}`);
    tokens.push({ kind: 'keyword', text, at });
  }
  tokens.push({ kind: 'end', text: '', at: source.length });
  return tokens;
}

/** A node with the depth of its tree, as GitHub counts it (groups add nothing, `&&` chains are one node). */
interface Built {
  readonly expr: Expr;
  readonly depth: number;
}

/**
 * Parses an expression (without its `${{ }}`). Throws OpsloopError('invalidInput') saying what
 * and where on bad syntax, an unknown context or function, a wrong number of arguments, or a
 * limit passed.
 */
export function parseExpression(source: string): Expr {
  if (source.length > maxExpressionLength) throw new OpsloopError('invalidInput', `The expression is longer than ${maxExpressionLength} characters (GitHub's limit).`);
  const tokens = tokenize(source);
  let pos = 0;
  let nesting = 0;
  const names: Token[] = [];
  const peek = (): Token => tokens[pos]!;
  const isPunct = (text: string): boolean => peek().kind === 'punct' && peek().text === text;
  const fail = (what: string, t: Token = peek()): never => {
    throw syntaxError(source, t.kind === 'end' ? `it ends too early (${what})` : `${what} at position ${t.at + 1}`);
  };
  const expect = (text: string): void => {
    if (!isPunct(text)) fail(`expected '${text}'`);
    pos++;
  };
  const node = (expr: Expr, ...children: Built[]): Built => {
    const depth = 1 + children.reduce((m, c) => Math.max(m, c.depth), 0);
    if (depth > maxExpressionDepth) throw new OpsloopError('invalidInput', `The expression nests deeper than ${maxExpressionDepth} levels (GitHub's limit).`);
    return { expr, depth };
  };
  const leaf: Built = { expr: { kind: 'literal', value: null }, depth: 1 };
  const enter = (): void => {
    if (++nesting > maxNesting) throw new OpsloopError('invalidInput', `The expression nests deeper than ${maxNesting} levels.`);
  };

  const chain = (kind: 'and' | 'or', op: string, next: () => Built): (() => Built) => () => {
    const first = next();
    if (!(peek().kind === 'op' && peek().text === op)) return first;
    const operands = [first];
    while (peek().kind === 'op' && peek().text === op) {
      pos++;
      operands.push(next());
    }
    return node({ kind, operands: operands.map((o) => o.expr) }, ...operands);
  };
  const binary = (ops: readonly string[], next: () => Built): (() => Built) => () => {
    let left = next();
    while (peek().kind === 'op' && ops.includes(peek().text)) {
      const op = tokens[pos++]!.text as CompareOp;
      const right = next();
      left = node({ kind: 'compare', op, left: left.expr, right: right.expr }, left, right);
    }
    return left;
  };
  const unary = (): Built => {
    if (peek().kind === 'op' && peek().text === '!') {
      pos++;
      enter();
      try {
        const operand = unary();
        return node({ kind: 'not', operand: operand.expr }, operand);
      } finally {
        nesting--;
      }
    }
    return postfix();
  };
  const comparison = binary(['<', '<=', '>', '>='], unary);
  const equality = binary(['==', '!='], comparison);
  const and = chain('and', '&&', equality);
  const or = chain('or', '||', and);
  function expression(): Built {
    enter();
    try {
      return or();
    } finally {
      nesting--;
    }
  }
  function primary(): { built: Built; literal: boolean } {
    const t = tokens[pos]!;
    if (t.kind === 'end') return fail('a value was expected');
    pos++;
    if (t.kind === 'number') return { built: node({ kind: 'literal', value: t.number! }), literal: true };
    if (t.kind === 'string') return { built: node({ kind: 'literal', value: t.string! }), literal: true };
    if (t.kind === 'punct' && t.text === '(') {
      const inner = expression();
      expect(')');
      return { built: inner, literal: false };
    }
    if (t.kind !== 'keyword') return fail(`unexpected '${t.text}'`, t);
    if (isPunct('(')) {
      pos++;
      const args: Built[] = [];
      if (!isPunct(')')) {
        args.push(expression());
        while (isPunct(',')) {
          pos++;
          args.push(expression());
        }
      }
      expect(')');
      const name = t.text.toLowerCase();
      const arity = functionArity.get(name);
      if (!arity) throw new OpsloopError('invalidInput', `Unknown function ${t.text}() at position ${t.at + 1} in ${shown(source)}; GitHub's are ${functionNames}.`);
      if (args.length < arity[0] || args.length > arity[1]) {
        const wanted = arity[0] === arity[1] ? `${arity[0]}` : arity[1] === 255 ? `at least ${arity[0]}` : `${arity[0]} to ${arity[1]}`;
        throw syntaxError(source, `${t.text}() takes ${wanted} argument${wanted === '1' ? '' : 's'}, not ${args.length}`);
      }
      return { built: node({ kind: 'call', name, args: args.map((a) => a.expr) }, ...args), literal: false };
    }
    if (t.text === 'true' || t.text === 'false') return { built: node({ kind: 'literal', value: t.text === 'true' }), literal: true };
    if (t.text === 'null') return { built: node({ kind: 'literal', value: null }), literal: true };
    if (t.text === 'NaN' || t.text === 'Infinity') return { built: node({ kind: 'literal', value: t.text === 'NaN' ? NaN : Infinity }), literal: true };
    names.push(t);
    return { built: node({ kind: 'context', name: t.text.toLowerCase() }), literal: false };
  }
  function postfix(): Built {
    const { built, literal } = primary();
    let current = built;
    // GitHub allows `.` and `[` after a context, a call, a group or another access; not after a literal.
    if (literal) return current;
    for (;;) {
      if (isPunct('.')) {
        pos++;
        const t = peek();
        if (t.kind === 'punct' && t.text === '*') {
          pos++;
          current = node({ kind: 'index', target: current.expr, index: '*' }, current, leaf);
        } else if (t.kind === 'keyword') {
          pos++;
          current = node({ kind: 'index', target: current.expr, index: { kind: 'literal', value: t.text } }, current, leaf);
        } else {
          fail('a property name must follow a dot');
        }
      } else if (isPunct('[')) {
        pos++;
        if (isPunct('*')) {
          pos++;
          expect(']');
          current = node({ kind: 'index', target: current.expr, index: '*' }, current, leaf);
        } else {
          const index = expression();
          expect(']');
          current = node({ kind: 'index', target: current.expr, index: index.expr }, current, index);
        }
      } else {
        return current;
      }
    }
  }

  const result = expression();
  const rest = peek();
  if (rest.kind !== 'end') fail(`unexpected text after the expression ('${clip(rest.text)}')`, rest);
  // Known syntax first, then the names, so that a typo in the syntax is what gets reported.
  for (const t of names) {
    if (!contextNames.has(t.text.toLowerCase())) throw new OpsloopError('invalidInput', `Unknown context '${t.text}' at position ${t.at + 1} in ${shown(source)}; GitHub's are ${[...contextNames].join(', ')}.`);
  }
  return result.expr;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function resultTooLarge(): OpsloopError {
  return new OpsloopError('limitExceeded', `The expression's result is longer than ${maxResultLength} characters.`);
}

function integerIndex(key: ExpressionValue): number | undefined {
  const n = toNumber(key);
  if (Number.isNaN(n) || n < 0) return undefined;
  const i = Math.floor(n);
  return i > 2147483647 ? undefined : i;
}

function lookup(record: { [key: string]: ExpressionValue }, key: ExpressionValue): ExpressionValue | undefined {
  if (!isPrimitive(key)) return undefined;
  const found = findKeyIgnoringCase(record, toText(key));
  return found === undefined ? undefined : canonical(record[found]);
}

/** `target[key]`, `target.key` and `target.*`, with GitHub's rules for filtered arrays. */
function index(target: Value, key: Value | '*'): Value {
  if (isUnknown(target) || (key !== '*' && isUnknown(key))) return unknown;
  const k = key as ExpressionValue | '*';
  if (Array.isArray(target) && filteredArrays.has(target)) {
    const out: ExpressionValue[] = [];
    for (const raw of target) {
      const item = canonical(raw);
      if (isRecord(item)) {
        if (k === '*') for (const v of Object.values(item)) out.push(canonical(v));
        else {
          const v = lookup(item, k);
          if (v !== undefined) out.push(v);
        }
      } else if (Array.isArray(item)) {
        if (k === '*') for (const v of item) out.push(canonical(v));
        else {
          const i = integerIndex(k);
          if (i !== undefined && i < item.length) out.push(canonical(item[i]));
        }
      }
    }
    return filtered(out);
  }
  if (isRecord(target)) {
    if (k === '*') return filtered(Object.values(target).map(canonical));
    return lookup(target, k) ?? null;
  }
  if (Array.isArray(target)) {
    if (k === '*') return filtered(target.map(canonical));
    const i = integerIndex(k);
    return i !== undefined && i < target.length ? canonical(target[i]) : null;
  }
  return k === '*' ? filtered([]) : null;
}

function includesIgnoringCase(text: string, part: string, where: 'any' | 'start' | 'end'): boolean {
  const a = foldCase(text);
  const b = foldCase(part);
  return where === 'start' ? a.startsWith(b) : where === 'end' ? a.endsWith(b) : a.includes(b);
}

const argPattern = /\{(\d+)\}/y;

/** GitHub's format(): `{N}` for an argument, `{{` and `}}` for braces; anything else is an error. */
function format(template: string, arg: (n: number) => Value, count: number): Value {
  let out = '';
  let sawUnknown = false;
  let i = 0;
  const bad = (): OpsloopError => new OpsloopError('invalidInput', `format(): the text '${template.slice(0, 80)}' is not a valid format string (use {0}, {1}... and {{ }} for braces).`);
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const close = template.indexOf('}', i);
    if (open >= 0 && (close < 0 || open < close)) {
      if (template[open + 1] === '{') {
        out += template.slice(i, open + 1);
        i = open + 2;
        continue;
      }
      argPattern.lastIndex = open;
      const m = argPattern.exec(template);
      if (!m) throw bad();
      const n = Number(m[1]);
      if (n > 255) throw bad();
      if (n >= count) throw new OpsloopError('invalidInput', `format(): '${template.slice(0, 80)}' refers to argument {${n}}, but only ${count} ${count === 1 ? 'was' : 'were'} given.`);
      const value = arg(n);
      out += template.slice(i, open);
      if (isUnknown(value)) sawUnknown = true;
      else out += toText(value);
      i = open + m[0].length;
    } else if (close >= 0) {
      if (template[close + 1] !== '}') throw bad();
      out += template.slice(i, close + 1);
      i = close + 2;
    } else {
      out += template.slice(i);
      break;
    }
    if (out.length > maxResultLength) throw resultTooLarge();
  }
  if (out.length > maxResultLength) throw resultTooLarge();
  return sawUnknown ? unknown : out;
}

/** GitHub's toJSON(): two-space indentation, numbers as GitHub writes them. */
function toJson(value: ExpressionValue): string {
  const parts: string[] = [];
  let length = 0;
  const write = (text: string): void => {
    length += text.length;
    if (length > maxResultLength) throw resultTooLarge();
    parts.push(text);
  };
  const visit = (v: ExpressionValue, level: number): void => {
    if (level > maxJsonDepth * 2) throw new OpsloopError('limitExceeded', `toJSON(): the value nests deeper than ${maxJsonDepth * 2} levels.`);
    const indent = (n: number): string => '  '.repeat(n);
    if (Array.isArray(v)) {
      if (v.length === 0) return write('[]');
      write('[');
      v.forEach((item, n) => {
        write(`${n === 0 ? '' : ','}\n${indent(level + 1)}`);
        visit(canonical(item), level + 1);
      });
      return write(`\n${indent(level)}]`);
    }
    if (isRecord(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0) return write('{}');
      write('{');
      keys.forEach((key, n) => {
        write(`${n === 0 ? '' : ','}\n${indent(level + 1)}${JSON.stringify(key)}: `);
        visit(canonical(v[key]), level + 1);
      });
      return write(`\n${indent(level)}}`);
    }
    if (typeof v === 'string') return write(JSON.stringify(v));
    if (typeof v === 'number') return write(numberText(v));
    return write(v === null ? 'null' : v ? 'true' : 'false');
  };
  visit(value, 0);
  return parts.join('');
}

/** GitHub's fromJSON() (JSON.parse, refusing more than 64 levels of nesting as Json.NET does). */
function fromJson(text: string): ExpressionValue {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > maxJsonDepth) throw new OpsloopError('invalidInput', `fromJSON(): the JSON nests deeper than ${maxJsonDepth} levels.`);
    } else if (c === ']' || c === '}') depth--;
  }
  try {
    return JSON.parse(text) as ExpressionValue;
  } catch (error) {
    throw new OpsloopError('invalidInput', `fromJSON(): the text is not JSON (${error instanceof Error ? error.message : String(error)}): ${text.slice(0, 80)}`);
  }
}

function callFunction(name: string, argExprs: readonly Expr[], ctx: EvalContext): Value {
  const status = ctx.status;
  const ev = (n: number): Value => evaluate(argExprs[n]!, ctx);
  switch (name) {
    case 'success':
    case 'failure':
    case 'cancelled':
      return status === undefined ? unknownBoolean : status === name;
    case 'always':
      return true;
    case 'contains': {
      const search = ev(0);
      const item = ev(1);
      if (isUnknown(search) || isUnknown(item)) return unknownBoolean;
      if (Array.isArray(search)) return search.some((x) => looseEquals(canonical(x), item));
      if (isPrimitive(search) && isPrimitive(item)) return includesIgnoringCase(toText(search), toText(item), 'any');
      return false;
    }
    case 'startswith':
    case 'endswith': {
      const text = ev(0);
      const part = ev(1);
      if (isUnknown(text) || isUnknown(part)) return unknownBoolean;
      if (!isPrimitive(text) || !isPrimitive(part)) return false;
      return includesIgnoringCase(toText(text), toText(part), name === 'startswith' ? 'start' : 'end');
    }
    case 'format': {
      const template = ev(0);
      if (isUnknown(template)) return unknown;
      // Arguments are evaluated when the text refers to them, once each.
      const cache = new Map<number, Value>();
      const arg = (n: number): Value => {
        if (!cache.has(n)) cache.set(n, ev(n + 1));
        return cache.get(n)!;
      };
      return format(toText(template), arg, argExprs.length - 1);
    }
    case 'join': {
      const items = ev(0);
      if (isUnknown(items)) return unknown;
      if (Array.isArray(items) && items.length > 0) {
        let separator = ',';
        if (argExprs.length > 1 && items.length > 1) {
          const s = ev(1);
          if (isUnknown(s)) return unknown;
          if (isPrimitive(s)) separator = toText(s);
        }
        let out = '';
        items.forEach((item, n) => {
          out += (n === 0 ? '' : separator) + toText(canonical(item));
          if (out.length > maxResultLength) throw resultTooLarge();
        });
        return out;
      }
      return isPrimitive(items) ? toText(items) : '';
    }
    case 'tojson': {
      const value = ev(0);
      return isUnknown(value) ? unknown : toJson(value);
    }
    case 'fromjson': {
      const value = ev(0);
      return isUnknown(value) ? unknown : fromJson(toText(value));
    }
    case 'hashfiles': {
      const patterns = argExprs.map((_, n) => ev(n));
      if (patterns.some(isUnknown) || !ctx.hashFiles) return unknown;
      return ctx.hashFiles(patterns.map((p) => toText(p as ExpressionValue)));
    }
    case 'case': {
      if (argExprs.length % 2 === 0) throw new OpsloopError('invalidInput', `case() takes pairs of a condition and a value, then a default: an odd number of arguments, not ${argExprs.length}.`);
      for (let n = 0; n < argExprs.length - 1; n += 2) {
        const predicate = ev(n);
        if (isUnknown(predicate)) return unknown;
        if (typeof predicate !== 'boolean') throw new OpsloopError('invalidInput', `case(): condition ${n / 2 + 1} is ${kindOf(predicate)}, not a boolean.`);
        if (predicate) return ev(n + 1);
      }
      return ev(argExprs.length - 1);
    }
    default:
      throw new OpsloopError('invalidInput', `Unknown function ${name}().`);
  }
}

/**
 * `a && b && ...` gives the first falsy operand, else the last; `||` the first truthy one, else
 * the last. When an unknown comes first, what is known is kept: `x == 1 && false` is false,
 * `x && 0` is falsy, `x || 'y'` truthy, `always() && x == 1` a boolean.
 */
function evaluateChain(kind: 'and' | 'or', operands: readonly Expr[], ctx: EvalContext): Value {
  const stop = kind === 'or'; // the truth that ends the chain
  // Could an unknown operand before this one have ended the chain: no, only as a boolean, or as anything?
  let earlier = 'none' as 'none' | 'boolean' | 'any';
  for (let n = 0; n < operands.length; n++) {
    const v = evaluate(operands[n]!, ctx);
    const t = truthy(v);
    if (t === stop) {
      if (earlier === 'none') return v;
      return earlier === 'boolean' && v === stop ? stop : stop ? unknownTruthy : unknownFalsy;
    }
    if (n === operands.length - 1) {
      if (earlier === 'none') return v;
      return earlier === 'boolean' && (v === !stop || v === unknownBoolean) ? unknownBoolean : unknown;
    }
    if (t === unknown) earlier = v === unknownBoolean && earlier !== 'any' ? 'boolean' : 'any';
  }
  return unknown; // not reached: a chain has two operands or more
}

/** Evaluates a parsed expression. Throws OpsloopError for what GitHub fails on (bad JSON, a bad format string...). */
export function evaluate(expr: Expr, ctx: EvalContext): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'context': {
      const contexts = ctx.contexts ?? {};
      const key = findKeyIgnoringCase(contexts, expr.name);
      if (key === undefined) return ctx.missing === 'null' ? null : unknown;
      return canonical(contexts[key]);
    }
    case 'index':
      return index(evaluate(expr.target, ctx), expr.index === '*' ? '*' : evaluate(expr.index, ctx));
    case 'call':
      return callFunction(expr.name, expr.args, ctx);
    case 'not': {
      const v = evaluate(expr.operand, ctx);
      const t = truthy(v);
      return t === unknown ? unknownBoolean : !t;
    }
    case 'and':
    case 'or':
      return evaluateChain(expr.kind, expr.operands, ctx);
    case 'compare': {
      const left = evaluate(expr.left, ctx);
      const right = evaluate(expr.right, ctx);
      if (isUnknown(left) || isUnknown(right)) return unknownBoolean;
      switch (expr.op) {
        case '==':
          return looseEquals(left, right);
        case '!=':
          return !looseEquals(left, right);
        case '<':
          return order(left, right) < 0;
        case '>':
          return order(left, right) > 0;
        // `<=` and `>=` are GitHub's "equal or less/greater": an array is >= itself.
        case '<=':
          return looseEquals(left, right) || order(left, right) < 0;
        case '>=':
          return looseEquals(left, right) || order(left, right) > 0;
      }
    }
  }
}

/** Does the expression call a status function anywhere (else GitHub adds an implicit `success() &&`)? */
export function usesStatusFunction(expr: Expr): boolean {
  switch (expr.kind) {
    case 'literal':
    case 'context':
      return false;
    case 'index':
      return usesStatusFunction(expr.target) || (expr.index !== '*' && usesStatusFunction(expr.index));
    case 'call':
      return statusFunctions.has(expr.name) || expr.args.some(usesStatusFunction);
    case 'not':
      return usesStatusFunction(expr.operand);
    case 'and':
    case 'or':
      return expr.operands.some(usesStatusFunction);
    case 'compare':
      return usesStatusFunction(expr.left) || usesStatusFunction(expr.right);
  }
}

// ---------------------------------------------------------------------------------------------
// Text with `${{ }}` (templates)

export interface TemplateExpression {
  /** Index of `$` in `${{`. */
  readonly start: number;
  /** Index after the closing `}}`. */
  readonly end: number;
  /** The expression between the braces, trimmed. */
  readonly source: string;
}

/**
 * The `${{ }}` in a text, found as GitHub finds them: a `}}` inside a 'string' does not close
 * one. `unclosedAt` is the index of a `${{` that has no end (GitHub rejects such text).
 */
export function findTemplateExpressions(text: string): { readonly expressions: TemplateExpression[]; readonly unclosedAt?: number } {
  const expressions: TemplateExpression[] = [];
  let start = text.indexOf('${{');
  while (start >= 0) {
    let inString = false;
    let end = -1;
    for (let i = start + 3; i < text.length; i++) {
      const c = text[i];
      if (c === "'") inString = !inString;
      else if (!inString && c === '}' && text[i - 1] === '}' && i - 1 >= start + 3) {
        end = i + 1;
        break;
      }
    }
    if (end < 0) return { expressions, unclosedAt: start };
    expressions.push({ start, end, source: text.slice(start + 3, end - 2).trim() });
    start = text.indexOf('${{', end);
  }
  return { expressions };
}

/** A text with `${{ }}` read once: its literal parts and parsed expressions. */
interface Template {
  readonly literals: readonly string[];
  readonly expressions: readonly Expr[];
  readonly sources: readonly TemplateExpression[];
}

function readTemplate(text: string): Template {
  const found = findTemplateExpressions(text);
  if (found.unclosedAt !== undefined) throw new OpsloopError('invalidInput', `The \${{ at position ${found.unclosedAt + 1} is not closed by }}.`);
  const literals: string[] = [];
  const expressions: Expr[] = [];
  let position = 0;
  for (const e of found.expressions) {
    literals.push(text.slice(position, e.start));
    if (e.source === '') throw new OpsloopError('invalidInput', `The \${{ }} at position ${e.start + 1} is empty: an expression was expected.`);
    expressions.push(parseExpression(e.source));
    position = e.end;
  }
  literals.push(text.slice(position));
  return { literals, expressions, sources: found.expressions };
}

/** A single `${{ }}` with nothing around it gives its value; text around makes a string. */
function evaluateTemplate(template: Template, ctx: EvalContext): Value {
  const { literals, expressions } = template;
  if (expressions.length === 1 && literals[0] === '' && literals[1] === '') return evaluate(expressions[0]!, ctx);
  let out = literals[0]!;
  let sawUnknown = false;
  expressions.forEach((expr, n) => {
    const value = evaluate(expr, ctx);
    if (isUnknown(value)) sawUnknown = true;
    else out += toText(value);
    out += literals[n + 1]!;
    if (out.length > maxResultLength) throw resultTooLarge();
  });
  // Unknown parts, but the text around them is there: a non-empty string, true as a condition.
  if (sawUnknown) return literals.some((l) => l !== '') ? unknownTruthy : unknown;
  return out;
}

/**
 * Replaces each `${{ expr }}` in `template` whose value is known (matrix values, literals) by
 * that value as text; the others stay as written.
 */
export function substituteKnown(template: string, contexts: Readonly<Record<string, unknown>>): string {
  if (!template.includes('${{')) return template;
  const { expressions } = findTemplateExpressions(template);
  let out = '';
  let position = 0;
  for (const e of expressions) {
    out += template.slice(position, e.start);
    let text = template.slice(e.start, e.end);
    try {
      const value = evaluate(parseExpression(e.source), { contexts });
      if (!isUnknown(value)) text = toText(value);
    } catch {
      // Left as written: the parser reports unreadable expressions where they matter (if:).
    }
    out += text;
    position = e.end;
  }
  return out + template.slice(position);
}

/** The value of a scalar that may be or hold `${{ }}`, when the contexts given decide it; else unknown. */
export function knownValue(raw: unknown, contexts: Readonly<Record<string, unknown>>): Value {
  if (typeof raw !== 'string') return canonical(raw);
  if (!raw.includes('${{')) return raw;
  try {
    return evaluateTemplate(readTemplate(raw), { contexts });
  } catch {
    return unknown;
  }
}

// ---------------------------------------------------------------------------------------------
// if: conditions

/** An `if:` read once; `evaluate` applies GitHub's implicit `success() &&`. */
interface Condition {
  readonly implicitSuccess: boolean;
  /** Text around `${{ }}`: a non-empty string, true whatever the expressions say. */
  readonly alwaysTrueString: boolean;
  value(ctx: EvalContext): Value;
}

/**
 * GitHub's template reader takes a `${{ }}` that holds only a string literal as the literal text
 * (`${{ 'It''s' }}` is It's); for an `if:` that text is then read as the condition.
 */
function stringLiteralText(source: string): string | undefined {
  let out = '';
  let inString = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "'") {
      inString = !inString;
      if (inString && i !== 0) out += c;
    } else if (!inString) {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

function readCondition(text: string): Condition {
  let source = text;
  if (text.includes('${{')) {
    const template = readTemplate(text);
    const single = template.expressions.length === 1 && template.literals[0] === '' && template.literals[1] === '';
    const literal = single ? stringLiteralText(template.sources[0]!.source) : undefined;
    if (literal === undefined) {
      if (single) {
        const expr = template.expressions[0]!;
        return { implicitSuccess: !usesStatusFunction(expr), alwaysTrueString: false, value: (ctx) => evaluate(expr, ctx) };
      }
      return {
        implicitSuccess: !template.expressions.some(usesStatusFunction),
        alwaysTrueString: template.literals.some((l) => l !== ''),
        value: (ctx) => evaluateTemplate(template, ctx),
      };
    }
    source = literal;
  }
  if (source.trim() === '') return { implicitSuccess: true, alwaysTrueString: false, value: () => true };
  const expr = parseExpression(source);
  return { implicitSuccess: !usesStatusFunction(expr), alwaysTrueString: false, value: (ctx) => evaluate(expr, ctx) };
}

/** Whether the condition holds, three-valued: unknown when only a run can tell. */
function holds(condition: Condition, ctx: EvalContext): boolean | typeof unknown {
  if (condition.implicitSuccess && ctx.status !== undefined && ctx.status !== 'success') return false;
  const t = truthy(condition.value(ctx));
  if (condition.implicitSuccess && ctx.status === undefined && t !== false) return unknown;
  return t;
}

export interface ConditionResult {
  readonly when: When;
  /** Why the condition could not be read, when it could not. */
  readonly problem?: string;
  /** The condition is text around `${{ }}`, which GitHub reads as a non-empty string: always true. */
  readonly alwaysTrueString?: boolean;
}

/**
 * The `when` an `if:` gives a job: evaluated once per outcome of the jobs before it, with
 * everything a run decides left unknown. Runs on success and on failure → always; only on
 * success → on_success; only on failure → on_failure; never (or only on cancel) → never.
 */
export function whenOfCondition(condition: unknown, contexts?: Readonly<Record<string, unknown>>): ConditionResult {
  if (condition === undefined || condition === null) return { when: 'on_success' };
  // YAML true, false and numbers are read as their text, as GitHub does.
  if (typeof condition === 'boolean' || typeof condition === 'number') return whenOfCondition(toText(condition), contexts);
  if (typeof condition !== 'string') return { when: 'on_success', problem: 'An if: condition must be a string or a boolean.' };
  try {
    const read = readCondition(condition);
    const runs = (status: JobStatus): boolean => holds(read, { status, ...(contexts ? { contexts } : {}) }) !== false;
    const onSuccess = runs('success');
    const onFailure = runs('failure');
    const when: When = onSuccess && onFailure ? 'always' : onSuccess ? 'on_success' : onFailure ? 'on_failure' : 'never';
    return { when, ...(read.alwaysTrueString ? { alwaysTrueString: true } : {}) };
  } catch (error) {
    return { when: 'on_success', problem: error instanceof Error ? error.message : String(error) };
  }
}

// ---------------------------------------------------------------------------------------------
// Run time

/** What the runner knows when it evaluates: every context, and the status of what ran before. */
export interface ExpressionContext {
  readonly contexts: Readonly<Record<string, ExpressionValue>>;
  /** Status of the steps (or jobs) before this one. */
  readonly status: { readonly failed: boolean; readonly cancelled: boolean };
  /** GitHub's hashFiles() over the workspace; without it hashFiles() cannot be evaluated. */
  readonly hashFiles?: (patterns: readonly string[]) => string;
}

function runContext(ctx: ExpressionContext): EvalContext {
  const status: JobStatus = ctx.status.cancelled ? 'cancelled' : ctx.status.failed ? 'failure' : 'success';
  return { status, contexts: ctx.contexts, missing: 'null', ...(ctx.hashFiles ? { hashFiles: ctx.hashFiles } : {}) };
}

function known(value: Value): ExpressionValue {
  if (isUnknown(value)) throw new OpsloopError('unsupported', 'hashFiles() cannot be evaluated here.');
  return value;
}

/**
 * Evaluates an expression at run time: bare (`matrix.os`) or in `${{ }}`; text around `${{ }}`
 * makes a string. Throws OpsloopError for what cannot be read or evaluated.
 */
export function evaluateExpression(text: string, ctx: ExpressionContext): ExpressionValue {
  const evalCtx = runContext(ctx);
  if (text.includes('${{')) return known(evaluateTemplate(readTemplate(text), evalCtx));
  return known(evaluate(parseExpression(text.trim()), evalCtx));
}

/**
 * GitHub's `if:` at run time: without a status function the condition means
 * `success() && (condition)`; an empty condition means `success()`.
 */
export function evaluateCondition(condition: string | undefined, ctx: ExpressionContext): boolean {
  const read = readCondition(condition ?? '');
  const t = holds(read, runContext(ctx));
  if (t === unknown) throw new OpsloopError('unsupported', 'hashFiles() cannot be evaluated here.');
  return t;
}
