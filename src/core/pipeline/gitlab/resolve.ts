import { YamlReference } from '../yaml/yamlLoader';
import { copyMap, deepMerge, get, has, isMap, scalarText, set, type YamlMap } from './yamlData';

/**
 * `extends` and `!reference`, in GitLab's order: extends first (each job deep-merged onto its
 * parents, later parents winning, at most 11 levels, cycles refused), then references resolved
 * against the extended configuration (nested at most 10 deep).
 */

export const MAX_EXTENDS_LEVELS = 11;
export const MAX_REFERENCE_DEPTH = 10;

export interface ResolveProblem {
  readonly code: string;
  readonly message: string;
  /** Top-level key and path inside it where the problem is written. */
  readonly key: string;
  readonly path: readonly (string | number)[];
}

export interface ExtendsResult {
  /** The configuration with every mapping-valued key extended, `extends` removed. */
  readonly config: YamlMap;
  /** Parents of each key as written (for locating merged keys). */
  readonly parents: ReadonlyMap<string, readonly string[]>;
}

/** Keys that are global keywords, not jobs (their values are never extended). */
export const globalKeywords = new Set(['default', 'include', 'stages', 'types', 'variables', 'workflow', 'image', 'services', 'cache', 'before_script', 'after_script', 'spec']);

export function resolveExtends(config: YamlMap, problems: ResolveProblem[]): ExtendsResult {
  const parents = new Map<string, string[]>();
  const done = new Map<string, { value: YamlMap; depth: number }>();
  const visiting = new Set<string>();
  const reported = new Set<string>();
  const report = (p: ResolveProblem): void => {
    const key = `${p.code}|${p.key}`;
    if (reported.has(key)) return;
    reported.add(key);
    problems.push(p);
  };
  /** The keys being extended, outermost first (one stack for the whole walk: it runs for every job). */
  const chain: string[] = [];

  const parentsOf = (key: string, job: YamlMap): string[] => {
    const raw = get(job, 'extends');
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      const name = scalarText(raw);
      if (name === undefined) {
        report({ code: 'gitlab-invalid-extends', message: 'extends must name a job or a list of jobs.', key, path: ['extends'] });
        return [];
      }
      return [name];
    }
    const out: string[] = [];
    for (let i = 0; i < raw.length; i++) {
      const name = scalarText(raw[i]);
      if (name === undefined) report({ code: 'gitlab-invalid-extends', message: 'extends must name a job or a list of jobs.', key, path: ['extends', i] });
      else out.push(name);
    }
    return out;
  };

  /** Depth counts levels: a job without parents is level 1. A cycle is refused when a key comes back while it is being extended. */
  const extend = (key: string): { value: YamlMap; depth: number } | undefined => {
    const known = done.get(key);
    if (known) return known;
    const job = get(config, key);
    if (!isMap(job)) return undefined;
    if (visiting.has(key)) {
      const cycle = [...chain.slice(chain.indexOf(key)), key];
      report({ code: 'gitlab-extends-cycle', message: `Circular dependency in \`extends\`: ${cycle.join(' → ')}.`, key: chain[chain.length - 1] ?? key, path: ['extends'] });
      return undefined;
    }
    const names = parentsOf(key, job);
    parents.set(key, names);
    if (names.length === 0) {
      const own = has(job, 'extends') ? withoutExtends(job) : job;
      const result = { value: own, depth: 1 };
      done.set(key, result);
      return result;
    }
    visiting.add(key);
    chain.push(key);
    let base: YamlMap = {};
    let depth = 1;
    const listed = Array.isArray(get(job, 'extends'));
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const parentRaw = get(config, name);
      if (parentRaw === undefined) {
        report({ code: 'gitlab-unknown-extends', message: `\`extends\` names '${name}', which is not defined.`, key, path: listed ? ['extends', i] : ['extends'] });
        continue;
      }
      if (!isMap(parentRaw)) {
        report({ code: 'gitlab-invalid-extends', message: `\`extends\` names '${name}', which is not a job (a mapping).`, key, path: listed ? ['extends', i] : ['extends'] });
        continue;
      }
      if (chain.length >= MAX_EXTENDS_LEVELS + 5) continue; // far past the limit: stop walking, it is reported below
      const parent = extend(name);
      if (!parent) continue;
      depth = Math.max(depth, parent.depth + 1);
      // deepMerge copies and never changes its inputs, so a single parent needs no copy of its own
      base = names.length === 1 ? parent.value : (deepMerge(base, parent.value) as YamlMap);
    }
    chain.pop();
    visiting.delete(key);
    if (depth > MAX_EXTENDS_LEVELS) {
      report({ code: 'gitlab-extends-too-deep', message: `\`extends\` nests ${depth} levels deep; GitLab allows at most ${MAX_EXTENDS_LEVELS}.`, key, path: ['extends'] });
    }
    const result = { value: mergeJob(base, job), depth };
    done.set(key, result);
    return result;
  };

  const out: YamlMap = {};
  for (const key of Object.keys(config)) {
    const value = config[key];
    if (globalKeywords.has(key) || !isMap(value)) set(out, key, value);
    else set(out, key, extend(key)?.value ?? withoutExtends(value));
  }
  return { config: out, parents };
}

function withoutExtends(job: YamlMap): YamlMap {
  if (!has(job, 'extends')) return job;
  const out: YamlMap = {};
  for (const key of Object.keys(job)) if (key !== 'extends') set(out, key, job[key]);
  return out;
}

/** `deepMerge(base, withoutExtends(job))` with one copy instead of two. */
function mergeJob(base: YamlMap, job: YamlMap): YamlMap {
  const out = copyMap(base);
  for (const key in job) {
    if (key === 'extends' || !has(job, key)) continue;
    const r = job[key];
    const l = has(out, key) ? out[key] : undefined;
    set(out, key, isMap(l) && isMap(r) ? deepMerge(l, r) : r);
  }
  return out;
}

/**
 * Replaces every `!reference [key, path...]` in the configuration with a copy of what it names,
 * itself resolved. A reference that cannot be resolved becomes undefined and is reported.
 */
export function resolveReferences(config: YamlMap, problems: ResolveProblem[]): YamlMap {
  const memo = new Map<object, unknown>();

  const lookup = (ref: YamlReference, depth: number, owner: { key: string; path: (string | number)[] }, chain: readonly string[]): unknown => {
    const names = ref.path.map((p) => scalarText(p));
    if (names.length === 0 || names.some((n) => n === undefined)) {
      problems.push({ code: 'gitlab-invalid-reference', message: '!reference takes a list of keys, such as [.setup, script].', ...owner });
      return undefined;
    }
    const id = JSON.stringify(names);
    if (chain.includes(id)) {
      problems.push({ code: 'gitlab-reference-cycle', message: `!reference [${names.join(', ')}] refers to itself through ${chain.length} reference(s).`, ...owner });
      return undefined;
    }
    if (depth >= MAX_REFERENCE_DEPTH) {
      problems.push({ code: 'gitlab-reference-too-deep', message: `!reference [${names.join(', ')}] nests more than ${MAX_REFERENCE_DEPTH} references deep (or refers to itself).`, ...owner });
      return undefined;
    }
    let value: unknown = config;
    for (const name of names) {
      value = isMap(value) ? get(value, name!) : undefined;
      if (value === undefined) {
        problems.push({ code: 'gitlab-unknown-reference', message: `!reference [${names.join(', ')}] could not be found.`, ...owner });
        return undefined;
      }
    }
    return resolve(value, depth + 1, owner, false, [...chain, id]);
  };

  const resolve = (value: unknown, depth: number, owner: { key: string; path: (string | number)[] }, memoize: boolean, chain: readonly string[] = []): unknown => {
    if (value instanceof YamlReference) return lookup(value, depth, owner, chain);
    if (value === null || typeof value !== 'object') return value;
    if (memoize && memo.has(value)) return memo.get(value);
    let result: unknown = value;
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      value.forEach((item, i) => {
        const r = resolve(item, depth, { key: owner.key, path: [...owner.path, i] }, memoize, chain);
        if (r !== item) {
          copy ??= value.slice();
          copy[i] = r;
        }
      });
      if (copy) result = copy;
    } else if (isMap(value)) {
      let copy: YamlMap | undefined;
      for (const k of Object.keys(value)) {
        const item = value[k];
        const r = resolve(item, depth, { key: owner.key, path: [...owner.path, k] }, memoize, chain);
        if (r !== item) {
          if (!copy) {
            copy = {};
            for (const kk of Object.keys(value)) set(copy, kk, value[kk]);
          }
          set(copy, k, r);
        }
      }
      if (copy) result = copy;
    }
    if (memoize) memo.set(value, result);
    return result;
  };

  const out: YamlMap = {};
  const scanned = new Map<object, boolean>();
  for (const key of Object.keys(config)) {
    const value = config[key];
    // Most keys hold no reference: a scan without allocations spares them the resolving walk.
    set(out, key, containsReference(value, scanned, 0) ? resolve(value, 0, { key, path: [] }, true) : value);
  }
  return out;
}

function containsReference(value: unknown, seen: Map<object, boolean>, depth: number): boolean {
  if (value instanceof YamlReference) return true;
  if (value === null || typeof value !== 'object' || depth > 200) return false;
  const known = seen.get(value);
  if (known !== undefined) return known;
  let found = false;
  if (Array.isArray(value)) {
    for (const item of value) if (containsReference(item, seen, depth + 1)) {
      found = true;
      break;
    }
  } else {
    for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key) && containsReference((value as YamlMap)[key], seen, depth + 1)) {
      found = true;
      break;
    }
  }
  seen.set(value, found);
  return found;
}
