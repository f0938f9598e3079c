/**
 * Azure Pipelines expressions: function calls (`and(succeeded(), eq(variables['x'], 'y'))`),
 * literals and property paths; used for `${{ }}` template expressions and for `condition:`.
 * Interpreted with three-valued logic (what depends on a run is unknown), never eval'd.
 */
import { OpsloopError } from '../../errors';
import { findKeyIgnoringCase, readQuotedString } from '../expressions/expressionText';
import type { When } from '../model';

export type AzureExpr =
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null }
  | { readonly kind: 'path'; readonly root: string; readonly members: readonly (string | AzureExpr)[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly AzureExpr[] };

export const unknownValue: unique symbol = Symbol('unknown');
export type AzureValue = unknown;

export type RunStatus = 'success' | 'failure' | 'cancelled';

export interface AzureEvalContext {
  readonly status?: RunStatus;
  /** Known values by lower-case root name (`parameters`, `variables`, a loop variable). */
  readonly contexts: Readonly<Record<string, unknown>>;
}

const maxLength = 20_000;
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
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      const read = readQuotedString(source, i);
      out.push({ type: 'str', text: read.value, at: i });
      i = read.end;
      continue;
    }
    if ('()[],.'.includes(c)) {
      out.push({ type: 'op', text: c, at: i });
      i++;
      continue;
    }
    const number = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i, i + 64));
    if (number && (c !== '-' || /[\d.]/.test(source[i + 1] ?? ''))) {
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

export function parseAzureExpression(source: string): AzureExpr {
  if (source.length > maxLength) throw new OpsloopError('invalidInput', `The expression is longer than ${maxLength} characters.`);
  const tokens = tokenize(source);
  let pos = 0;
  let depth = 0;
  const peek = (): Tok => tokens[pos]!;
  const take = (): Tok => tokens[pos++]!;
  const isOp = (text: string): boolean => peek().type === 'op' && peek().text === text;
  const expect = (text: string): void => {
    const t = take();
    if (t.type !== 'op' || t.text !== text) throw new OpsloopError('invalidInput', `Expected '${text}' at position ${t.at + 1}.`);
  };
  const expression = (): AzureExpr => {
    if (++depth > maxNesting) throw new OpsloopError('invalidInput', `The expression nests deeper than ${maxNesting} levels.`);
    try {
      const t = take();
      if (t.type === 'str') return { kind: 'literal', value: t.text };
      if (t.type === 'num') return { kind: 'literal', value: Number(t.text) };
      if (t.type === 'ident') {
        const lower = t.text.toLowerCase();
        if (isOp('(')) {
          take();
          const args: AzureExpr[] = [];
          if (!isOp(')')) {
            args.push(expression());
            while (isOp(',')) {
              take();
              args.push(expression());
            }
          }
          expect(')');
          return { kind: 'call', name: lower, args };
        }
        if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true' };
        if (lower === 'null') return { kind: 'literal', value: null };
        const members: (string | AzureExpr)[] = [];
        for (;;) {
          if (isOp('.')) {
            take();
            const m = take();
            if (m.type !== 'ident' && m.type !== 'num') throw new OpsloopError('invalidInput', `Expected a property name at position ${m.at + 1}.`);
            members.push(m.text);
          } else if (isOp('[')) {
            take();
            members.push(expression());
            expect(']');
          } else break;
        }
        return { kind: 'path', root: lower, members };
      }
      throw new OpsloopError('invalidInput', t.type === 'end' ? 'The expression ends too early.' : `Unexpected '${t.text}' at position ${t.at + 1}.`);
    } finally {
      depth--;
    }
  };
  const result = expression();
  if (peek().type !== 'end') throw new OpsloopError('invalidInput', `Unexpected '${peek().text}' at position ${peek().at + 1}.`);
  return result;
}

function truthy(v: AzureValue): boolean | typeof unknownValue {
  if (v === unknownValue) return unknownValue;
  if (v === null || v === undefined || v === false || v === '' || v === 0) return false;
  if (typeof v === 'number' && Number.isNaN(v)) return false;
  if (typeof v === 'string' && v.toLowerCase() === 'false') return false;
  return true;
}

function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Azure converts the right operand to the left one's type, and compares strings ignoring case. */
function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'number') return a === Number(b);
  if (typeof a === 'boolean') return a === (typeof b === 'string' ? b.toLowerCase() === 'true' : Boolean(b));
  if (a === null || a === undefined) return b === null || b === undefined || b === '';
  return asText(a).toLowerCase() === asText(b).toLowerCase();
}

function order(a: unknown, b: unknown): number {
  if (typeof a === 'number') return a - Number(b);
  const x = asText(a).toLowerCase();
  const y = asText(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function member(value: unknown, key: unknown): unknown {
  if (value === unknownValue || key === unknownValue) return unknownValue;
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    const i = Number(key);
    return Number.isInteger(i) && i >= 0 && i < value.length ? value[i] : null;
  }
  const found = findKeyIgnoringCase(value, String(key));
  return found === undefined ? unknownValue : (value as Record<string, unknown>)[found];
}

export function evaluateAzure(expr: AzureExpr, ctx: AzureEvalContext): AzureValue {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'path': {
      const root = findKeyIgnoringCase(ctx.contexts, expr.root);
      let value: unknown = root === undefined ? unknownValue : ctx.contexts[root];
      for (const m of expr.members) value = member(value, typeof m === 'string' ? m : evaluateAzure(m, ctx));
      return value;
    }
    case 'call':
      return callAzure(expr.name, expr.args, ctx);
  }
}

function callAzure(name: string, argExprs: readonly AzureExpr[], ctx: AzureEvalContext): AzureValue {
  const status = ctx.status;
  switch (name) {
    case 'succeeded':
      return status === undefined ? unknownValue : status === 'success';
    case 'failed':
      return status === undefined ? unknownValue : status === 'failure';
    case 'canceled':
    case 'cancelled':
      return status === undefined ? unknownValue : status === 'cancelled';
    case 'succeededorfailed':
      return status === undefined ? unknownValue : status !== 'cancelled';
    case 'always':
      return true;
    case 'and': {
      let sawUnknown = false;
      for (const a of argExprs) {
        const t = truthy(evaluateAzure(a, ctx));
        if (t === false) return false;
        if (t === unknownValue) sawUnknown = true;
      }
      return sawUnknown ? unknownValue : true;
    }
    case 'or': {
      let sawUnknown = false;
      for (const a of argExprs) {
        const t = truthy(evaluateAzure(a, ctx));
        if (t === true) return true;
        if (t === unknownValue) sawUnknown = true;
      }
      return sawUnknown ? unknownValue : false;
    }
    case 'not': {
      const t = truthy(evaluateAzure(argExprs[0] ?? { kind: 'literal', value: null }, ctx));
      return t === unknownValue ? unknownValue : !t;
    }
    case 'iif': {
      const t = truthy(evaluateAzure(argExprs[0] ?? { kind: 'literal', value: null }, ctx));
      if (t === unknownValue) return unknownValue;
      const chosen = argExprs[t ? 1 : 2];
      return chosen ? evaluateAzure(chosen, ctx) : null;
    }
  }
  const args = argExprs.map((a) => evaluateAzure(a, ctx));
  if (args.some((a) => a === unknownValue)) return unknownValue;
  const [a, b] = args;
  switch (name) {
    case 'eq':
      return equal(a, b);
    case 'ne':
      return !equal(a, b);
    case 'gt':
      return order(a, b) > 0;
    case 'ge':
      return order(a, b) >= 0;
    case 'lt':
      return order(a, b) < 0;
    case 'le':
      return order(a, b) <= 0;
    case 'xor':
      return Boolean(truthy(a)) !== Boolean(truthy(b));
    case 'in':
      return args.slice(1).some((x) => equal(a, x));
    case 'notin':
      return !args.slice(1).some((x) => equal(a, x));
    case 'contains':
      return asText(a).toLowerCase().includes(asText(b).toLowerCase());
    case 'containsvalue':
      return Array.isArray(a) ? a.some((x) => equal(x, b)) : a !== null && typeof a === 'object' ? Object.values(a).some((x) => equal(x, b)) : false;
    case 'startswith':
      return asText(a).toLowerCase().startsWith(asText(b).toLowerCase());
    case 'endswith':
      return asText(a).toLowerCase().endsWith(asText(b).toLowerCase());
    case 'lower':
      return asText(a).toLowerCase();
    case 'upper':
      return asText(a).toUpperCase();
    case 'length':
      return Array.isArray(a) ? a.length : a !== null && typeof a === 'object' ? Object.keys(a).length : asText(a).length;
    case 'coalesce':
      return args.find((x) => x !== null && x !== undefined && x !== '') ?? null;
    case 'format': {
      const template = asText(a);
      return template.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, i: string | undefined) => (m === '{{' ? '{' : m === '}}' ? '}' : asText(args[Number(i) + 1])));
    }
    case 'join':
      return Array.isArray(b) ? b.map(asText).join(asText(a)) : asText(b);
    case 'replace':
      return asText(a).split(asText(b)).join(asText(args[2]));
    case 'converttojson':
      return JSON.stringify(a, null, 2);
    default:
      return unknownValue;
  }
}

export function isTrue(v: AzureValue): boolean | typeof unknownValue {
  return truthy(v);
}

export function textOf(v: AzureValue): string {
  return asText(v);
}

/**
 * The `when` of a stage or job `condition:`. Azure replaces its default `succeeded()` with the
 * condition, so a condition without a status function runs after failures too.
 */
export function whenOfAzureCondition(condition: unknown): { when: When; problem?: string } {
  if (condition === undefined || condition === null || condition === '') return { when: 'on_success' };
  if (typeof condition === 'boolean') return { when: condition ? 'always' : 'never' };
  if (typeof condition !== 'string') return { when: 'on_success', problem: 'A condition must be a string.' };
  let expr: AzureExpr;
  try {
    expr = parseAzureExpression(condition.replace(/^\s*\$\[\s*([\s\S]*)\]\s*$/, '$1'));
  } catch (error) {
    return { when: 'on_success', problem: error instanceof Error ? error.message : String(error) };
  }
  const runs = (status: RunStatus): boolean => truthy(evaluateAzure(expr, { status, contexts: {} })) !== false;
  const onSuccess = runs('success');
  const onFailure = runs('failure');
  return { when: onSuccess && onFailure ? 'always' : onSuccess ? 'on_success' : onFailure ? 'on_failure' : 'never' };
}
