import { parseGitlabExpression, compileGitlabRegex, GitlabRegex, type VariableLookup } from '../expressions/gitlabExpression';
import type { When } from '../model';
import type { GitlabContext } from './gitlabContext';
import { matchesFnmatch } from './globs';
import { expandServer, serverReferences } from './variables';
import { flatten, get, has, isMap, scalarText, type YamlMap } from './yamlData';

/**
 * `rules`, `only`/`except` and `workflow:rules`, evaluated for one pipeline context the way
 * GitLab does when it creates the pipeline.
 */

export type Path = readonly (string | number)[];

export interface RuleProblem {
  readonly severity: 'error' | 'warning' | 'info';
  readonly code: string;
  readonly message: string;
  /** Path relative to the rules' owner (for example [`rules`, 2, `if`]). */
  readonly path: Path;
}

export interface RuleEnvironment {
  /** Variables an `if` can read. */
  readonly lookup: VariableLookup;
  /** Does any repository file match one of the patterns (fnmatch)? */
  exists(patterns: readonly string[]): boolean;
  /** Does any changed file match one of the patterns; true when the changes are unknown. */
  changes(patterns: readonly string[]): boolean;
}

export const whenValues: readonly When[] = ['on_success', 'on_failure', 'always', 'manual', 'delayed', 'never'];

export function isWhen(value: unknown): value is When {
  return typeof value === 'string' && (whenValues as readonly string[]).includes(value);
}

const ruleKeys = ['if', 'changes', 'exists', 'when', 'allow_failure', 'variables', 'needs', 'start_in', 'interruptible', 'auto_cancel'];

export interface RuleMatch {
  /** Index of the rule that matched; undefined when none did. */
  readonly index?: number;
  readonly rule?: YamlMap;
  /** The rule's own `when`, if it has one. */
  readonly when?: When;
  readonly allowFailure?: unknown;
  readonly variables?: unknown;
  readonly needs?: unknown;
  readonly hasNeeds: boolean;
  readonly startIn?: unknown;
  readonly condition?: string;
}

/** Patterns of `changes`/`exists` (a list, or `{paths: [...]}`), with variables expanded. */
function patternsOf(value: unknown, lookup: VariableLookup): string[] | undefined {
  const list = isMap(value) ? get(value, 'paths') : value;
  if (!Array.isArray(list)) return undefined;
  const out: string[] = [];
  for (const item of flatten(list)) {
    const text = scalarText(item);
    if (text !== undefined) out.push(expandServer(text, lookup));
  }
  return out;
}

/** The first rule whose clauses all hold (GitLab reads rules top to bottom and stops at the first match). */
export function matchRules(rules: unknown, env: RuleEnvironment, problems: RuleProblem[], at: Path = ['rules'], checkKeys = true): RuleMatch {
  if (!Array.isArray(rules)) {
    problems.push({ severity: 'error', code: 'gitlab-invalid-rules', message: 'rules must be a list of rules.', path: at });
    return { hasNeeds: false };
  }
  const list = flatten(rules);
  for (let i = 0; i < list.length; i++) {
    const rule = list[i];
    const path = (...more: (string | number)[]): Path => [...at, i, ...more];
    if (!isMap(rule)) {
      problems.push({ severity: 'error', code: 'gitlab-invalid-rules', message: 'Each rule must be a mapping (if, changes, exists, when...).', path: path() });
      continue;
    }
    if (checkKeys) {
      for (const key of Object.keys(rule)) {
        if (!ruleKeys.includes(key)) problems.push({ severity: 'warning', code: 'unknown-key', message: `Unknown key '${key}' in a rule.`, path: path(key) });
      }
    }
    const when = get(rule, 'when');
    if (when !== undefined && !isWhen(when)) {
      problems.push({ severity: 'error', code: 'gitlab-invalid-when', message: `rules:when must be one of ${whenValues.join(', ')}.`, path: path('when') });
    }
    let holds = true;
    let condition: string | undefined;
    if (has(rule, 'if')) {
      const text = get(rule, 'if');
      if (typeof text !== 'string') {
        problems.push({ severity: 'error', code: 'gitlab-invalid-expression', message: 'rules:if must be a string expression.', path: path('if') });
        holds = false;
      } else {
        condition = text;
        const parsed = parseGitlabExpression(text);
        if (!parsed.ok) {
          problems.push({ severity: 'error', code: 'gitlab-invalid-expression', message: `Invalid rules:if expression: ${parsed.error}`, path: path('if') });
          holds = false;
        } else {
          holds = parsed.expression.evaluate(env.lookup);
        }
      }
    }
    if (holds && has(rule, 'changes')) {
      const patterns = patternsOf(get(rule, 'changes'), env.lookup);
      if (!patterns) {
        problems.push({ severity: 'error', code: 'gitlab-invalid-rules', message: 'rules:changes must be a list of paths or {paths: [...]}.', path: path('changes') });
        holds = false;
      } else holds = env.changes(patterns);
    }
    if (holds && has(rule, 'exists')) {
      const patterns = patternsOf(get(rule, 'exists'), env.lookup);
      if (!patterns) {
        problems.push({ severity: 'error', code: 'gitlab-invalid-rules', message: 'rules:exists must be a list of paths or {paths: [...]}.', path: path('exists') });
        holds = false;
      } else holds = env.exists(patterns);
    }
    if (!holds) continue;
    return {
      index: i,
      rule,
      ...(isWhen(when) ? { when } : {}),
      ...(has(rule, 'allow_failure') ? { allowFailure: get(rule, 'allow_failure') } : {}),
      ...(has(rule, 'variables') ? { variables: get(rule, 'variables') } : {}),
      hasNeeds: has(rule, 'needs'),
      ...(has(rule, 'needs') ? { needs: get(rule, 'needs') } : {}),
      ...(has(rule, 'start_in') ? { startIn: get(rule, 'start_in') } : {}),
      ...(condition !== undefined ? { condition } : {}),
    };
  }
  return { hasNeeds: false };
}

/**
 * Every variable `matchRules` can read for these rules, whatever the values: the variables of
 * each `if` and those in `changes`/`exists` paths. A job's rules give the same result (and the
 * same problems) for any two jobs whose values of these variables agree, so the parser
 * evaluates each distinct case once.
 */
export function ruleVariableNames(rules: unknown): string[] {
  if (!Array.isArray(rules)) return [];
  const names = new Set<string>();
  for (const rule of flatten(rules)) {
    if (!isMap(rule)) continue;
    const text = get(rule, 'if');
    if (typeof text === 'string') {
      const parsed = parseGitlabExpression(text);
      if (parsed.ok) for (const name of parsed.expression.variables) names.add(name);
    }
    for (const key of ['changes', 'exists']) {
      if (!has(rule, key)) continue;
      const value = get(rule, key);
      const list = isMap(value) ? get(value, 'paths') : value;
      if (!Array.isArray(list)) continue;
      for (const item of flatten(list)) {
        const pattern = scalarText(item);
        if (pattern !== undefined) serverReferences(pattern, names);
      }
    }
  }
  return [...names];
}

// ---------------------------------------------------------------------------------------------
// only / except

const refKeywords = new Set(['branches', 'tags', 'api', 'external', 'pipelines', 'pushes', 'schedules', 'triggers', 'web', 'merge_requests', 'chat', 'external_pull_requests']);

/** The source name GitLab compares `only: [pushes, schedules, ...]` with (singular and plural both match). */
function sourceName(source: string): string {
  if (source === 'merge_request_event') return 'merge_request';
  if (source === 'external_pull_request_event') return 'external_pull_request';
  return source;
}

function plural(name: string): string {
  if (name === 'push') return 'pushes';
  return `${name}s`;
}

function refPatternMatches(pattern: string, context: GitlabContext, ref: string): boolean {
  const isMr = context.pipelineSource === 'merge_request_event';
  const isTag = context.tag !== undefined && !isMr;
  const isBranch = !isTag && !isMr;
  const [refPart, project] = splitProject(pattern);
  if (project !== undefined && context.projectPath !== undefined && project !== context.projectPath) return false;
  if (refPart === 'tags') return isTag;
  if (refPart === 'branches') return isBranch;
  const source = sourceName(context.pipelineSource);
  if (refPart === source || refPart === plural(source)) return true;
  if (refKeywords.has(refPart)) return false;
  if (refPart.startsWith('/')) {
    const regex = compileGitlabRegex(refPart);
    if (regex instanceof GitlabRegex) return regex.re.test(ref);
  }
  return refPart === ref;
}

/** `branch@group/project`: the part after the last `@` that is outside a regex names the project. */
function splitProject(pattern: string): [string, string | undefined] {
  const at = pattern.lastIndexOf('@');
  if (at <= 0) return [pattern, undefined];
  const refPart = pattern.slice(0, at);
  if (refPart.startsWith('/') && !/\/[ismU]*$/.test(refPart)) return [pattern, undefined];
  return [refPart, pattern.slice(at + 1)];
}

export interface PolicyResult {
  readonly matches: boolean;
}

type Policy = { refs?: string[]; variables?: string[]; changes?: string[]; kubernetes?: string };

function readPolicy(value: unknown, key: 'only' | 'except', problems: RuleProblem[]): Policy | undefined {
  if (value === undefined || value === null) return undefined;
  const strings = (list: unknown, path: Path): string[] => {
    const out: string[] = [];
    if (!Array.isArray(list)) {
      problems.push({ severity: 'error', code: 'gitlab-invalid-only', message: `${path.join(':')} must be a list.`, path });
      return out;
    }
    list.forEach((item, i) => {
      const text = scalarText(item);
      if (text === undefined) problems.push({ severity: 'error', code: 'gitlab-invalid-only', message: `${path.join(':')} entries must be strings.`, path: [...path, i] });
      else out.push(text);
    });
    return out;
  };
  if (typeof value === 'string') return { refs: [value] };
  if (Array.isArray(value)) return { refs: strings(value, [key]) };
  if (!isMap(value)) {
    problems.push({ severity: 'error', code: 'gitlab-invalid-only', message: `${key} must be a list of refs or a mapping (refs, variables, changes, kubernetes).`, path: [key] });
    return undefined;
  }
  const policy: Policy = {};
  for (const k of Object.keys(value)) {
    const v = value[k];
    if (k === 'refs') policy.refs = strings(v, [key, k]);
    else if (k === 'variables') policy.variables = strings(v, [key, k]);
    else if (k === 'changes') policy.changes = strings(isMap(v) ? get(v, 'paths') : v, [key, k]);
    else if (k === 'kubernetes') policy.kubernetes = scalarText(v) ?? '';
    else problems.push({ severity: 'warning', code: 'unknown-key', message: `Unknown key '${k}' in ${key}.`, path: [key, k] });
  }
  return policy;
}

/**
 * How the parts of one only/except hold. GitLab documents `only` as a conjunction (any ref AND
 * any variables expression AND any change) and `except` as a disjunction (a job is left out
 * when any of its parts matches).
 */
function policyParts(policy: Policy, key: 'only' | 'except', context: GitlabContext, ref: string, env: RuleEnvironment, problems: RuleProblem[]): boolean[] {
  const parts: boolean[] = [];
  if (policy.refs) parts.push(policy.refs.some((p) => refPatternMatches(p, context, ref)));
  if (policy.variables) {
    let any = false;
    policy.variables.forEach((text, i) => {
      const parsed = parseGitlabExpression(text);
      if (!parsed.ok) {
        problems.push({ severity: 'error', code: 'gitlab-invalid-expression', message: `Invalid ${key}:variables expression: ${parsed.error}`, path: [key, 'variables', i] });
      } else if (parsed.expression.evaluate(env.lookup)) any = true;
    });
    parts.push(any);
  }
  if (policy.changes) parts.push(env.changes(policy.changes.map((p) => expandServer(p, env.lookup))));
  // Kubernetes integration state is not known locally: `kubernetes: active` counts as not active.
  if (policy.kubernetes !== undefined) parts.push(false);
  return parts;
}

/** Is a job created under `only`/`except` (the default is `only: [branches, tags]`)? */
export function matchOnlyExcept(job: YamlMap, context: GitlabContext, ref: string, env: RuleEnvironment, problems: RuleProblem[]): boolean {
  const only = readPolicy(get(job, 'only'), 'only', problems) ?? (has(job, 'only') ? undefined : { refs: ['branches', 'tags'] });
  const except = readPolicy(get(job, 'except'), 'except', problems);
  if (only && !policyParts(only, 'only', context, ref, env, problems).every(Boolean)) return false;
  if (except && policyParts(except, 'except', context, ref, env, problems).some(Boolean)) return false;
  return true;
}

/** `changes` against the changed files (true when they are unknown). */
export function changesMatch(patterns: readonly string[], changedFiles: readonly string[] | undefined): boolean {
  if (changedFiles === undefined) return true;
  return patterns.some((p) => changedFiles.some((f) => matchesFnmatch(p, f)));
}
