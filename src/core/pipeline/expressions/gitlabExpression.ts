import { RE2JS } from 're2js';

/**
 * GitLab's CI/CD variable expressions (`rules:if`, `only:variables`, `workflow:rules:if`),
 * interpreted, never evaluated as code (reliability.md item 10). The language, as GitLab's own
 * lexer and parser define it:
 *
 *   value    := $NAME | "text" | 'text' | /regex/flags | null
 *   compare  := value (== | != | =~ | !~) value
 *   and/or   := && binds tighter than ||, both left to right; parentheses group
 *
 * Values follow Ruby: a variable that is not defined is nil; `&&` and `||` return one of their
 * operands; the result counts as true when it is `true` or a non-empty string (`present?`).
 * `=~` matches with RE2 (here re2js, linear time); a variable on its right is used as a regex
 * when its value looks like `/.../`, else as text. At most 100 tokens, as in GitLab.
 */

export class GitlabRegex {
  constructor(
    readonly source: string,
    readonly flags: string,
    readonly re: RE2JS,
  ) {}
}

type Value = string | null | boolean | GitlabRegex;

type Node =
  | { kind: 'variable'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'pattern'; regex: GitlabRegex }
  | { kind: 'null' }
  | { kind: 'binary'; op: Operator; left: Node; right: Node };

type Operator = '==' | '!=' | '=~' | '!~' | '&&' | '||';

const precedence: Record<Operator, number> = { '==': 10, '!=': 10, '=~': 10, '!~': 10, '&&': 11, '||': 12 };

export const MAX_EXPRESSION_TOKENS = 100;

export interface ParsedExpression {
  readonly text: string;
  /** Variable names the expression reads. */
  readonly variables: readonly string[];
  evaluate(variables: VariableLookup): boolean;
}

/** Variables by name; undefined means "not defined" (nil), which differs from "". */
export type VariableLookup = (name: string) => string | undefined;

export type ParseResult = { readonly ok: true; readonly expression: ParsedExpression } | { readonly ok: false; readonly error: string };

// `/body/flags` as GitLab's lexer reads it: a body of two or more characters whose last is not a
// backslash, `\/` allowed inside. Only the lexer's own fixed patterns run on JavaScript's engine.
const PATTERN_LEXEME = /^\/(?:[^/]|\\\/)+[^\\]\/[ismU]*/;
const VARIABLE_LEXEME = /^\$(\w+)/;
const STRING_LEXEME = /^(?:"([^"]*)"|'([^']*)')/;
const NULL_LEXEME = /^null/;

type Token = { kind: 'value'; node: Node } | { kind: 'op'; op: Operator } | { kind: 'open' } | { kind: 'close' };

const regexCache = new Map<string, GitlabRegex | string>();

/** Compiles `/body/flags` on re2js; a string is the error. Cached, since rules repeat across jobs. */
export function compileGitlabRegex(literal: string): GitlabRegex | string {
  const cached = regexCache.get(literal);
  if (cached !== undefined) return cached;
  const end = literal.lastIndexOf('/');
  let result: GitlabRegex | string;
  if (!literal.startsWith('/') || end <= 0) {
    result = `'${literal}' is not a /regular expression/.`;
  } else {
    const body = literal.slice(1, end).replace(/\\\//g, '/');
    const flags = literal.slice(end + 1);
    if (!/^[ismU]*$/.test(flags)) {
      result = `Unknown regular expression flags '${flags}' (GitLab accepts i, s, m and U).`;
    } else {
      try {
        result = new GitlabRegex(body, flags, RE2JS.compile(flags ? `(?${flags})${body}` : body));
      } catch (e) {
        result = `Invalid regular expression /${body}/ (GitLab uses RE2 syntax: no lookaround, no backreferences): ${e instanceof Error ? e.message : String(e)}`;
      }
    }
  }
  if (regexCache.size > 2000) regexCache.clear();
  regexCache.set(literal, result);
  return result;
}

function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (pos >= text.length) return tokens;
    if (tokens.length >= MAX_EXPRESSION_TOKENS) return `The expression has more than ${MAX_EXPRESSION_TOKENS} tokens.`;
    const rest = text.slice(pos);
    let m: RegExpExecArray | null;
    const two = rest.slice(0, 2);
    if (rest[0] === '(') {
      tokens.push({ kind: 'open' });
      pos += 1;
    } else if (rest[0] === ')') {
      tokens.push({ kind: 'close' });
      pos += 1;
    } else if ((m = VARIABLE_LEXEME.exec(rest))) {
      tokens.push({ kind: 'value', node: { kind: 'variable', name: m[1]! } });
      pos += m[0].length;
    } else if ((m = STRING_LEXEME.exec(rest))) {
      tokens.push({ kind: 'value', node: { kind: 'string', value: m[1] ?? m[2] ?? '' } });
      pos += m[0].length;
    } else if ((m = PATTERN_LEXEME.exec(rest))) {
      const regex = compileGitlabRegex(m[0]);
      if (typeof regex === 'string') return regex;
      tokens.push({ kind: 'value', node: { kind: 'pattern', regex } });
      pos += m[0].length;
    } else if ((m = NULL_LEXEME.exec(rest))) {
      tokens.push({ kind: 'value', node: { kind: 'null' } });
      pos += 4;
    } else if (two === '==' || two === '!=' || two === '=~' || two === '!~' || two === '&&' || two === '||') {
      tokens.push({ kind: 'op', op: two });
      pos += 2;
    } else {
      return `Unexpected '${rest.slice(0, 12)}' at character ${pos + 1}.`;
    }
  }
}

/** Shunting-yard into a tree, rejecting what GitLab's linter rejects (missing operands, stray parentheses). */
function parseTokens(tokens: Token[]): Node | string {
  const output: Node[] = [];
  const operators: (Operator | '(')[] = [];
  let expectValue = true;
  const reduce = (): string | undefined => {
    const op = operators.pop() as Operator;
    const right = output.pop();
    const left = output.pop();
    if (!left || !right) return `The operator ${op} is missing an operand.`;
    output.push({ kind: 'binary', op, left, right });
    return undefined;
  };
  for (const token of tokens) {
    if (token.kind === 'value') {
      if (!expectValue) return 'Two values follow each other without an operator between them.';
      output.push(token.node);
      expectValue = false;
    } else if (token.kind === 'op') {
      if (expectValue) return `The operator ${token.op} is missing its left operand.`;
      for (;;) {
        const top = operators[operators.length - 1];
        if (top === undefined || top === '(' || precedence[top] > precedence[token.op]) break;
        const error = reduce();
        if (error) return error;
      }
      operators.push(token.op);
      expectValue = true;
    } else if (token.kind === 'open') {
      if (!expectValue) return "A '(' follows a value without an operator.";
      operators.push('(');
    } else {
      if (expectValue) return "A ')' comes where a value is expected.";
      for (;;) {
        const top = operators[operators.length - 1];
        if (top === undefined) return "Unmatched ')'.";
        if (top === '(') {
          operators.pop();
          break;
        }
        const error = reduce();
        if (error) return error;
      }
    }
  }
  if (expectValue) return tokens.length === 0 ? 'The expression is empty.' : 'The expression ends where a value is expected.';
  while (operators.length > 0) {
    if (operators[operators.length - 1] === '(') return "Unmatched '('.";
    const error = reduce();
    if (error) return error;
  }
  if (output.length !== 1) return 'The expression does not combine into one condition.';
  return output[0]!;
}

function collectVariables(node: Node, into: Set<string>): void {
  if (node.kind === 'variable') into.add(node.name);
  else if (node.kind === 'binary') {
    collectVariables(node.left, into);
    collectVariables(node.right, into);
  }
}

function truthy(value: Value): boolean {
  // Ruby: only nil and false are falsy inside && and ||
  return value !== null && value !== false;
}

function present(value: Value): boolean {
  if (typeof value === 'string') return value.length > 0;
  return value === true || value instanceof GitlabRegex;
}

function regexMatches(rightValue: Value, text: Value): boolean {
  const subject = typeof text === 'string' ? text : '';
  let regex: GitlabRegex | string | undefined;
  if (rightValue instanceof GitlabRegex) regex = rightValue;
  else if (typeof rightValue === 'string') {
    const m = PATTERN_LEXEME.exec(rightValue);
    const compiled = m && m[0].length === rightValue.length ? compileGitlabRegex(rightValue) : undefined;
    // A variable whose value is not a /regex/ stays text: Ruby's String#scan finds the left side inside it.
    if (compiled === undefined || typeof compiled === 'string') return rightValue.includes(subject);
    regex = compiled;
  } else {
    return false;
  }
  return regex.re.test(subject);
}

function evaluateNode(node: Node, lookup: VariableLookup): Value {
  switch (node.kind) {
    case 'variable': {
      const v = lookup(node.name);
      return v === undefined ? null : v;
    }
    case 'string':
      return node.value;
    case 'pattern':
      return node.regex;
    case 'null':
      return null;
    case 'binary': {
      if (node.op === '&&') {
        const left = evaluateNode(node.left, lookup);
        return truthy(left) ? evaluateNode(node.right, lookup) : left;
      }
      if (node.op === '||') {
        const left = evaluateNode(node.left, lookup);
        return truthy(left) ? left : evaluateNode(node.right, lookup);
      }
      const left = evaluateNode(node.left, lookup);
      const right = evaluateNode(node.right, lookup);
      if (node.op === '==') return equalValues(left, right);
      if (node.op === '!=') return !equalValues(left, right);
      if (node.op === '=~') return right === null || right === false ? false : regexMatches(right, left);
      return right === null || right === false ? true : !regexMatches(right, left);
    }
  }
}

function equalValues(a: Value, b: Value): boolean {
  if (a instanceof GitlabRegex || b instanceof GitlabRegex) {
    return a instanceof GitlabRegex && b instanceof GitlabRegex && a.source === b.source && a.flags === b.flags;
  }
  return a === b;
}

const parseCache = new Map<string, ParseResult>();

/** Parses an expression once (cached by text); the error says what GitLab's linter would reject. */
export function parseGitlabExpression(text: string): ParseResult {
  const cached = parseCache.get(text);
  if (cached) return cached;
  let result: ParseResult;
  const tokens = tokenize(text);
  if (typeof tokens === 'string') {
    result = { ok: false, error: tokens };
  } else {
    const tree = parseTokens(tokens);
    if (typeof tree === 'string') {
      result = { ok: false, error: tree };
    } else {
      const names = new Set<string>();
      collectVariables(tree, names);
      result = {
        ok: true,
        expression: { text, variables: [...names], evaluate: (lookup) => present(evaluateNode(tree, lookup)) },
      };
    }
  }
  if (parseCache.size > 5000) parseCache.clear();
  parseCache.set(text, result);
  return result;
}

/** Evaluates `text` with the variables; an invalid expression is false, as in GitLab, with the reason. */
export function evaluateGitlabExpression(text: string, variables: Readonly<Record<string, string>> | VariableLookup): { value: boolean; error?: string } {
  const parsed = parseGitlabExpression(text);
  if (!parsed.ok) return { value: false, error: parsed.error };
  const lookup: VariableLookup = typeof variables === 'function' ? variables : (name) => (Object.prototype.hasOwnProperty.call(variables, name) ? variables[name] : undefined);
  return { value: parsed.expression.evaluate(lookup) };
}
