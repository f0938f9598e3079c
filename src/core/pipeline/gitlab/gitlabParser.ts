import type { Diagnostic, Environment, Job, Need, Pipeline, Severity, SourceRange, Stage, Step, When } from '../model';
import type { YamlLimits } from '../yaml/yamlLoader';
import { parseGitlabDuration } from './durations';
import { gitlabPredefinedVariables, refName, refSlug, type GitlabContext, type GitlabFileSource } from './gitlabContext';
import { resolveIncludes, type GitlabFile } from './includes';
import { globalKeywords, resolveExtends, resolveReferences, type ResolveProblem } from './resolve';
import { changesMatch, isWhen, matchOnlyExcept, matchRules, ruleVariableNames, whenValues, type Path, type RuleEnvironment, type RuleMatch, type RuleProblem } from './rules';
import { expandServer, layerVariables, plainVariables, rawVariables, readVariables, variableResolver, type GitlabVariable, type VariableMap, type VariableProblem, type VariableSource } from './variables';
import { copyMap, describeValue, flatten, get, has, isMap, scalarText, type YamlMap } from './yamlData';

/**
 * GitLab CI: `.gitlab-ci.yml` and what it includes, turned into the plan model for one pipeline
 * context (branch or tag, pipeline source, variables, changed files), the way GitLab creates the
 * pipeline: includes merged, `extends` and `!reference` resolved, `default:`/`inherit:` applied,
 * `parallel` expanded with GitLab's job names, `workflow:rules`, `rules` and `only`/`except`
 * evaluated, needs resolved. Jobs that GitLab would not create stay in the plan with
 * `when: 'never'` so a tree can show them greyed; optional needs on such jobs are dropped, as
 * GitLab drops them.
 *
 * Pure: files come through `source`, the pipeline context through `context`.
 */

export interface GitlabParseInput {
  /** The root file, relative to the repository root with forward slashes (usually `.gitlab-ci.yml`). */
  readonly file: string;
  /** Its text, when the caller already has it (an unsaved editor); else it is read from `source`. */
  readonly text?: string;
  readonly source: GitlabFileSource;
  readonly context: GitlabContext;
  readonly limits?: Partial<YamlLimits>;
  /** GitLab's include limit (150). */
  readonly maxIncludes?: number;
}

/** What GitLab says about the pipeline as a whole, beyond the model's fields. */
export interface GitlabPipeline extends Pipeline {
  /** False when `workflow:rules` would not create a pipeline for this context. */
  readonly created: boolean;
  /** Files read, root first (includes after it). */
  readonly includedFiles: readonly string[];
  /** The predefined variables rules were evaluated with (CI_COMMIT_BRANCH, CI_PIPELINE_SOURCE...). */
  readonly predefinedVariables: Readonly<Record<string, string>>;
}

const defaultStages = ['build', 'test', 'deploy'];

/** Keywords a job may use (GitLab's CI/CD YAML reference). */
export const gitlabJobKeywords: readonly string[] = [
  'after_script', 'allow_failure', 'artifacts', 'before_script', 'cache', 'coverage', 'dast_configuration', 'dependencies',
  'environment', 'except', 'extends', 'hooks', 'identity', 'id_tokens', 'image', 'inherit', 'interruptible', 'manual_confirmation',
  'needs', 'only', 'pages', 'parallel', 'publish', 'release', 'resource_group', 'retry', 'rules', 'run', 'script', 'secrets',
  'services', 'stage', 'start_in', 'tags', 'timeout', 'trigger', 'type', 'variables', 'when',
];

const jobKeywordSet = new Set(gitlabJobKeywords);

/** Keywords `default:` may set; a job gets each one it does not set itself (unless `inherit:default` says otherwise). */
export const gitlabDefaultKeywords: readonly string[] = [
  'after_script', 'artifacts', 'before_script', 'cache', 'hooks', 'id_tokens', 'image', 'interruptible', 'retry', 'services', 'tags', 'timeout',
];

/** Top-level keywords that also act as defaults (deprecated in GitLab, still honoured). */
const legacyGlobalDefaults = ['image', 'services', 'cache', 'before_script', 'after_script'];

const workflowKeys = ['rules', 'name', 'auto_cancel'];

interface Instance {
  readonly definition: string;
  readonly name: string;
  readonly matrix: Record<string, string> | null;
  readonly nodeIndex?: number;
  readonly nodeTotal?: number;
}

interface Draft {
  readonly instance: Instance;
  readonly when: When;
  readonly rawNeeds: unknown;
  readonly hasNeeds: boolean;
  readonly needsPath: Path;
  readonly job: Omit<Job, 'needs'>;
}

interface VariablesRead {
  readonly vars: Map<string, GitlabVariable>;
  readonly problems: readonly VariableProblem[];
}

interface RulesOutcome {
  readonly match: RuleMatch;
  readonly problems: readonly RuleProblem[];
}

const noProblems: readonly RuleProblem[] = [];

/**
 * The variables one job instance sees, as layers read without copying, the last one winning:
 * predefined, the job's own predefined (CI_JOB_NAME, CI_JOB_NAME_SLUG, CI_JOB_STAGE), parallel
 * node, inherited global, job, matrix, rules, then the pipeline's own variables. Made for every
 * job instance, so the job's predefined values are made only when asked for.
 */
class InstanceVariables implements VariableSource {
  private jobName: GitlabVariable | undefined;
  private jobSlug: GitlabVariable | undefined;
  private jobStage: GitlabVariable | undefined;

  constructor(
    private readonly predefined: VariableMap,
    private readonly name: string,
    private readonly stage: string,
    private readonly node: VariableMap | undefined,
    private readonly inherited: VariableMap,
    private readonly own: VariableMap,
    private readonly matrix: VariableMap | undefined,
    private readonly rules: VariableMap | undefined,
    private readonly context: VariableMap,
  ) {}

  get(name: string): GitlabVariable | undefined {
    return (
      this.context.get(name) ??
      this.rules?.get(name) ??
      this.matrix?.get(name) ??
      this.own.get(name) ??
      this.inherited.get(name) ??
      this.node?.get(name) ??
      this.jobPredefined(name) ??
      this.predefined.get(name)
    );
  }

  private jobPredefined(name: string): GitlabVariable | undefined {
    if (name === 'CI_JOB_NAME') return (this.jobName ??= { value: this.name, expand: true });
    if (name === 'CI_JOB_NAME_SLUG') return (this.jobSlug ??= { value: refSlug(this.name), expand: true });
    if (name === 'CI_JOB_STAGE') return (this.jobStage ??= { value: this.stage, expand: true });
    return undefined;
  }
}

/**
 * Where a key of a (merged, extended) job is written: in the files that define the job (last
 * one first), then in its `extends` parents (last parent first), then in `default:`.
 */
class Locator {
  /**
   * Searches through a parent (depth > 0), kept with how deep they went: every job extending a
   * template asks for the same template keys. A kept result is used only where searching again
   * would stay within the depth bound, so it is the result a new search would give.
   */
  private readonly memo = new Map<string, { range: SourceRange | undefined; reach: number }>();
  private deepest = 0;

  constructor(
    private readonly definitions: ReadonlyMap<string, readonly GitlabFile[]>,
    private readonly parents: ReadonlyMap<string, readonly string[]>,
    private readonly rootFile: string,
  ) {}

  /** Depth-first through the defining files, then the parents (an extends cycle ends at depth 12). */
  private search(key: string, path: Path, kind: 'value' | 'key', depth: number): SourceRange | undefined {
    if (depth > 12) {
      if (depth > this.deepest) this.deepest = depth;
      return undefined;
    }
    let memoKey: string | undefined;
    if (depth > 0) {
      memoKey = `${kind}${key.length}:${key}`;
      for (const segment of path) memoKey += typeof segment === 'number' ? `n${segment};` : `s${segment.length}:${segment}`;
      const known = this.memo.get(memoKey);
      if (known && depth + known.reach <= 12) return known.range;
    }
    const outer = this.deepest;
    this.deepest = depth;
    const range = this.searchHere(key, path, kind, depth);
    if (memoKey !== undefined && this.deepest <= 12) this.memo.set(memoKey, { range, reach: this.deepest - depth });
    if (outer > this.deepest) this.deepest = outer;
    return range;
  }

  private searchHere(key: string, path: Path, kind: 'value' | 'key', depth: number): SourceRange | undefined {
    const files = this.definitions.get(key);
    if (files) {
      const full = [key, ...path];
      for (let i = files.length - 1; i >= 0; i--) {
        const f = files[i]!;
        const r = kind === 'key' ? f.yaml.keyRangeOf(full) ?? f.yaml.rangeOf(full) : f.yaml.rangeOf(full);
        if (r) return r;
      }
    }
    const parents = this.parents.get(key);
    if (parents) {
      for (let i = parents.length - 1; i >= 0; i--) {
        const r = this.search(parents[i]!, path, kind, depth + 1);
        if (r) return r;
      }
    }
    return undefined;
  }

  /** The value at `path` under the top-level `key`; falls back to the nearest written ancestor. */
  range(key: string, path: Path = []): SourceRange {
    return this.search(key, path, 'value', 0) ?? (path.length > 0 && key !== 'default' && gitlabDefaultKeywords.includes(String(path[0])) ? this.search('default', path, 'value', 0) : undefined) ?? this.nearest(key, path);
  }

  keyRange(key: string, path: Path = []): SourceRange {
    return this.search(key, path, 'key', 0) ?? this.nearest(key, path);
  }

  private nearest(key: string, path: Path): SourceRange {
    for (let n = path.length - 1; n >= 0; n--) {
      const r = this.search(key, path.slice(0, n), n === 0 ? 'key' : 'value', 0);
      if (r) return r;
    }
    const f = this.definitions.get(key)?.at(-1);
    return f ? f.yaml.nearestRangeOf([key]) : { file: this.rootFile, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 };
  }

  /** From the key of a job to the end of its value, in the file that wins. */
  definition(key: string): SourceRange {
    const f = this.definitions.get(key)?.at(-1);
    const k = f?.yaml.keyRangeOf([key]);
    const v = f?.yaml.rangeOf([key]);
    if (k && v) return { file: k.file, startLine: k.startLine, startColumn: k.startColumn, endLine: v.endLine, endColumn: v.endColumn };
    return k ?? this.nearest(key, []);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function diag(severity: Severity, code: string, message: string, range: SourceRange): Diagnostic {
  return { severity, code, message, file: range.file, line: range.startLine, column: range.startColumn, endLine: range.endLine, endColumn: range.endColumn };
}

/** Parses the GitLab pipeline rooted at `input.file` for `input.context`. Never throws for bad input. */
export function parseGitlabPipeline(input: GitlabParseInput): GitlabPipeline {
  const { context, source } = input;
  const diagnostics: Diagnostic[] = [];
  const predefined = gitlabPredefinedVariables(context);
  const contextVars = plainVariables(context.variables);
  const predefinedVars = plainVariables(predefined);
  const ref = refName(context);
  const baseLookup = (name: string): string | undefined => context.variables?.[name] ?? predefined[name];
  const environment = (lookup: (name: string) => string | undefined): RuleEnvironment => ({
    lookup,
    exists: (patterns) => patterns.some((p) => source.glob(p, 'fnmatch').length > 0),
    changes: (patterns) => changesMatch(patterns, context.changedFiles),
  });

  const included = resolveIncludes(input.file, input.text, {
    source,
    env: environment(baseLookup),
    ...(input.limits ? { limits: input.limits } : {}),
    ...(input.maxIncludes !== undefined ? { maxIncludes: input.maxIncludes } : {}),
  });
  diagnostics.push(...included.diagnostics);
  const empty = (name: string): GitlabPipeline => ({
    format: 'gitlab',
    file: input.file,
    name,
    stages: [],
    jobs: [],
    variables: {},
    diagnostics,
    created: false,
    includedFiles: included.files.map((f) => f.file),
    predefinedVariables: predefined,
  });
  if (!included.config) return empty(input.file);

  // extends, then !reference (GitLab's order)
  const resolveProblems: ResolveProblem[] = [];
  const extended = resolveExtends(included.config, resolveProblems);
  // Without a `!reference` tag in any file there is nothing to resolve (and no value to scan for one).
  const config = included.files.some((f) => f.yaml.references > 0) ? resolveReferences(extended.config, resolveProblems) : extended.config;
  const locator = new Locator(included.definitions, extended.parents, input.file);
  for (const p of resolveProblems) diagnostics.push(diag('error', p.code, p.message, locator.range(p.key, p.path)));

  const at = (key: string, path: Path = []): SourceRange => locator.range(key, path);
  const keyAt = (key: string, path: Path = []): SourceRange => locator.keyRange(key, path);

  // stages
  let stageList = defaultStages;
  const stagesKey = has(config, 'stages') ? 'stages' : has(config, 'types') ? 'types' : undefined;
  if (stagesKey) {
    const raw = get(config, stagesKey);
    if (!Array.isArray(raw) || raw.some((s) => scalarText(s) === undefined)) {
      diagnostics.push(diag('error', 'gitlab-invalid-stages', `${stagesKey} must be a list of stage names.`, at(stagesKey)));
    } else {
      stageList = raw.map((s) => scalarText(s)!);
    }
  }
  const stages = ['.pre', ...stageList.filter((s) => s !== '.pre' && s !== '.post'), '.post'];

  // global variables (workflow:rules:variables are added below)
  const variableProblems: VariableProblem[] = [];
  let globalVars: Map<string, GitlabVariable> = readVariables(get(config, 'variables'), variableProblems);
  for (const p of variableProblems.splice(0)) diagnostics.push(diag('error', 'gitlab-invalid-variables', p.message, at('variables', p.key ? [p.key] : [])));

  // workflow
  let created = true;
  let pipelineName = input.file;
  const workflow = get(config, 'workflow');
  if (workflow !== undefined && workflow !== null) {
    if (!isMap(workflow)) {
      diagnostics.push(diag('error', 'gitlab-invalid-workflow', 'workflow must be a mapping (rules, name).', at('workflow')));
    } else {
      for (const key of Object.keys(workflow)) {
        if (!workflowKeys.includes(key)) diagnostics.push(diag('warning', 'unknown-key', `Unknown key '${key}' in workflow.`, keyAt('workflow', [key])));
      }
      if (has(workflow, 'rules')) {
        const lookupWorkflow = (name: string): string | undefined => context.variables?.[name] ?? globalVars.get(name)?.value ?? predefined[name];
        const problems: RuleProblem[] = [];
        const match = matchRules(get(workflow, 'rules'), environment(lookupWorkflow), problems);
        for (const p of problems) diagnostics.push(diag(p.severity, p.code, p.message, at('workflow', p.path)));
        if (match.index === undefined || match.when === 'never') {
          created = false;
          const why = match.index === undefined ? 'no workflow rule matches' : `workflow rule ${match.index + 1} says never`;
          diagnostics.push(diag('info', 'gitlab-workflow-no-pipeline', `GitLab would not create this pipeline for ${context.tag !== undefined ? `tag ${ref}` : `branch ${ref}`} (${context.pipelineSource}): ${why}.`, at('workflow', ['rules'])));
        } else if (match.variables !== undefined) {
          const extra = readVariables(match.variables, variableProblems);
          for (const p of variableProblems.splice(0)) diagnostics.push(diag('error', 'gitlab-invalid-variables', p.message, at('workflow', ['rules', match.index, 'variables'])));
          globalVars = layerVariables(globalVars, extra);
        }
      }
      const name = scalarText(get(workflow, 'name'));
      if (name !== undefined) pipelineName = expandServer(name, (n) => context.variables?.[n] ?? globalVars.get(n)?.value ?? predefined[n]);
    }
  }

  // default:
  const defaults = get(config, 'default');
  const defaultMap: YamlMap = isMap(defaults) ? defaults : {};
  if (defaults !== undefined && defaults !== null && !isMap(defaults)) diagnostics.push(diag('error', 'gitlab-invalid-default', 'default must be a mapping of job keywords.', at('default')));
  for (const key of Object.keys(defaultMap)) {
    if (!gitlabDefaultKeywords.includes(key)) diagnostics.push(diag('warning', 'unknown-key', `'${key}' cannot be set in default: (only ${gitlabDefaultKeywords.join(', ')}).`, keyAt('default', [key])));
  }
  const legacy: YamlMap = {};
  for (const key of legacyGlobalDefaults) if (has(config, key)) legacy[key] = get(config, key);

  // per-pipeline caches (see cachedVariables and the functions after it)
  const variablesRead = new Map<unknown, VariablesRead>();
  const rulesRead = new Map<unknown, { names: readonly string[]; outcomes: Map<string, RulesOutcome> }>();
  const rawVariablesMade = new Map<VariableMap, Map<VariableMap, Record<string, string>>>();
  const mainLinesMade = new Map<string[] | undefined, Map<string[] | undefined, { lines: string[]; text: string }>>();
  const joined = new Map<string[], string>();
  const scriptsRead = new Map<unknown, string[]>();
  const stringListsRead = new Map<unknown[], string[]>();
  let defaultOnlyResult: boolean | undefined;

  // jobs
  const drafts: Draft[] = [];
  let allInheritAll = true;
  for (const key of Object.keys(config)) {
    if (globalKeywords.has(key) || key.startsWith('.')) continue;
    const job = get(config, key);
    if (!isMap(job)) {
      diagnostics.push(diag('error', 'gitlab-invalid-job', `Job '${key}' must be a mapping of keywords, not ${describeValue(job)}.`, keyAt(key)));
      continue;
    }
    drafts.push(...buildJob(key, job));
  }
  if (drafts.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
    diagnostics.push(diag('error', 'gitlab-no-jobs', 'The configuration defines no jobs (keys starting with a dot are hidden templates).', { file: input.file, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 }));
  }

  const created_ = new Set<string>();
  const createdDefinitions = new Set<string>();
  const allNames = new Set<string>();
  const allDefinitions = new Set<string>();
  for (const d of drafts) {
    allNames.add(d.instance.name);
    allDefinitions.add(d.instance.definition);
    if (d.when !== 'never') {
      created_.add(d.instance.name);
      createdDefinitions.add(d.instance.definition);
    }
  }

  // `needs` is added last, in place: the model keeps its key order and no job object is copied.
  const jobs: Job[] = new Array<Job>(drafts.length);
  const idsByStage = new Map<string, string[]>();
  for (let i = 0; i < drafts.length; i++) {
    const d = drafts[i]!;
    const job = d.job as Mutable<Job>;
    job.needs = d.hasNeeds ? resolveNeeds(d) : null;
    jobs[i] = job;
    const ids = idsByStage.get(job.stage);
    if (ids) ids.push(job.id);
    else idsByStage.set(job.stage, [job.id]);
  }
  const stageModels: Stage[] = [];
  const known = new Set(stages);
  for (const name of stages) {
    const ids = idsByStage.get(name);
    if (ids) stageModels.push({ name, jobs: ids.slice() });
  }
  // Stages no job list names (already reported), in the order jobs first use them.
  for (const [name, ids] of idsByStage) if (!known.has(name)) stageModels.push({ name, jobs: ids });
  return {
    format: 'gitlab',
    file: input.file,
    name: pipelineName,
    stages: stageModels,
    jobs,
    // What every job sees of the global variables (a job with inherit:variables sees less: its own job.variables say it).
    variables: rawVariables(allInheritAll ? globalVars : new Map(), contextVars),
    diagnostics,
    created,
    includedFiles: included.files.map((f) => f.file),
    predefinedVariables: predefined,
  };

  // -------------------------------------------------------------------------------------------

  function report(severity: Severity, code: string, message: string, key: string, path: Path = []): void {
    diagnostics.push(diag(severity, code, message, at(key, path)));
  }

  function buildJob(name: string, raw: YamlMap): Draft[] {
    for (const key in raw) {
      if (!jobKeywordSet.has(key) && has(raw, key)) {
        diagnostics.push(diag('warning', 'unknown-key', `Unknown key '${key}' in job '${name}'${suggest(key)}.`, keyAt(name, [key])));
      }
    }
    const job = applyDefaults(name, raw);

    // stage
    let stage = 'test';
    const stageRaw = has(job, 'stage') ? get(job, 'stage') : get(job, 'type');
    if (stageRaw !== undefined && stageRaw !== null) {
      const s = scalarText(stageRaw);
      if (s === undefined) report('error', 'gitlab-invalid-stage', `The stage of job '${name}' must be a name.`, name, ['stage']);
      else stage = s;
    }
    if (!stages.includes(stage)) {
      report('error', 'gitlab-unknown-stage', `Job '${name}' uses stage '${stage}', which is not defined; stages are ${stages.join(', ')}.`, name, [has(job, 'stage') ? 'stage' : 'type']);
    }

    // script
    const hasTrigger = has(job, 'trigger');
    const hasRun = has(job, 'run');
    const script = readScript(name, job, 'script');
    const before = readScript(name, job, 'before_script');
    const after = readScript(name, job, 'after_script');
    if (!hasTrigger && !hasRun && (script === undefined || script.length === 0)) {
      report('error', 'empty-job', `Job '${name}' has no script: (GitLab requires script, run or trigger).`, name, has(job, 'script') ? ['script'] : []);
    }
    if (has(job, 'rules') && (has(job, 'only') || has(job, 'except'))) {
      report('error', 'gitlab-rules-with-only', `Job '${name}' uses rules together with only/except; GitLab does not allow both (rules are used here).`, name, ['rules']);
    }

    // when
    let jobWhen: When = 'on_success';
    if (has(job, 'when')) {
      const w = get(job, 'when');
      if (!isWhen(w)) report('error', 'gitlab-invalid-when', `when must be one of ${whenValues.filter((v) => v !== 'never').join(', ')}.`, name, ['when']);
      else if (w === 'never' && !has(job, 'rules')) {
        report('error', 'gitlab-invalid-when', `Job '${name}': when: never is only allowed in rules and workflow:rules.`, name, ['when']);
        jobWhen = 'never';
      } else jobWhen = w;
    }

    const own = cachedVariables(get(job, 'variables'));
    const ownVars = own.vars;
    for (const p of own.problems) report('error', 'gitlab-invalid-variables', p.message, name, p.key ? ['variables', p.key] : ['variables']);
    const inherited = inheritedGlobals(name, raw);

    const stepList: Step[] = [];
    const main = mainLines(before, script);
    if (main) stepList.push({ name: 'script', kind: 'script', script: main.text, lines: main.lines, phase: 'main', range: at(name, ['script']) });
    if (hasTrigger) {
      const t = get(job, 'trigger');
      const target = scalarText(t) ?? (isMap(t) ? scalarText(get(t, 'project')) ?? (has(t, 'include') ? 'child pipeline' : undefined) : undefined) ?? 'downstream pipeline';
      stepList.push({ name: 'trigger', kind: 'uses', uses: `trigger: ${target}`, phase: 'main', range: at(name, ['trigger']) });
    } else if (hasRun && !main) {
      stepList.push({ name: 'run', kind: 'uses', uses: 'run: GitLab CI steps', phase: 'main', range: at(name, ['run']) });
    }
    if (after && after.length > 0) stepList.push({ name: 'after_script', kind: 'script', script: joinedLines(after), lines: after, phase: 'after', range: at(name, ['after_script']) });

    const retry = readRetry(name, job);
    const timeoutSeconds = readDuration(name, job, 'timeout');
    const tags = readStringList(name, job, 'tags');
    const artifacts = readArtifacts(job);
    const source = locator.definition(name);

    const hasRules = has(job, 'rules');
    const rules = hasRules ? get(job, 'rules') : undefined;
    // Without only/except a job has GitLab's default `only: [branches, tags]`, the same for every job.
    const defaultOnly = !hasRules && !has(job, 'only') && !has(job, 'except');
    const allowFailureJob: unknown = get(job, 'allow_failure');
    const needsJob = get(job, 'needs');
    const hasNeedsJob = has(job, 'needs');
    const startInJob: unknown = get(job, 'start_in');
    const instances = expandParallel(name, job);
    const out: Draft[] = new Array<Draft>(instances.length);
    for (let k = 0; k < instances.length; k++) {
      const instance = instances[k]!;
      const first = k === 0;
      // Predefined variables are layered under the YAML ones for rules and expansion; the plan's
      // job.variables keep only what the YAML (and the pipeline's own variables) say, raw, since
      // the runner sets the predefined ones itself and expands once.
      const nodeVars = instance.nodeIndex !== undefined ? plainVariables({ CI_NODE_INDEX: String(instance.nodeIndex), CI_NODE_TOTAL: String(instance.nodeTotal) }) : undefined;
      const matrixVars = instance.matrix ? plainVariables(instance.matrix) : undefined;
      let ruleVars: VariableMap | undefined;
      const lookup = variableResolver(new InstanceVariables(predefinedVars, instance.name, stage, nodeVars, inherited, ownVars, matrixVars, undefined, contextVars));

      let when: When = jobWhen;
      let allowFailureRaw: unknown = allowFailureJob;
      // A job-level `when: manual` makes allow_failure default to true, also with rules; `rules:when: manual` does not.
      const allowFailureDefault = jobWhen === 'manual';
      let rawNeeds = needsJob;
      let hasNeeds = hasNeedsJob;
      let needsPath: Path = ['needs'];
      let startIn: unknown = startInJob;
      let condition: string | undefined;
      let problems: readonly RuleProblem[] = noProblems;
      if (hasRules) {
        const outcome = evaluateRules(rules, lookup, first);
        const match = outcome.match;
        problems = outcome.problems;
        if (match.index === undefined) {
          when = 'never';
        } else {
          when = match.when ?? jobWhen;
          condition = match.condition;
          if (match.allowFailure !== undefined) {
            allowFailureRaw = match.allowFailure;
          }
          if (match.variables !== undefined) {
            const extra = cachedVariables(match.variables);
            for (const p of extra.problems) report('error', 'gitlab-invalid-variables', p.message, name, ['rules', match.index, 'variables']);
            ruleVars = extra.vars;
          }
          if (match.hasNeeds) {
            rawNeeds = match.needs;
            hasNeeds = true;
            needsPath = ['rules', match.index, 'needs'];
          }
          if (match.startIn !== undefined) startIn = match.startIn;
        }
      } else if (defaultOnly) {
        if (!defaultOnlyMatches()) when = 'never';
      } else {
        const found: RuleProblem[] = [];
        problems = found;
        if (!matchOnlyExcept(job, context, ref, environment(lookup), found)) when = 'never';
      }
      // Problems in rules are the same for every instance: report them once.
      if (first) for (const p of problems) report(p.severity, p.code, p.message, name, p.path);

      const { allowFailure, exitCodes } = readAllowFailure(name, allowFailureRaw, allowFailureDefault);
      if (when === 'delayed' && parseGitlabDuration(startIn) === undefined) {
        report('error', 'gitlab-invalid-start-in', `Job '${name}' is delayed but has no valid start_in (such as "30 minutes").`, name, has(job, 'start_in') ? ['start_in'] : ['when']);
      }
      const variables = nodeVars || matrixVars || ruleVars ? rawVariables(inherited, ownVars, nodeVars, matrixVars, ruleVars, contextVars) : sharedRawVariables(inherited, ownVars);
      const serverLookup = ruleVars ? variableResolver(new InstanceVariables(predefinedVars, instance.name, stage, nodeVars, inherited, ownVars, matrixVars, ruleVars, contextVars)) : lookup;
      const env = readEnvironment(name, job, serverLookup);
      const image = readImage(name, job, serverLookup);
      const services = readServices(name, job, serverLookup);
      const startInSeconds = when === 'delayed' ? parseGitlabDuration(startIn) : undefined;

      // Optional fields are set only when present (a plain object, no spreads: this runs for every job).
      const model: Mutable<Omit<Job, 'needs'>> = {
        id: `${input.file}#${instance.name}`,
        name: instance.name,
        definition: name,
        stage,
        matrix: instance.matrix,
        when,
        allowFailure,
        retry,
        variables,
        steps: stepList,
        source,
      };
      if (condition !== undefined) model.condition = condition;
      if (exitCodes) model.allowFailureExitCodes = exitCodes;
      if (timeoutSeconds !== undefined) model.timeoutSeconds = timeoutSeconds;
      if (env) model.environment = env;
      if (image !== undefined) model.image = image;
      if (services) model.services = services;
      if (artifacts) model.artifacts = artifacts;
      if (tags) model.tags = tags;
      if (startInSeconds !== undefined) model.startInSeconds = startInSeconds;
      out[k] = { instance, when, rawNeeds, hasNeeds, needsPath, job: model };
    }
    return out;
  }

  // Per-pipeline caches. Jobs that extend one template share its values by reference (extends
  // copies mappings, not the lists and scalars in them), so each distinct value is read once.

  function cachedVariables(value: unknown): VariablesRead {
    let entry = variablesRead.get(value);
    if (!entry) {
      const problems: VariableProblem[] = [];
      entry = { vars: readVariables(value, problems), problems };
      variablesRead.set(value, entry);
    }
    return entry;
  }

  /** A job's rules for its variables: evaluated once per distinct value of the variables they read. */
  function evaluateRules(rules: unknown, lookup: (name: string) => string | undefined, checkKeys: boolean): RulesOutcome {
    let entry = rulesRead.get(rules);
    if (!entry) {
      entry = { names: ruleVariableNames(rules), outcomes: new Map() };
      rulesRead.set(rules, entry);
    }
    let key = checkKeys ? 'k' : '-';
    for (const variable of entry.names) {
      const value = lookup(variable);
      key += value === undefined ? '|' : `${value.length}:${value}`;
    }
    let outcome = entry.outcomes.get(key);
    if (!outcome) {
      const problems: RuleProblem[] = [];
      const match = matchRules(rules, environment(lookup), problems, ['rules'], checkKeys);
      outcome = { match, problems };
      entry.outcomes.set(key, outcome);
    }
    return outcome;
  }

  function defaultOnlyMatches(): boolean {
    defaultOnlyResult ??= matchOnlyExcept({}, context, ref, environment(baseLookup), []);
    return defaultOnlyResult;
  }

  /** job.variables of a job without parallel, matrix or rules variables: one object per distinct pair of layers. */
  function sharedRawVariables(inherited: VariableMap, own: VariableMap): Record<string, string> {
    let byOwn = rawVariablesMade.get(inherited);
    if (!byOwn) rawVariablesMade.set(inherited, (byOwn = new Map()));
    let made = byOwn.get(own);
    if (!made) byOwn.set(own, (made = rawVariables(inherited, own, undefined, undefined, undefined, contextVars)));
    return made;
  }

  /** before_script + script as one step's lines and text, made once per distinct pair of lists. */
  function mainLines(before: string[] | undefined, script: string[] | undefined): { lines: string[]; text: string } | undefined {
    if ((before === undefined || before.length === 0) && (script === undefined || script.length === 0)) return undefined;
    let byScript = mainLinesMade.get(before);
    if (!byScript) mainLinesMade.set(before, (byScript = new Map()));
    let made = byScript.get(script);
    if (!made) {
      const lines = [...(before ?? []), ...(script ?? [])];
      made = { lines, text: lines.join('\n') };
      byScript.set(script, made);
    }
    return made;
  }

  function joinedLines(lines: string[]): string {
    let text = joined.get(lines);
    if (text === undefined) joined.set(lines, (text = lines.join('\n')));
    return text;
  }

  function suggest(key: string): string {
    const near = gitlabJobKeywords.find((k) => k !== key && editDistance(k, key) <= 2);
    return near ? `; did you mean '${near}'?` : '';
  }

  function applyDefaults(name: string, raw: YamlMap): YamlMap {
    const inherit = get(raw, 'inherit');
    let allowed: (key: string) => boolean = () => true;
    if (inherit !== undefined) {
      if (!isMap(inherit)) report('error', 'gitlab-invalid-inherit', 'inherit must be a mapping (default, variables).', name, ['inherit']);
      else {
        const d = get(inherit, 'default');
        if (d === false) allowed = () => false;
        else if (Array.isArray(d)) {
          const list = d.map((x) => scalarText(x));
          allowed = (k) => list.includes(k);
        } else if (d !== undefined && d !== true) report('error', 'gitlab-invalid-inherit', 'inherit:default must be true, false or a list of keywords.', name, ['inherit', 'default']);
        for (const k of Object.keys(inherit)) if (k !== 'default' && k !== 'variables') report('warning', 'unknown-key', `Unknown key '${k}' in inherit.`, name, ['inherit', k]);
      }
    }
    let out: YamlMap | undefined;
    for (const key of gitlabDefaultKeywords) {
      if (has(raw, key) || !allowed(key)) continue;
      const value = has(defaultMap, key) ? get(defaultMap, key) : has(legacy, key) ? get(legacy, key) : undefined;
      if (value === undefined) continue;
      out ??= copyMap(raw);
      out[key] = value;
    }
    return out ?? raw;
  }

  function inheritedGlobals(name: string, raw: YamlMap): VariableMap {
    const inherit = get(raw, 'inherit');
    const v = isMap(inherit) ? get(inherit, 'variables') : undefined;
    if (v === undefined || v === true) return globalVars;
    allInheritAll = false;
    if (v === false) return new Map();
    if (Array.isArray(v)) {
      const keep = new Set(v.map((x) => scalarText(x)));
      return new Map([...globalVars].filter(([k]) => keep.has(k)));
    }
    report('error', 'gitlab-invalid-inherit', 'inherit:variables must be true, false or a list of variable names.', name, ['inherit', 'variables']);
    return globalVars;
  }

  function readScript(name: string, job: YamlMap, key: string): string[] | undefined {
    if (!has(job, key)) return undefined;
    const raw = get(job, key);
    if (raw === null || raw === undefined) return [];
    // Lists shared through extends are read once (a list with a problem is read again, to report it for each job).
    const known = scriptsRead.get(raw);
    if (known) return known;
    const items = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? flatten(raw) : undefined;
    if (!items) {
      report('error', 'gitlab-invalid-script', `${key} of job '${name}' must be a command or a list of commands.`, name, [key]);
      return [];
    }
    const out: string[] = [];
    let problem = false;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const text = typeof item === 'string' ? item : typeof item === 'number' || typeof item === 'boolean' ? String(item) : undefined;
      if (text === undefined) {
        if (item !== undefined) {
          report('error', 'gitlab-invalid-script', `Each line of ${key} must be a string (job '${name}').`, name, [key, i]);
          problem = true;
        }
      } else out.push(text);
    }
    if (!problem) scriptsRead.set(raw, out);
    return out;
  }

  function readRetry(name: string, job: YamlMap): number {
    if (!has(job, 'retry')) return 0;
    const raw = get(job, 'retry');
    const max = isMap(raw) ? get(raw, 'max') : raw;
    if (max === undefined && isMap(raw)) return 0;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > 2) {
      report('error', 'gitlab-invalid-retry', `retry of job '${name}' must be 0, 1 or 2.`, name, isMap(raw) ? ['retry', 'max'] : ['retry']);
      return typeof max === 'number' && Number.isFinite(max) ? Math.min(2, Math.max(0, Math.floor(max))) : 0;
    }
    return max;
  }

  function readDuration(name: string, job: YamlMap, key: string): number | undefined {
    if (!has(job, key) || get(job, key) === null) return undefined;
    const seconds = parseGitlabDuration(get(job, key));
    if (seconds === undefined) report('error', `gitlab-invalid-${key.replace('_', '-')}`, `${key} of job '${name}' is not a duration (such as "1h 30m").`, name, [key]);
    return seconds;
  }

  function readStringList(name: string, job: YamlMap, key: string): string[] | undefined {
    if (!has(job, key)) return undefined;
    const raw = get(job, key);
    if (raw === null) return [];
    if (!Array.isArray(raw)) {
      report('error', `gitlab-invalid-${key}`, `${key} of job '${name}' must be a list.`, name, [key]);
      return undefined;
    }
    let list = stringListsRead.get(raw);
    if (!list) {
      list = [];
      for (const x of flatten(raw)) {
        const text = scalarText(x);
        if (text !== undefined) list.push(text);
      }
      stringListsRead.set(raw, list);
    }
    return list;
  }

  function readArtifacts(job: YamlMap): { paths: string[] } | undefined {
    const a = get(job, 'artifacts');
    if (!isMap(a)) return undefined;
    const paths = get(a, 'paths');
    return { paths: Array.isArray(paths) ? flatten(paths).map((p) => scalarText(p)).filter((p): p is string => p !== undefined) : [] };
  }

  function readAllowFailure(name: string, raw: unknown, fallback: boolean): { allowFailure: boolean; exitCodes?: number[] } {
    if (raw === undefined || raw === null) return { allowFailure: fallback };
    if (typeof raw === 'boolean') return { allowFailure: raw };
    if (isMap(raw) && has(raw, 'exit_codes')) {
      const codes = [get(raw, 'exit_codes')].flat();
      if (codes.every((c) => typeof c === 'number' && Number.isInteger(c))) return { allowFailure: false, exitCodes: codes as number[] };
    }
    report('error', 'gitlab-invalid-allow-failure', `allow_failure of job '${name}' must be true, false or {exit_codes: [...]}.`, name, ['allow_failure']);
    return { allowFailure: fallback };
  }

  function readEnvironment(name: string, job: YamlMap, lookup: (n: string) => string | undefined): Environment | undefined {
    if (!has(job, 'environment')) return undefined;
    const raw = get(job, 'environment');
    const envName = isMap(raw) ? scalarText(get(raw, 'name')) : scalarText(raw);
    if (envName === undefined) {
      report('error', 'gitlab-invalid-environment', `environment of job '${name}' needs a name.`, name, ['environment']);
      return undefined;
    }
    const action = isMap(raw) ? scalarText(get(raw, 'action')) : undefined;
    if (action !== undefined && !['start', 'prepare', 'stop', 'verify', 'access'].includes(action)) {
      report('error', 'gitlab-invalid-environment', `environment:action must be start, prepare, stop, verify or access.`, name, ['environment', 'action']);
    }
    const url = isMap(raw) ? scalarText(get(raw, 'url')) : undefined;
    return {
      name: expandServer(envName, lookup),
      ...(action !== undefined ? { action } : {}),
      ...(url !== undefined ? { url: expandServer(url, lookup) } : {}),
    };
  }

  function readImage(name: string, job: YamlMap, lookup: (n: string) => string | undefined): string | undefined {
    if (!has(job, 'image')) return undefined;
    const raw = get(job, 'image');
    const text = isMap(raw) ? scalarText(get(raw, 'name')) : scalarText(raw);
    if (text === undefined) {
      if (raw !== null) report('error', 'gitlab-invalid-image', `image of job '${name}' must be a name or {name: ...}.`, name, ['image']);
      return undefined;
    }
    return expandServer(text, lookup);
  }

  function readServices(name: string, job: YamlMap, lookup: (n: string) => string | undefined): string[] | undefined {
    if (!has(job, 'services')) return undefined;
    const raw = get(job, 'services');
    if (raw === null) return [];
    if (!Array.isArray(raw)) {
      report('error', 'gitlab-invalid-services', `services of job '${name}' must be a list.`, name, ['services']);
      return undefined;
    }
    const out: string[] = [];
    raw.forEach((s, i) => {
      const text = isMap(s) ? scalarText(get(s, 'name')) : scalarText(s);
      if (text === undefined) report('error', 'gitlab-invalid-services', 'Each service must be a name or {name: ...}.', name, ['services', i]);
      else out.push(expandServer(text, lookup));
    });
    return out;
  }

  function expandParallel(name: string, job: YamlMap): Instance[] {
    const one = (): Instance[] => [{ definition: name, name, matrix: null }];
    if (!has(job, 'parallel') || get(job, 'parallel') === null) return one();
    const raw = get(job, 'parallel');
    let out: Instance[];
    if (typeof raw === 'number') {
      if (!Number.isInteger(raw) || raw < 1 || raw > 200) {
        report('error', 'gitlab-invalid-parallel', `parallel of job '${name}' must be a whole number from 1 to 200.`, name, ['parallel']);
        return one();
      }
      out = Array.from({ length: raw }, (_, i) => ({ definition: name, name: `${name} ${i + 1}/${raw}`, matrix: null, nodeIndex: i + 1, nodeTotal: raw }));
    } else if (isMap(raw) && Array.isArray(get(raw, 'matrix'))) {
      const combos = matrixCombinations(get(raw, 'matrix') as unknown[], (message, path) => report('error', 'gitlab-invalid-parallel', message, name, ['parallel', 'matrix', ...path]));
      if (combos.length === 0) return one();
      if (combos.length > 200) {
        report('error', 'gitlab-invalid-parallel', `parallel:matrix of job '${name}' makes ${combos.length} jobs; GitLab allows at most 200.`, name, ['parallel', 'matrix']);
        combos.length = 200;
      }
      out = combos.map((values, i) => ({ definition: name, name: matrixJobName(name, Object.values(values)), matrix: values, nodeIndex: i + 1, nodeTotal: combos.length }));
    } else {
      report('error', 'gitlab-invalid-parallel', `parallel of job '${name}' must be a number or {matrix: [...]}.`, name, ['parallel']);
      return one();
    }
    return out;
  }

  function resolveNeeds(d: Draft): Need[] {
    const name = d.instance.definition;
    const raw = d.rawNeeds;
    if (raw === null || raw === undefined) return [];
    if (!Array.isArray(raw)) {
      report('error', 'gitlab-invalid-needs', `needs of job '${name}' must be a list.`, name, d.needsPath);
      return [];
    }
    const out: Need[] = [];
    const matrixOf = d.instance.matrix ?? {};
    const expandMatrix = (text: string): string =>
      text.includes('$')
        ? text.replace(/\$\[\[\s*matrix\.([A-Za-z_][A-Za-z0-9_]*)\s*\]\]|\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, a?: string, b?: string) => {
            const key = (a ?? b)!;
            return Object.prototype.hasOwnProperty.call(matrixOf, key) ? matrixOf[key]! : m;
          })
        : text;
    flatten(raw).forEach((entry, i) => {
      const path = [...d.needsPath, i];
      let job: string | undefined;
      let optional = false;
      let artifacts = true;
      let names: string[] | undefined;
      if (typeof entry === 'string') {
        job = expandMatrix(entry);
      } else if (isMap(entry)) {
        if (has(entry, 'pipeline') || has(entry, 'project')) {
          report('info', 'gitlab-need-not-resolved', `needs:${has(entry, 'project') ? 'project' : 'pipeline'} refers to another pipeline; it is not part of this plan.`, name, path);
          return;
        }
        job = scalarText(get(entry, 'job'));
        if (job !== undefined) job = expandMatrix(job);
        optional = get(entry, 'optional') === true;
        artifacts = get(entry, 'artifacts') !== false;
        const parallel = get(entry, 'parallel');
        if (job !== undefined && isMap(parallel) && Array.isArray(get(parallel, 'matrix'))) {
          const matrix = (get(parallel, 'matrix') as unknown[]).map((m) => {
            if (!isMap(m)) return m;
            const copy: YamlMap = {};
            for (const k of Object.keys(m)) copy[k] = Array.isArray(m[k]) ? (m[k] as unknown[]).map((v) => (typeof v === 'string' ? expandMatrix(v) : v)) : typeof m[k] === 'string' ? expandMatrix(m[k] as string) : m[k];
            return copy;
          });
          const combos = matrixCombinations(matrix, (message, p) => report('error', 'gitlab-invalid-needs', message, name, [...path, 'parallel', 'matrix', ...p]));
          const base = job;
          names = combos.map((c) => matrixJobName(base, Object.values(c)));
        }
      }
      if (job === undefined) {
        report('error', 'gitlab-invalid-needs', `Each need of job '${name}' must be a job name or {job: ...}.`, name, path);
        return;
      }
      for (const target of names ?? [job]) {
        const exists = allNames.has(target) || allDefinitions.has(target);
        const isCreated = created_.has(target) || createdDefinitions.has(target);
        if (!isCreated) {
          if (optional) continue; // GitLab drops an optional need whose job is not in the pipeline
          if (exists && d.when !== 'never') {
            report('error', 'gitlab-need-not-created', `Job '${d.instance.name}' needs '${target}', which is not in this pipeline (its rules or only/except exclude it); mark the need optional: true or align the rules.`, name, path);
          }
        }
        out.push({ job: target, optional, artifacts });
      }
    });
    return out;
  }
}

/** GitLab's name of a matrix instance: `job: [v1, v2]`. */
export function matrixJobName(job: string, values: readonly string[]): string {
  return `${job}: [${values.join(', ')}]`;
}

/** The combinations of a `parallel:matrix` list, first key varying slowest, values as text. */
export function matrixCombinations(matrix: readonly unknown[], report: (message: string, path: (string | number)[]) => void): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  matrix.forEach((entry, i) => {
    if (!isMap(entry) || Object.keys(entry).length === 0) {
      report('Each parallel:matrix entry must be a mapping of VARIABLE: value or [values].', [i]);
      return;
    }
    const keys = Object.keys(entry);
    const lists: string[][] = [];
    for (const key of keys) {
      const raw = entry[key];
      const values = (Array.isArray(raw) ? raw : [raw]).map((v) => scalarText(v));
      if (values.length === 0 || values.some((v) => v === undefined)) {
        report(`parallel:matrix values of ${key} must be strings, numbers or a list of them.`, [i, key]);
        return;
      }
      lists.push(values as string[]);
    }
    let combos: Record<string, string>[] = [{}];
    keys.forEach((key, k) => {
      const next: Record<string, string>[] = [];
      for (const c of combos) for (const v of lists[k]!) next.push({ ...c, [key]: v });
      combos = next.length > 1000 ? next.slice(0, 1000) : next;
    });
    out.push(...combos);
  });
  return out;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 40 || b.length > 40) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
