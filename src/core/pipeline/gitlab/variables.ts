import { get, has, isMap, scalarText } from './yamlData';

/** One variable as written: `NAME: value` or `NAME: {value, description, expand, options}`. */
export interface GitlabVariable {
  readonly value: string;
  /** `expand: false` keeps `$OTHER` in the value as text. */
  readonly expand: boolean;
}

export type VariableMap = ReadonlyMap<string, GitlabVariable>;

/** Anything variables can be looked up in (a map, or layers of maps). */
export interface VariableSource {
  get(name: string): GitlabVariable | undefined;
}

/** Layers read without copying them: the last layer that has a name wins. */
export function layered(...layers: (VariableMap | undefined)[]): VariableSource {
  const present = layers.filter((l): l is VariableMap => l !== undefined && l.size > 0).reverse();
  return {
    get(name) {
      for (const layer of present) {
        const v = layer.get(name);
        if (v !== undefined) return v;
      }
      return undefined;
    },
  };
}

/**
 * Variables as written, merged (later layers win), for the runner to expand once with its own
 * predefined values: a value with `expand: false` has its `$` written as `$$`, which GitLab's
 * expansion (and Opsloop's runner) turns back into a literal `$`.
 */
export function rawVariables(...layers: (VariableMap | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (v: GitlabVariable, name: string): void => {
    const value = v.expand ? v.value : v.value.replace(/\$/g, '$$$$');
    if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    else out[name] = value;
  };
  // forEach, not for...of: no [name, value] array per variable of every job
  for (const layer of layers) if (layer) layer.forEach(add);
  return out;
}

export interface VariableProblem {
  readonly key: string;
  readonly message: string;
}

/** Reads a `variables:` block; values that are not scalars are reported and skipped. */
export function readVariables(value: unknown, problems?: VariableProblem[]): Map<string, GitlabVariable> {
  const out = new Map<string, GitlabVariable>();
  if (value === null || value === undefined) return out;
  if (!isMap(value)) {
    problems?.push({ key: '', message: 'variables must be a mapping of NAME: value.' });
    return out;
  }
  for (const key in value) {
    if (!has(value, key)) continue;
    const raw = value[key];
    if (isMap(raw)) {
      const v = get(raw, 'value');
      const text = v === undefined || v === null ? '' : scalarText(v);
      if (text === undefined) {
        problems?.push({ key, message: `The value of variable ${key} must be a string or a number.` });
        continue;
      }
      out.set(key, { value: text, expand: get(raw, 'expand') !== false });
    } else if (raw === null) {
      out.set(key, { value: '', expand: true });
    } else {
      const text = scalarText(raw);
      if (text === undefined) {
        problems?.push({ key, message: `The value of variable ${key} must be a string or a number.` });
        continue;
      }
      out.set(key, { value: text, expand: true });
    }
  }
  return out;
}

export function plainVariables(values: Readonly<Record<string, string>> | undefined): Map<string, GitlabVariable> {
  const out = new Map<string, GitlabVariable>();
  if (values) for (const key of Object.keys(values)) out.set(key, { value: values[key]!, expand: true });
  return out;
}

/** Later maps win. */
export function layerVariables(...layers: (VariableMap | undefined)[]): Map<string, GitlabVariable> {
  const out = new Map<string, GitlabVariable>();
  for (const layer of layers) if (layer) for (const [k, v] of layer) out.set(k, v);
  return out;
}

const RUNNER_REFERENCE = /\$\$|\$([a-zA-Z_][a-zA-Z0-9_]*)|\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g;

/**
 * Expands references the way GitLab's server does in `environment`, `image`, `services`, include
 * paths and `changes`/`exists` paths: `$VAR`, `${VAR}` and `%VAR%`; an unknown variable becomes ''.
 */
export function expandServer(text: string, lookup: (name: string) => string | undefined): string {
  if (text.indexOf('$') < 0 && text.indexOf('%') < 0) return text;
  // A hand-written scan: this runs for every job's image and environment.
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x24 /* $ */ && c !== 0x25 /* % */) continue;
    let nameStart: number;
    let nameEnd: number;
    let end: number;
    if (c === 0x24 && text.charCodeAt(i + 1) === 0x7b /* { */) {
      nameStart = i + 2;
      nameEnd = nameEnd0(text, nameStart);
      if (nameEnd === nameStart || text.charCodeAt(nameEnd) !== 0x7d /* } */) continue;
      end = nameEnd + 1;
    } else {
      nameStart = i + 1;
      nameEnd = nameEnd0(text, nameStart);
      if (nameEnd === nameStart) continue;
      if (c === 0x25) {
        if (text.charCodeAt(nameEnd) !== 0x25) continue;
        end = nameEnd + 1;
      } else end = nameEnd;
    }
    out += text.slice(from, i) + (lookup(text.slice(nameStart, nameEnd)) ?? '');
    from = end;
    i = end - 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** End of a variable name (`[A-Za-z_][A-Za-z0-9_]*`) starting at `start`; `start` when there is none. */
function nameEnd0(text: string, start: number): number {
  let i = start;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    const digit = c >= 0x30 && c <= 0x39;
    if (!(letter || (digit && i > start))) break;
  }
  return i;
}

/**
 * The values a job's scripts see: each value with `$VAR`/`${VAR}` references to the other
 * variables expanded (recursively, at most 10 levels, cycles left as text), `$$` as `$`.
 * References to variables that are not known here stay as written, for the shell to expand.
 */
export function resolveVariables(vars: VariableMap): Record<string, string> {
  const resolver = variableResolver(vars);
  const out: Record<string, string> = {};
  for (const name of vars.keys()) {
    const value = resolver(name)!;
    if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    else out[name] = value;
  }
  return out;
}

/**
 * Resolves one variable at a time, on demand and memoised: rules read a handful of variables,
 * so a job's rules do not pay for resolving all of them.
 */
export function variableResolver(vars: VariableSource): (name: string) => string | undefined {
  // Created for every job instance; most lookups find a value without `$`, so the memo and the
  // cycle guard are made only when a value needs expanding.
  let memo: Map<string, string> | undefined;
  let resolving: Set<string> | undefined;
  const raw = (name: string, depth: number): string | undefined => {
    const v = vars.get(name);
    if (!v) return undefined;
    if (!v.expand || !v.value.includes('$')) return v.value;
    const done = memo?.get(name);
    if (done !== undefined) return done;
    resolving ??= new Set();
    if (resolving.has(name) || depth > 10) return v.value;
    resolving.add(name);
    const value = v.value.replace(RUNNER_REFERENCE, (m, a?: string, b?: string) => (m === '$$' ? '$$' : (raw((a ?? b)!, depth + 1) ?? m)));
    resolving.delete(name);
    (memo ??= new Map()).set(name, value);
    return value;
  };
  return (name) => {
    const v = vars.get(name);
    if (!v) return undefined;
    const value = raw(name, 0)!;
    return v.expand && value.includes('$$') ? value.replace(/\$\$/g, '$') : value;
  };
}

/** The variable names `expandServer` looks up in `text` (the same scan, whatever the values). */
export function serverReferences(text: string, into: Set<string>): void {
  expandServer(text, (name) => {
    into.add(name);
    return undefined;
  });
}
