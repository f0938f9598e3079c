/**
 * A small interpreter for GitHub Actions expressions (`${{ ... }}` and `if:`), enough to run
 * workflows locally: contexts (github, env, matrix, secrets, steps, runner, job, needs, vars,
 * inputs), literals, `! && || == != < <= > >=`, index and property access, and the functions
 * success/failure/always/cancelled, contains, startsWith, endsWith, format, join, toJSON,
 * fromJSON (hashFiles gives ''). Comparisons follow GitHub's rules: strings ignore case, mixed
 * types compare as numbers. Interpreted, never passed to eval (reliability item 10).
 */
import { OpsloopError } from '../errors';

export type ExpressionValue = null | boolean | number | string | ExpressionValue[] | { [key: string]: ExpressionValue };

export interface ExpressionContext {
  readonly contexts: Readonly<Record<string, ExpressionValue>>;
  /** Status of the steps (or jobs) before this one. */
  readonly status: { readonly failed: boolean; readonly cancelled: boolean };
}

type Token =
  | { kind: 'num'; value: number }
  | { kind: 'str'; value: string }
  | { kind: 'id'; value: string }
  | { kind: 'op'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new OpsloopError('invalidInput', `Unterminated string in expression: ${text}`);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      tokens.push({ kind: 'str', value });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (['&&', '||', '==', '!=', '<=', '>='].includes(two)) {
      tokens.push({ kind: 'op', value: two });
      i += 2;
      continue;
    }
    if ('!<>()[],.*'.includes(c)) {
      // A dot followed by a digit after nothing numeric is part of a number (.5); GitHub rarely uses it.
      tokens.push({ kind: 'op', value: c });
      i++;
      continue;
    }
    const number = /^(0x[0-9a-fA-F]+|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i));
    if (number && (c !== '-' || tokens.length === 0 || tokens[tokens.length - 1]!.kind === 'op')) {
      tokens.push({ kind: 'num', value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i));
    if (id) {
      tokens.push({ kind: 'id', value: id[0] });
      i += id[0].length;
      continue;
    }
    throw new OpsloopError('invalidInput', `Unexpected '${c}' in expression: ${text}`);
  }
  return tokens;
}

type Node =
  | { type: 'lit'; value: ExpressionValue }
  | { type: 'ctx'; name: string }
  | { type: 'prop'; target: Node; name: string | '*' }
  | { type: 'index'; target: Node; index: Node }
  | { type: 'not'; operand: Node }
  | { type: 'bin'; op: string; left: Node; right: Node }
  | { type: 'call'; name: string; args: Node[] };

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  parse(): Node {
    const node = this.or();
    if (this.i < this.tokens.length) this.fail('unexpected text after the expression');
    return node;
  }

  private fail(what: string): never {
    throw new OpsloopError('invalidInput', `Cannot read expression (${what}): ${this.text}`);
  }

  private peek(value: string): boolean {
    const t = this.tokens[this.i];
    return t !== undefined && t.kind === 'op' && t.value === value;
  }

  private take(value: string): boolean {
    if (this.peek(value)) {
      this.i++;
      return true;
    }
    return false;
  }

  private or(): Node {
    let left = this.and();
    while (this.take('||')) left = { type: 'bin', op: '||', left, right: this.and() };
    return left;
  }

  private and(): Node {
    let left = this.equality();
    while (this.take('&&')) left = { type: 'bin', op: '&&', left, right: this.equality() };
    return left;
  }

  private equality(): Node {
    let left = this.comparison();
    for (;;) {
      const op = this.peek('==') ? '==' : this.peek('!=') ? '!=' : undefined;
      if (!op) return left;
      this.i++;
      left = { type: 'bin', op, left, right: this.comparison() };
    }
  }

  private comparison(): Node {
    let left = this.unary();
    for (;;) {
      const op = ['<=', '>=', '<', '>'].find((o) => this.peek(o));
      if (!op) return left;
      this.i++;
      left = { type: 'bin', op, left, right: this.unary() };
    }
  }

  private unary(): Node {
    if (this.take('!')) return { type: 'not', operand: this.unary() };
    return this.postfix(this.primary());
  }

  private primary(): Node {
    const t = this.tokens[this.i++];
    if (!t) this.fail('it ends too early');
    if (t.kind === 'num' || t.kind === 'str') return { type: 'lit', value: t.value };
    if (t.kind === 'op') {
      if (t.value === '(') {
        const inner = this.or();
        if (!this.take(')')) this.fail("missing ')'");
        return inner;
      }
      this.fail(`unexpected '${t.value}'`);
    }
    if (t.value === 'true') return { type: 'lit', value: true };
    if (t.value === 'false') return { type: 'lit', value: false };
    if (t.value === 'null') return { type: 'lit', value: null };
    if (this.take('(')) {
      const args: Node[] = [];
      if (!this.take(')')) {
        do args.push(this.or());
        while (this.take(','));
        if (!this.take(')')) this.fail("missing ')' after arguments");
      }
      return { type: 'call', name: t.value.toLowerCase(), args };
    }
    return { type: 'ctx', name: t.value };
  }

  private postfix(node: Node): Node {
    for (;;) {
      if (this.take('.')) {
        if (this.take('*')) {
          node = { type: 'prop', target: node, name: '*' };
          continue;
        }
        const t = this.tokens[this.i++];
        if (!t || (t.kind !== 'id' && t.kind !== 'num')) this.fail('a name must follow a dot');
        node = { type: 'prop', target: node, name: String(t.value) };
      } else if (this.take('[')) {
        if (this.take('*')) {
          if (!this.take(']')) this.fail("missing ']'");
          node = { type: 'prop', target: node, name: '*' };
          continue;
        }
        const index = this.or();
        if (!this.take(']')) this.fail("missing ']'");
        node = { type: 'index', target: node, index };
      } else {
        return node;
      }
    }
  }
}

export function parseExpression(text: string): Node {
  return new Parser(tokenize(text), text).parse();
}

export function isTruthy(value: ExpressionValue): boolean {
  if (value === null || value === false || value === 0 || value === '') return false;
  if (typeof value === 'number' && Number.isNaN(value)) return false;
  return true;
}

function toNumber(value: ExpressionValue): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value.trim() === '') return 0;
    const n = Number(value);
    return Number.isNaN(n) ? NaN : n;
  }
  return NaN;
}

export function toText(value: ExpressionValue): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return 'Array';
  return 'Object';
}

function looseEquals(a: ExpressionValue, b: ExpressionValue): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === 'object' || typeof b === 'object') {
    if (a === null && b === null) return true;
    if (a === null || b === null) return toNumber(a) === toNumber(b) && typeof a !== 'object' && typeof b !== 'object';
    return a === b;
  }
  if (typeof a === typeof b) return a === b;
  return toNumber(a) === toNumber(b);
}

function compare(a: ExpressionValue, b: ExpressionValue): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = toNumber(a);
  const y = toNumber(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  return x - y;
}

function property(target: ExpressionValue, name: string): ExpressionValue {
  if (target === null || typeof target !== 'object') return null;
  if (Array.isArray(target)) return null;
  const key = Object.keys(target).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? null : (target[key] ?? null);
}

function fromJson(text: string): ExpressionValue {
  try {
    return JSON.parse(text) as ExpressionValue;
  } catch {
    throw new OpsloopError('invalidInput', `fromJSON got text that is not JSON: ${text.slice(0, 80)}`);
  }
}

function evaluateNode(node: Node, ctx: ExpressionContext): ExpressionValue {
  switch (node.type) {
    case 'lit':
      return node.value;
    case 'ctx':
      return property(ctx.contexts as { [key: string]: ExpressionValue }, node.name);
    case 'prop': {
      const target = evaluateNode(node.target, ctx);
      if (node.name === '*') {
        if (Array.isArray(target)) return target;
        if (target && typeof target === 'object') return Object.values(target);
        return [];
      }
      if (Array.isArray(target)) return target.map((t) => property(t, node.name));
      return property(target, node.name);
    }
    case 'index': {
      const target = evaluateNode(node.target, ctx);
      const index = evaluateNode(node.index, ctx);
      if (Array.isArray(target)) {
        const n = toNumber(index);
        return Number.isInteger(n) ? (target[n] ?? null) : null;
      }
      return property(target, toText(index));
    }
    case 'not':
      return !isTruthy(evaluateNode(node.operand, ctx));
    case 'bin': {
      if (node.op === '&&') {
        const left = evaluateNode(node.left, ctx);
        return isTruthy(left) ? evaluateNode(node.right, ctx) : left;
      }
      if (node.op === '||') {
        const left = evaluateNode(node.left, ctx);
        return isTruthy(left) ? left : evaluateNode(node.right, ctx);
      }
      const left = evaluateNode(node.left, ctx);
      const right = evaluateNode(node.right, ctx);
      if (node.op === '==') return looseEquals(left, right);
      if (node.op === '!=') return !looseEquals(left, right);
      const c = compare(left, right);
      if (Number.isNaN(c)) return false;
      if (node.op === '<') return c < 0;
      if (node.op === '<=') return c <= 0;
      if (node.op === '>') return c > 0;
      return c >= 0;
    }
    case 'call': {
      const args = (): ExpressionValue[] => node.args.map((a) => evaluateNode(a, ctx));
      switch (node.name) {
        case 'success':
          return !ctx.status.failed && !ctx.status.cancelled;
        case 'failure':
          return ctx.status.failed && !ctx.status.cancelled;
        case 'always':
          return true;
        case 'cancelled':
          return ctx.status.cancelled;
        case 'contains': {
          const [hay, needle] = args();
          if (Array.isArray(hay)) return hay.some((h) => looseEquals(h, needle ?? null));
          return toText(hay ?? null).toLowerCase().includes(toText(needle ?? null).toLowerCase());
        }
        case 'startswith': {
          const [a, b] = args();
          return toText(a ?? null).toLowerCase().startsWith(toText(b ?? null).toLowerCase());
        }
        case 'endswith': {
          const [a, b] = args();
          return toText(a ?? null).toLowerCase().endsWith(toText(b ?? null).toLowerCase());
        }
        case 'format': {
          const [template, ...rest] = args();
          return toText(template ?? null)
            .replace(/\{(\d+)\}/g, (_m, n: string) => toText(rest[Number(n)] ?? null))
            .replace(/\{\{/g, '{')
            .replace(/\}\}/g, '}');
        }
        case 'join': {
          const [list, separator] = args();
          const sep = separator === undefined ? ',' : toText(separator);
          return Array.isArray(list) ? list.map(toText).join(sep) : toText(list ?? null);
        }
        case 'tojson':
          return JSON.stringify(args()[0] ?? null, null, 2);
        case 'fromjson':
          return fromJson(toText(args()[0] ?? null));
        case 'hashfiles':
          return '';
        default:
          throw new OpsloopError('invalidInput', `Unknown function ${node.name}() in expression.`);
      }
    }
  }
}

/** Removes a surrounding `${{ ... }}`, which `if:` allows but does not need. */
export function stripDelimiters(text: string): string {
  const m = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text);
  return (m ? m[1]! : text).trim();
}

export function evaluateExpression(text: string, ctx: ExpressionContext): ExpressionValue {
  return evaluateNode(parseExpression(stripDelimiters(text)), ctx);
}

function usesStatusFunction(node: Node): boolean {
  switch (node.type) {
    case 'call':
      return ['success', 'failure', 'always', 'cancelled'].includes(node.name) || node.args.some(usesStatusFunction);
    case 'not':
      return usesStatusFunction(node.operand);
    case 'bin':
      return usesStatusFunction(node.left) || usesStatusFunction(node.right);
    case 'prop':
      return usesStatusFunction(node.target);
    case 'index':
      return usesStatusFunction(node.target) || usesStatusFunction(node.index);
    default:
      return false;
  }
}

/**
 * GitHub's `if:`: without a status function the condition means `success() && (condition)`.
 * An empty condition means `success()`.
 */
export function evaluateCondition(condition: string | undefined, ctx: ExpressionContext): boolean {
  const text = condition === undefined ? '' : stripDelimiters(condition);
  if (text === '') return !ctx.status.failed && !ctx.status.cancelled;
  const node = parseExpression(text);
  const value = isTruthy(evaluateNode(node, ctx));
  if (usesStatusFunction(node)) return value;
  return !ctx.status.failed && !ctx.status.cancelled && value;
}
