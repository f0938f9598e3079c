/**
 * GitHub Actions expressions (`${{ ... }}`, and the bare text of `if:`), interpreted, never
 * passed to eval. What the plan needs from them: whether a job runs on success, on failure or
 * always (the status functions), and the value of `matrix.*` in names and flags. Everything
 * that depends on a run (github.ref, needs.*.result, secrets) evaluates to "unknown", and the
 * logic is three-valued so that `always() && github.ref == 'x'` still says "always".
 */
import { OpsloopError } from '../../errors';
import type { When } from '../model';

export type Expr =
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null }
  | { readonly kind: 'path'; readonly root: string; readonly members: readonly (string | Expr)[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[]; readonly members: readonly (string | Expr)[] }
  | { readonly kind: 'not'; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly op: '&&' | '||' | '==' | '!=' | '<' | '<=' | '>' | '>='; readonly left: Expr; readonly right: Expr };

/** The value of something only a run knows. */
export const unknown: unique symbol = Symbol('unknown');
export type Value = string | number | boolean | null | readonly unknown[] | Readonly<Record<string, unknown>> | typeof unknown;

export type JobStatus = 'success' | 'failure' | 'cancelled';

export interface EvalContext {
  readonly status?: JobStatus;
  /** Known values of contexts, e.g. { matrix: { os: 'ubuntu' } }. */
  readonly contexts?: Readonly<Record<string, unknown>>;
}

const statusFunctions = new Set(['success', 'failure', 'cancelled', 'always']);
const maxExpressionLength = 20_000;
const maxNesting = 100;

interface Tok {
  readonly type: 'num' | 'str' | 'ident' | 'op' | 'end';
  readonly text: string;
  readonly at: number;
}

function tokenize(source: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === "'") {
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw new OpsloopError('invalidInput', `Unterminated string at position ${i + 1}.`);
        if (source[j] === "'") {
          if (source[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += source[j];
        j++;
      }
      out.push({ type: 'str', text, at: i });
      i = j + 1;
      continue;
    }
    const two = source.slice(i, i + 2);
    if (['&&', '||', '==', '!=', '<=', '>='].includes(two)) {
      out.push({ type: 'op', text: two, at: i });
      i += 2;
      continue;
    }
    if ('()[]!<>,.*'.includes(c)) {
      out.push({ type: 'op', text: c, at: i });
      i++;
      continue;
    }
    const number = /^(?:0x[0-9a-fA-F]+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(source.slice(i, i + 64));
    if (number && (c !== '-' || /\d|\./.test(source[i + 1] ?? ''))) {
      out.push({ type: 'num', text: number[0], at: i });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i, i + 256));
    if (ident) {
      out.push({ type: 'ident', text: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    throw new OpsloopError('invalidInput', `Unexpected character '${c}' at position ${i + 1}.`);
  }
  out.push({ type: 'end', text: '', at: source.length });
  return out;
}

/** Parses an expression (without its `${{ }}`). Throws OpsloopError('invalidInput') with the position on bad syntax. */
export function parseExpression(source: string): Expr {
  if (source.length > maxExpressionLength) throw new OpsloopError('invalidInput', `The expression is longer than ${maxExpressionLength} characters.`);
  const tokens = tokenize(source);
  let pos = 0;
  let depth = 0;
  const peek = (): Tok => tokens[pos]!;
  const take = (): Tok => tokens[pos++]!;
  const expect = (text: string): void => {
    const t = take();
    if (t.text !== text || t.type !== 'op') throw new OpsloopError('invalidInput', `Expected '${text}' at position ${t.at + 1}${t.type === 'end' ? ' (end of expression)' : ''}.`);
  };
  const isOp = (text: string): boolean => peek().type === 'op' && peek().text === text;

  const binary = (ops: readonly string[], next: () => Expr): (() => Expr) => () => {
    let left = next();
    while (peek().type === 'op' && ops.includes(peek().text)) {
      const op = take().text as '&&';
      left = { kind: 'binary', op, left, right: next() };
    }
    return left;
  };
  const members = (): (string | Expr)[] => {
    const out: (string | Expr)[] = [];
    for (;;) {
      if (isOp('.')) {
        take();
        const t = take();
        if (t.type === 'ident') out.push(t.text);
        else if (t.type === 'op' && t.text === '*') out.push('*');
        else throw new OpsloopError('invalidInput', `Expected a property name at position ${t.at + 1}.`);
      } else if (isOp('[')) {
        take();
        out.push(expression());
        expect(']');
      } else {
        return out;
      }
    }
  };
  const primary = (): Expr => {
    if (++depth > maxNesting) throw new OpsloopError('invalidInput', `The expression nests deeper than ${maxNesting} levels.`);
    try {
      const t = take();
      if (t.type === 'op' && t.text === '!') return { kind: 'not', operand: primary() };
      if (t.type === 'op' && t.text === '(') {
        const inner = expression();
        expect(')');
        return inner;
      }
      if (t.type === 'str') return { kind: 'literal', value: t.text };
      if (t.type === 'num') return { kind: 'literal', value: Number(t.text) };
      if (t.type === 'ident') {
        if (t.text === 'true' || t.text === 'false') return { kind: 'literal', value: t.text === 'true' };
        if (t.text === 'null') return { kind: 'literal', value: null };
        if (isOp('(')) {
          take();
          const args: Expr[] = [];
          if (!isOp(')')) {
            args.push(expression());
            while (isOp(',')) {
              take();
              args.push(expression());
            }
          }
          expect(')');
          return { kind: 'call', name: t.text.toLowerCase(), args, members: members() };
        }
        return { kind: 'path', root: t.text.toLowerCase(), members: members() };
      }
      throw new OpsloopError('invalidInput', t.type === 'end' ? 'The expression ends too early.' : `Unexpected '${t.text}' at position ${t.at + 1}.`);
    } finally {
      depth--;
    }
  };
  const comparison = binary(['<', '<=', '>', '>='], primary);
  const equality = binary(['==', '!='], comparison);
  const and = binary(['&&'], equality);
  const or = binary(['||'], and);
  function expression(): Expr {
    if (++depth > maxNesting) throw new OpsloopError('invalidInput', `The expression nests deeper than ${maxNesting} levels.`);
    try {
      return or();
    } finally {
      depth--;
    }
  }
  const result = expression();
  const rest = peek();
  if (rest.type !== 'end') throw new OpsloopError('invalidInput', `Unexpected '${rest.text}' at position ${rest.at + 1}.`);
  return result;
}

export function truthy(value: Value): boolean | typeof unknown {
  if (value === unknown) return unknown;
  if (value === null || value === false || value === '' || value === 0) return false;
  if (typeof value === 'number' && Number.isNaN(value)) return false;
  return true;
}

function toNumber(value: Exclude<Value, typeof unknown>): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value.trim() === '' ? 0 : Number(value);
  return NaN;
}

function compare(op: string, a: Value, b: Value): Value {
  if (a === unknown || b === unknown) return unknown;
  if (op === '==' || op === '!=') {
    let equal: boolean;
    if (typeof a === 'string' && typeof b === 'string') equal = a.toLowerCase() === b.toLowerCase();
    else if (typeof a === typeof b && (typeof a !== 'object' || a === null || b === null)) equal = a === b;
    else if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) equal = a === b;
    else equal = toNumber(a) === toNumber(b);
    return op === '==' ? equal : !equal;
  }
  let x: number | string;
  let y: number | string;
  if (typeof a === 'string' && typeof b === 'string') {
    x = a.toLowerCase();
    y = b.toLowerCase();
  } else {
    x = toNumber(a);
    y = toNumber(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return false;
  }
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

function member(value: Value, key: Value): Value {
  if (value === unknown || key === unknown) return unknown;
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    const index = typeof key === 'number' ? key : Number(key);
    return Number.isInteger(index) && index >= 0 && index < value.length ? (value[index] as Value) : null;
  }
  const record = value as Record<string, unknown>;
  const wanted = String(key).toLowerCase();
  const found = Object.keys(record).find((k) => k.toLowerCase() === wanted);
  return found === undefined ? null : (record[found] as Value);
}

function text(value: Exclude<Value, typeof unknown>): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function evaluate(expr: Expr, ctx: EvalContext): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'not': {
      const t = truthy(evaluate(expr.operand, ctx));
      return t === unknown ? unknown : !t;
    }
    case 'binary': {
      if (expr.op === '&&' || expr.op === '||') {
        const left = evaluate(expr.left, ctx);
        const lt = truthy(left);
        if (expr.op === '&&') {
          if (lt === false) return left;
          const right = evaluate(expr.right, ctx);
          if (lt === true) return right;
          return truthy(right) === false ? false : unknown;
        }
        if (lt === true) return left;
        const right = evaluate(expr.right, ctx);
        if (lt === false) return right;
        return truthy(right) === true ? true : unknown;
      }
      return compare(expr.op, evaluate(expr.left, ctx), evaluate(expr.right, ctx));
    }
    case 'path': {
      const contexts = ctx.contexts ?? {};
      let value: Value = Object.prototype.hasOwnProperty.call(contexts, expr.root) ? (contexts[expr.root] as Value) : unknown;
      for (const m of expr.members) value = m === '*' ? unknown : member(value, typeof m === 'string' ? m : evaluate(m, ctx));
      return value;
    }
    case 'call': {
      let value = call(expr.name, expr.args, ctx);
      for (const m of expr.members) value = m === '*' ? unknown : member(value, typeof m === 'string' ? m : evaluate(m, ctx));
      return value;
    }
  }
}

function call(name: string, argExprs: readonly Expr[], ctx: EvalContext): Value {
  const status = ctx.status;
  switch (name) {
    case 'success':
      return status === undefined ? unknown : status === 'success';
    case 'failure':
      return status === undefined ? unknown : status === 'failure';
    case 'cancelled':
      return status === undefined ? unknown : status === 'cancelled';
    case 'always':
      return true;
  }
  const args = argExprs.map((a) => evaluate(a, ctx));
  if (args.some((a) => a === unknown)) return unknown;
  const known = args as Exclude<Value, typeof unknown>[];
  switch (name) {
    case 'contains': {
      const [haystack, needle] = known;
      if (haystack === undefined || needle === undefined) return unknown;
      if (Array.isArray(haystack)) return haystack.some((item) => compare('==', item as Value, needle) === true);
      return text(haystack).toLowerCase().includes(text(needle).toLowerCase());
    }
    case 'startswith':
      return known.length === 2 ? text(known[0]!).toLowerCase().startsWith(text(known[1]!).toLowerCase()) : unknown;
    case 'endswith':
      return known.length === 2 ? text(known[0]!).toLowerCase().endsWith(text(known[1]!).toLowerCase()) : unknown;
    case 'format': {
      if (known.length === 0) return unknown;
      const template = text(known[0]!);
      return template.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, i: string | undefined) => (m === '{{' ? '{' : m === '}}' ? '}' : text(known[Number(i) + 1] ?? '')));
    }
    default:
      return unknown;
  }
}

/** Does the expression call one of the status functions (else GitHub adds an implicit `success() &&`)? */
export function usesStatusFunction(expr: Expr): boolean {
  switch (expr.kind) {
    case 'literal':
      return false;
    case 'not':
      return usesStatusFunction(expr.operand);
    case 'binary':
      return usesStatusFunction(expr.left) || usesStatusFunction(expr.right);
    case 'path':
      return expr.members.some((m) => typeof m !== 'string' && usesStatusFunction(m));
    case 'call':
      return statusFunctions.has(expr.name) || expr.args.some(usesStatusFunction) || expr.members.some((m) => typeof m !== 'string' && usesStatusFunction(m));
  }
}

/** `${{ x }}` → `x`; undefined when the text is not exactly one wrapped expression. */
export function unwrapExpression(source: string): string | undefined {
  const m = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(source);
  if (!m || m[1]!.includes('}}')) return undefined;
  return m[1]!.trim();
}

export interface ConditionResult {
  readonly when: When;
  /** Why the condition could not be read, when it could not. */
  readonly problem?: string;
  /** The condition is literal text around `${{ }}`, which GitHub treats as a non-empty string: always true. */
  readonly alwaysTrueString?: boolean;
}

/**
 * The `when` an `if:` gives a job: evaluated once per outcome of the jobs before it, with
 * everything a run decides left unknown. Runs on success and on failure → always; only on
 * success → on_success; only on failure → on_failure; never (or only on cancel) → never.
 */
export function whenOfCondition(condition: unknown, contexts?: Readonly<Record<string, unknown>>): ConditionResult {
  if (condition === undefined || condition === null) return { when: 'on_success' };
  if (typeof condition === 'boolean' || typeof condition === 'number') return { when: condition ? 'on_success' : 'never' };
  if (typeof condition !== 'string') return { when: 'on_success', problem: 'An if: condition must be a string or a boolean.' };
  let source = unwrapExpression(condition);
  if (source === undefined) {
    if (condition.includes('${{')) return { when: 'on_success', alwaysTrueString: true };
    source = condition;
  }
  if (source.trim() === '') return { when: 'on_success' };
  let expr: Expr;
  try {
    expr = parseExpression(source);
  } catch (error) {
    return { when: 'on_success', problem: error instanceof Error ? error.message : String(error) };
  }
  const implicitSuccess = !usesStatusFunction(expr);
  const runs = (status: JobStatus): boolean => {
    let t = truthy(evaluate(expr, { status, ...(contexts ? { contexts } : {}) }));
    if (implicitSuccess && status !== 'success') t = false;
    return t !== false;
  };
  const onSuccess = runs('success');
  const onFailure = runs('failure');
  const when: When = onSuccess && onFailure ? 'always' : onSuccess ? 'on_success' : onFailure ? 'on_failure' : 'never';
  return { when };
}

/**
 * Replaces each `${{ expr }}` in `template` whose value is known (matrix values, literals) by
 * that value; the others stay as written.
 */
export function substituteKnown(template: string, contexts: Readonly<Record<string, unknown>>): string {
  if (!template.includes('${{')) return template;
  return template.replace(/\$\{\{([\s\S]*?)\}\}/g, (whole, inner: string) => {
    try {
      const value = evaluate(parseExpression(inner.trim()), { contexts });
      if (value === unknown) return whole;
      return text(value);
    } catch {
      return whole;
    }
  });
}

/** A known value of `${{ expr }}` (or of a plain scalar), else unknown. */
export function knownValue(raw: unknown, contexts: Readonly<Record<string, unknown>>): Value {
  if (typeof raw !== 'string') return (raw ?? null) as Value;
  const inner = unwrapExpression(raw);
  if (inner === undefined) return raw;
  try {
    return evaluate(parseExpression(inner), { contexts });
  } catch {
    return unknown;
  }
}
