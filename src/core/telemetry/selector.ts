/**
 * PromQL series selectors (`http_requests_total{service="checkout",code=~"5.."}`), the query
 * language of file sources and of build-info lookups. Regular expressions are fully anchored as
 * in PromQL and run on a linear-time engine (re2js), never on the backtracking RegExp.
 */
import { RE2JS } from 're2js';
import { OpsloopError } from '../errors';
import { labelValue } from './labels';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

export interface Selector {
  /** The metric name, or undefined when the selector names none (`{job="x"}`). */
  readonly metric?: string;
  readonly matchers: readonly LabelMatcher[];
  /** Tests a series; `name` is the metric name (the `__name__` label). */
  matches(name: string, labels: Readonly<Record<string, string>>): boolean;
}

const nameStart = /[a-zA-Z_:]/;
const nameChar = /[a-zA-Z0-9_:]/;
const labelStart = /[a-zA-Z_]/;
const labelChar = /[a-zA-Z0-9_]/;

/**
 * Parses a selector; throws `invalidInput` naming the column of the first mistake. A selector
 * must name a metric or have at least one matcher that does not match the empty string.
 */
export function parseSelector(text: string): Selector {
  const s = text.trim();
  let i = 0;
  const fail = (message: string): never => {
    throw new OpsloopError('invalidInput', `Selector '${text}' at column ${i + 1}: ${message}`);
  };
  const skip = (): void => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  let metric: string | undefined;
  if (i < s.length && nameStart.test(s[i]!)) {
    const start = i;
    while (i < s.length && nameChar.test(s[i]!)) i++;
    metric = s.slice(start, i);
  }
  skip();
  const matchers: LabelMatcher[] = [];
  if (s[i] === '{') {
    i++;
    for (;;) {
      skip();
      if (s[i] === '}') {
        i++;
        break;
      }
      if (i >= s.length) fail('the label list is not closed with }.');
      if (!labelStart.test(s[i]!)) fail(`expected a label name, found '${s[i]}'.`);
      const start = i;
      while (i < s.length && labelChar.test(s[i]!)) i++;
      const name = s.slice(start, i);
      skip();
      let op: MatchOp;
      if (s.startsWith('=~', i)) op = '=~';
      else if (s.startsWith('!~', i)) op = '!~';
      else if (s.startsWith('!=', i)) op = '!=';
      else if (s[i] === '=') op = '=';
      else return fail(`expected =, !=, =~ or !~ after '${name}'.`);
      i += op.length;
      skip();
      const value = readString();
      matchers.push({ name, op, value });
      skip();
      if (s[i] === ',') {
        i++;
        continue;
      }
      if (s[i] === '}') {
        i++;
        break;
      }
      fail(`expected , or } after the value of '${name}'.`);
    }
  }
  skip();
  if (i < s.length) fail(`unexpected '${s.slice(i, i + 20)}': only a metric name and {label matchers} are supported here.`);
  if (metric === undefined && matchers.length === 0) fail('name a metric or give at least one label matcher.');

  function readString(): string {
    const quote = s[i];
    if (quote !== '"' && quote !== "'" && quote !== '`') return fail('expected a quoted value.');
    i++;
    let out = '';
    for (;;) {
      if (i >= s.length) return fail('the quoted value is not closed.');
      const c = s[i]!;
      if (c === quote) {
        i++;
        return out;
      }
      if (c === '\\' && quote !== '`') {
        const e = s[i + 1];
        i += 2;
        if (e === 'n') out += '\n';
        else if (e === 't') out += '\t';
        else if (e === undefined) return fail('the quoted value ends with a backslash.');
        else out += e;
        continue;
      }
      out += c;
      i++;
    }
  }

  const compiled = matchers.map((m) => {
    if (m.op === '=~' || m.op === '!~') {
      let re: RE2JS;
      try {
        re = RE2JS.compile(`^(?:${m.value})$`);
      } catch (error) {
        throw new OpsloopError('invalidInput', `Selector '${text}': the regular expression for '${m.name}' is not valid: ${(error as Error).message}`);
      }
      return { ...m, test: (v: string) => re.matches(v) };
    }
    return { ...m, test: (v: string) => v === m.value };
  });
  if (metric === undefined && compiled.every((m) => (m.op === '=' || m.op === '=~' ? m.test('') : !m.test('')))) {
    throw new OpsloopError('invalidInput', `Selector '${text}' matches every series: name a metric or add a matcher that needs a value.`);
  }

  return {
    ...(metric !== undefined ? { metric } : {}),
    matchers,
    matches(name: string, labels: Readonly<Record<string, string>>): boolean {
      if (metric !== undefined && name !== metric) return false;
      for (const m of compiled) {
        const v = m.name === '__name__' ? name : (labelValue(labels, m.name) ?? '');
        const hit = m.test(v);
        if ((m.op === '=' || m.op === '=~') !== hit) return false;
      }
      return true;
    },
  };
}

/** True when the text is a plain selector (no functions, operators or ranges). */
export function isPlainSelector(text: string): boolean {
  try {
    parseSelector(text);
    return true;
  } catch {
    return false;
  }
}

/** The selector as PromQL text, with `extra` matchers added (values quoted and escaped). */
export function formatSelector(selector: Pick<Selector, 'metric' | 'matchers'>, extra: readonly LabelMatcher[] = []): string {
  const all = [...selector.matchers, ...extra];
  const body = all.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(',');
  return `${selector.metric ?? ''}${all.length > 0 || selector.metric === undefined ? `{${body}}` : ''}`;
}
