/**
 * GitHub Actions workflows (`.github/workflows/*.yml`) into the plan model: jobs, needs,
 * strategy.matrix (include/exclude, GitHub's instance names), `if` (status functions
 * evaluated), steps, env, defaults.run, environment, services, timeouts, continue-on-error, and
 * local reusable workflows (`uses: ./.github/workflows/x.yml`, four levels of workflows at most).
 *
 * GitHub has no stages. The plan's stages are the levels of the needs graph: a job with no
 * needs is in `level 1`, a job is one level below the deepest job it needs.
 */
import { OpsloopError } from '../../errors';
import type { Diagnostic, Environment, Job, Need, Pipeline, SourceRange, Stage, Step, When } from '../model';
import {
  child,
  diagnosticAt,
  displayText,
  entries,
  firstLine,
  isMap,
  items,
  keyRangeOfNode,
  normalizeRelativePath,
  rangeOfNode,
  type ReadWorkspaceFile,
  rootNode,
  scalarText,
  stringMap,
  yamlEqual,
  type YamlDocument,
  type YamlNode,
} from '../parserSupport';
import { unknownKeyDiagnostic } from '../validate';
import { loadYaml, type YamlLimits } from '../yaml/yamlLoader';
import { knownValue, substituteKnown, truthy, unknown, whenOfCondition } from './expressions';

export interface GithubParseInput {
  /** Workspace-relative path, forward slashes. */
  readonly file: string;
  readonly text: string;
  /** Reads a local reusable workflow; without it, local reusable workflows are reported as not read. */
  readonly readFile?: ReadWorkspaceFile;
  readonly limits?: Partial<YamlLimits>;
  /** Already loaded YAML of `text` (the outline reuses its own load). */
  readonly loaded?: YamlDocument;
}

export const workflowKeys = ['name', 'run-name', 'on', 'env', 'defaults', 'concurrency', 'permissions', 'jobs'] as const;
export const jobKeys = [
  'name', 'needs', 'runs-on', 'if', 'steps', 'env', 'defaults', 'environment', 'services', 'container', 'strategy',
  'timeout-minutes', 'continue-on-error', 'outputs', 'permissions', 'concurrency', 'uses', 'with', 'secrets', 'snapshot',
] as const;
const callerJobKeys = new Set(['name', 'uses', 'with', 'secrets', 'needs', 'if', 'permissions', 'strategy', 'concurrency']);
export const stepKeys = ['id', 'name', 'if', 'uses', 'run', 'shell', 'with', 'env', 'working-directory', 'continue-on-error', 'timeout-minutes'] as const;
const strategyKeys = ['matrix', 'fail-fast', 'max-parallel'];

/** GitHub's documented limits. */
const maxMatrixJobs = 256;
const maxWorkflowLevels = 4;
const maxUniqueReusable = 20;
/** Ours: expanding nested reusable workflows must not grow without bound. */
const maxJobs = 5_000;
const maxStepsPerJob = 1_000;

interface RunDefaults {
  readonly shell?: string;
  readonly workingDirectory?: string;
}

interface Ctx {
  readonly rootFile: string;
  readonly diagnostics: Diagnostic[];
  readonly jobs: Job[];
  readonly ids: Set<string>;
  readonly readFile: ReadWorkspaceFile | undefined;
  readonly limits: Partial<YamlLimits> | undefined;
  /** A call job's definition → the definitions of the jobs it expanded to. */
  readonly expansions: Map<string, string[]>;
  readonly reusable: Set<string>;
  readonly loadedFiles: Map<string, YamlDocument | undefined>;
  tooMany: boolean;
}

/** Where a workflow sits: the top one, or a reusable one called from a job. */
interface Scope {
  readonly file: string;
  readonly level: number;
  /** Files of the callers, for loop detection. */
  readonly chain: readonly string[];
  /** Prefixes for the expanded jobs' definitions (`call/`) and names (`Call / `). */
  readonly definitionPrefix: string;
  readonly namePrefix: string;
  /** Needs of the calling job, for the called workflow's jobs that need nothing. */
  readonly callerNeeds: Need[];
  readonly callerCondition: string | undefined;
  readonly callerWhen: When;
  readonly env: Readonly<Record<string, string>>;
  readonly defaults: RunDefaults;
}

export function parseGithubWorkflow(input: GithubParseInput): Pipeline {
  const { file } = input;
  const ctx: Ctx = {
    rootFile: file,
    diagnostics: [],
    jobs: [],
    ids: new Set(),
    readFile: input.readFile,
    limits: input.limits,
    expansions: new Map(),
    reusable: new Set(),
    loadedFiles: new Map(),
    tooMany: false,
  };
  const loaded = input.loaded ?? loadYaml(input.text, file, input.limits ? { limits: input.limits } : {});
  ctx.diagnostics.push(...loaded.diagnostics);
  const root = rootNode(loaded, file);
  let name = file;
  let variables: Record<string, string> = {};
  if (loaded.value !== undefined) {
    if (!isMap(root.value)) {
      ctx.diagnostics.push(diagnosticAt('error', 'github-not-a-workflow', 'A workflow must be a YAML mapping with `on` and `jobs`.', rangeOfNode(root)));
    } else {
      const title = scalarText(root.value.name);
      if (title) name = title;
      variables = stringMap(child(root, 'env'));
      checkKeys(ctx, root, workflowKeys, 'the workflow');
      if (!('on' in root.value)) ctx.diagnostics.push(diagnosticAt('warning', 'github-no-trigger', 'The workflow has no `on:` trigger; GitHub will not run it.', rangeOfNode(root)));
      const scope: Scope = {
        file,
        level: 1,
        chain: [file],
        definitionPrefix: '',
        namePrefix: '',
        callerNeeds: [],
        callerCondition: undefined,
        callerWhen: 'on_success',
        env: variables,
        defaults: runDefaults(child(root, 'defaults'), {}),
      };
      expandWorkflow(ctx, root, scope);
    }
  }
  const jobs = resolveCallNeeds(ctx.jobs, ctx.expansions);
  const { stages, staged } = levels(jobs);
  // A matrix reads a job's steps once per combination: the same problem is reported once.
  const seen = new Set<string>();
  const diagnostics = ctx.diagnostics.filter((d) => {
    const key = `${d.file}:${d.line}:${d.column}:${d.code}:${d.message}`;
    return !seen.has(key) && Boolean(seen.add(key));
  });
  return { format: 'github', file, name, stages, jobs: staged, variables, diagnostics };
}

function expandWorkflow(ctx: Ctx, root: YamlNode, scope: Scope): void {
  const jobsNode = child(root, 'jobs');
  if (!isMap(jobsNode.value) || Object.keys(jobsNode.value).length === 0) {
    ctx.diagnostics.push(diagnosticAt('error', 'github-no-jobs', 'The workflow has no jobs.', isMap(root.value) && 'jobs' in root.value ? rangeOfNode(jobsNode) : rangeOfNode(root)));
    return;
  }
  for (const [key, jobNode] of entries(jobsNode)) {
    if (ctx.tooMany) return;
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) {
      ctx.diagnostics.push(diagnosticAt('error', 'github-job-id', `Job id '${key}' must start with a letter or _ and contain only letters, digits, - and _.`, keyRangeOfNode(jobNode)));
    }
    if (!isMap(jobNode.value)) {
      ctx.diagnostics.push(diagnosticAt('error', 'github-job', `Job '${key}' must be a mapping.`, rangeOfNode(jobNode)));
      continue;
    }
    expandJob(ctx, key, jobNode, scope);
  }
}

function expandJob(ctx: Ctx, key: string, node: YamlNode, scope: Scope): void {
  const job = node.value as Record<string, unknown>;
  const uses = scalarText(job.uses);
  const isCall = uses !== undefined;
  if (isCall) {
    for (const [k, v] of entries(node)) {
      if (!callerJobKeys.has(k)) ctx.diagnostics.push(unknownKeyDiagnostic(k, `job '${key}' (a job that calls a reusable workflow takes only ${[...callerJobKeys].join(', ')})`, keyRangeOfNode(v)));
    }
  } else {
    checkKeys(ctx, node, jobKeys, `job '${key}'`);
  }
  const range = keyRangeOfNode(node);
  const jobRange = spanOf(range, rangeOfNode(node));
  const definition = `${scope.definitionPrefix}${key}`;
  const needs = needsOf(ctx, key, child(node, 'needs'), scope);
  const displayBase = scalarText(job.name) ?? key;
  const instances = matrixInstances(ctx, key, child(node, 'strategy'));
  const conditionText = job.if === undefined || job.if === null ? undefined : (scalarText(job.if) ?? displayText(job.if));
  const jobEnv = { ...scope.env, ...stringMap(child(node, 'env')) };
  const defaults = runDefaults(child(node, 'defaults'), scope.defaults);
  const expansionsOfCall: string[] = [];

  for (const instance of instances) {
    if (ctx.tooMany) return;
    const contexts = { matrix: instance.values ?? {} };
    const baseName = substituteKnown(displayBase, contexts);
    const suffix = instance.values && !displayBase.includes('${{') ? ` (${Object.values(instance.values).map(matrixValueText).join(', ')})` : '';
    const name = `${scope.namePrefix}${baseName}${suffix}`;
    const instanceDefinition = instance.values && isCall ? `${definition}${suffix}` : definition;
    const condition = joinConditions(scope.callerCondition, conditionText);
    const whenResult = whenOfCondition(job.if, contexts);
    if (whenResult.problem) ctx.diagnostics.push(diagnosticAt('error', 'github-expression', `The if: of job '${key}' cannot be read: ${whenResult.problem}`, rangeOfNode(child(node, 'if'))));
    if (whenResult.alwaysTrueString) {
      ctx.diagnostics.push(diagnosticAt('warning', 'github-if-always-true', `The if: of job '${key}' mixes text with \${{ }}; GitHub reads it as a non-empty string, which is always true. Put the whole condition inside one \${{ }}.`, rangeOfNode(child(node, 'if'))));
    }
    const when = combineWhen(scope.callerWhen, whenResult.when);

    if (isCall) {
      const expanded = expandCall(ctx, key, node, uses, scope, {
        definition: instanceDefinition,
        name,
        needs,
        condition,
        when,
        range: jobRange,
      });
      expansionsOfCall.push(...expanded);
      continue;
    }

    const steps = stepsOf(ctx, key, child(node, 'steps'), defaults, contexts);
    const continueOnError = knownValue(job['continue-on-error'], contexts);
    const timeoutMinutes = knownValue(job['timeout-minutes'], contexts);
    const environment = environmentOf(child(node, 'environment'), contexts);
    const image = containerImage(child(node, 'container'), contexts);
    const services = entries(child(node, 'services')).map(([serviceName, s]) => containerImage(s, contexts) ?? serviceName);
    addJob(ctx, {
      id: '',
      name,
      definition,
      stage: '',
      needs: needs.length > 0 || scope.callerNeeds.length === 0 ? needs : scope.callerNeeds,
      matrix: instance.values ? stringValues(instance.values) : null,
      ...(condition !== undefined ? { condition } : {}),
      when,
      allowFailure: continueOnError !== unknown && truthy(continueOnError) === true,
      retry: 0,
      ...(typeof timeoutMinutes === 'number' && timeoutMinutes > 0 ? { timeoutSeconds: timeoutMinutes * 60 } : {}),
      ...(environment ? { environment } : {}),
      variables: jobEnv,
      steps,
      ...(image ? { image } : {}),
      ...(services.length > 0 ? { services } : {}),
      source: jobRange,
    });
  }
  if (isCall) ctx.expansions.set(definition, expansionsOfCall);
}

interface CallSite {
  readonly definition: string;
  readonly name: string;
  readonly needs: Need[];
  readonly condition: string | undefined;
  readonly when: When;
  readonly range: SourceRange;
}

/** Expands a job that calls a reusable workflow; returns the definitions of the jobs it became. */
function expandCall(ctx: Ctx, key: string, node: YamlNode, uses: string, scope: Scope, site: CallSite): string[] {
  const usesNode = child(node, 'uses');
  const ownNeeds = site.needs.length > 0 || scope.callerNeeds.length === 0 ? site.needs : scope.callerNeeds;
  const remoteJob = (message: string | undefined): string[] => {
    if (message) ctx.diagnostics.push(diagnosticAt('info', 'github-reusable-remote', message, rangeOfNode(usesNode)));
    addJob(ctx, {
      id: '',
      name: site.name,
      definition: site.definition,
      stage: '',
      needs: ownNeeds,
      matrix: null,
      ...(site.condition !== undefined ? { condition: site.condition } : {}),
      when: site.when,
      allowFailure: false,
      retry: 0,
      variables: {},
      steps: [{ name: `Call ${uses}`, kind: 'uses', uses, phase: 'main', range: rangeOfNode(usesNode) }],
      source: site.range,
    });
    return [site.definition];
  };
  if (!uses.startsWith('./')) {
    return remoteJob(`Job '${key}' calls the reusable workflow ${uses} from another repository; it is shown as one job and not expanded offline.`);
  }
  const path = normalizeRelativePath(uses.split('@')[0]!);
  if (!path || !/^\.github\/workflows\/[^/]+\.ya?ml$/.test(path)) {
    ctx.diagnostics.push(diagnosticAt('error', 'github-reusable-path', `A local reusable workflow must be a file in .github/workflows/ (got '${uses}').`, rangeOfNode(usesNode)));
    return remoteJob(undefined);
  }
  if (scope.chain.includes(path)) {
    ctx.diagnostics.push(diagnosticAt('error', 'github-reusable-cycle', `Reusable workflows call each other in a loop: ${[...scope.chain, path].join(' → ')}.`, rangeOfNode(usesNode)));
    return remoteJob(undefined);
  }
  if (scope.level + 1 > maxWorkflowLevels) {
    ctx.diagnostics.push(
      diagnosticAt('error', 'github-reusable-depth', `GitHub connects at most ${maxWorkflowLevels} levels of workflows (the caller and ${maxWorkflowLevels - 1} levels of reusable workflows); ${path} would be level ${scope.level + 1}.`, rangeOfNode(usesNode)),
    );
    return remoteJob(undefined);
  }
  ctx.reusable.add(path);
  if (ctx.reusable.size > maxUniqueReusable) {
    ctx.diagnostics.push(diagnosticAt('error', 'github-reusable-count', `A workflow can call at most ${maxUniqueReusable} unique reusable workflows; ${path} is number ${ctx.reusable.size}.`, rangeOfNode(usesNode)));
    return remoteJob(undefined);
  }
  const called = loadReusable(ctx, path, usesNode);
  if (!called) return remoteJob(undefined);
  const calledRoot = rootNode(called, path);
  if (!isMap(calledRoot.value)) return remoteJob(undefined);
  if (!isWorkflowCall(calledRoot.value.on)) {
    ctx.diagnostics.push(diagnosticAt('error', 'github-not-reusable', `${path} has no \`on: workflow_call\` trigger, so it cannot be called from job '${key}'.`, rangeOfNode(usesNode)));
  }
  const before = ctx.jobs.length;
  const beforeExpansions = new Set(ctx.expansions.keys());
  expandWorkflow(ctx, calledRoot, {
    file: path,
    level: scope.level + 1,
    chain: [...scope.chain, path],
    definitionPrefix: `${site.definition}/`,
    namePrefix: `${site.name} / `,
    callerNeeds: ownNeeds,
    callerCondition: site.condition,
    callerWhen: site.when,
    // A called workflow does not see the caller's env (GitHub passes inputs and secrets only).
    env: stringMap(child(calledRoot, 'env')),
    defaults: runDefaults(child(calledRoot, 'defaults'), {}),
  });
  const produced = ctx.jobs.slice(before).map((j) => j.definition);
  const nestedCalls = [...ctx.expansions.keys()].filter((k) => !beforeExpansions.has(k));
  const result = [...new Set([...produced, ...nestedCalls])];
  if (result.length === 0) return remoteJob(undefined);
  return result;
}

function loadReusable(ctx: Ctx, path: string, at: YamlNode): YamlDocument | undefined {
  if (ctx.loadedFiles.has(path)) return ctx.loadedFiles.get(path);
  let doc: YamlDocument | undefined;
  if (!ctx.readFile) {
    ctx.diagnostics.push(diagnosticAt('info', 'github-reusable-not-read', `The reusable workflow ${path} was not read here.`, rangeOfNode(at)));
  } else {
    let text: string | undefined;
    try {
      text = ctx.readFile(path);
    } catch (error) {
      const message = OpsloopError.is(error) || error instanceof Error ? error.message : String(error);
      ctx.diagnostics.push(diagnosticAt('error', 'github-reusable-unreadable', `The reusable workflow ${path} could not be read: ${message}`, rangeOfNode(at)));
      ctx.loadedFiles.set(path, undefined);
      return undefined;
    }
    if (text === undefined) {
      ctx.diagnostics.push(diagnosticAt('error', 'github-reusable-missing', `The reusable workflow ${path} does not exist.`, rangeOfNode(at)));
    } else {
      const loaded = loadYaml(text, path, ctx.limits ? { limits: ctx.limits } : {});
      ctx.diagnostics.push(...loaded.diagnostics);
      if (loaded.value !== undefined) doc = loaded;
    }
  }
  ctx.loadedFiles.set(path, doc);
  return doc;
}

function isWorkflowCall(on: unknown): boolean {
  if (on === 'workflow_call') return true;
  if (Array.isArray(on)) return on.includes('workflow_call');
  return isMap(on) && 'workflow_call' in on;
}

function addJob(ctx: Ctx, job: Job): void {
  if (ctx.jobs.length >= maxJobs) {
    if (!ctx.tooMany) {
      ctx.tooMany = true;
      ctx.diagnostics.push(diagnosticAt('error', 'too-many-jobs', `The workflow expands to more than ${maxJobs} jobs; the rest are not shown.`, job.source));
    }
    return;
  }
  let id = `${ctx.rootFile}#${job.name}`;
  for (let n = 2; ctx.ids.has(id); n++) id = `${ctx.rootFile}#${job.name} #${n}`;
  ctx.ids.add(id);
  ctx.jobs.push({ ...job, id });
}

function needsOf(ctx: Ctx, key: string, node: YamlNode, scope: Scope): Need[] {
  const value = node.value;
  if (value === undefined || value === null) return [];
  const names = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (!names) {
    ctx.diagnostics.push(diagnosticAt('error', 'github-needs', `needs: of job '${key}' must be a job id or a list of job ids.`, rangeOfNode(node)));
    return [];
  }
  const out: Need[] = [];
  names.forEach((n, i) => {
    const text = scalarText(n);
    if (text === undefined) {
      ctx.diagnostics.push(diagnosticAt('error', 'github-needs', `needs: of job '${key}' must list job ids.`, rangeOfNode(child(node, i))));
      return;
    }
    out.push({ job: `${scope.definitionPrefix}${text}`, optional: false, artifacts: true });
  });
  return out;
}

interface Instance {
  readonly values: Record<string, unknown> | null;
}

/** GitHub's matrix: the product of the vectors, minus exclude, then include added or appended. */
function matrixInstances(ctx: Ctx, key: string, strategy: YamlNode): Instance[] {
  if (strategy.value === undefined || strategy.value === null) return [{ values: null }];
  if (!isMap(strategy.value)) {
    if (!isExpression(strategy.value)) ctx.diagnostics.push(diagnosticAt('error', 'github-strategy', `strategy of job '${key}' must be a mapping.`, rangeOfNode(strategy)));
    return [{ values: null }];
  }
  for (const [k, v] of entries(strategy)) if (!strategyKeys.includes(k)) ctx.diagnostics.push(unknownKeyDiagnostic(k, `strategy of job '${key}'`, keyRangeOfNode(v), strategyKeys));
  const matrixNode = child(strategy, 'matrix');
  const matrix = matrixNode.value;
  if (matrix === undefined || matrix === null) return [{ values: null }];
  const dynamic = (): Instance[] => {
    ctx.diagnostics.push(diagnosticAt('info', 'github-matrix-dynamic', `The matrix of job '${key}' is computed when the workflow runs; its instances are not listed.`, rangeOfNode(matrixNode)));
    return [{ values: null }];
  };
  if (!isMap(matrix)) {
    if (isExpression(matrix)) return dynamic();
    ctx.diagnostics.push(diagnosticAt('error', 'github-matrix', `strategy.matrix of job '${key}' must be a mapping.`, rangeOfNode(matrixNode)));
    return [{ values: null }];
  }
  const vectors: [string, unknown[]][] = [];
  for (const [name, v] of Object.entries(matrix)) {
    if (name === 'include' || name === 'exclude') continue;
    if (!Array.isArray(v)) {
      if (isExpression(v)) return dynamic();
      ctx.diagnostics.push(diagnosticAt('error', 'github-matrix', `Matrix vector '${name}' of job '${key}' must be a list.`, rangeOfNode(child(matrixNode, name))));
      return [{ values: null }];
    }
    if (v.length === 0) {
      ctx.diagnostics.push(diagnosticAt('error', 'github-matrix-empty', `Matrix vector '${name}' of job '${key}' has no values.`, rangeOfNode(child(matrixNode, name))));
      return [{ values: null }];
    }
    vectors.push([name, v]);
  }
  const listOf = (name: 'include' | 'exclude'): Record<string, unknown>[] | 'dynamic' => {
    const v = matrix[name];
    if (v === undefined || v === null) return [];
    if (isExpression(v)) return 'dynamic';
    if (!Array.isArray(v) || !v.every(isMap)) {
      ctx.diagnostics.push(diagnosticAt('error', 'github-matrix', `Matrix ${name} of job '${key}' must be a list of mappings.`, rangeOfNode(child(matrixNode, name))));
      return [];
    }
    if (v.length > maxMatrixJobs * 4) {
      ctx.diagnostics.push(diagnosticAt('error', 'matrix-too-large', `Matrix ${name} of job '${key}' has ${v.length} entries; only the first ${maxMatrixJobs * 4} are read.`, rangeOfNode(child(matrixNode, name))));
    }
    return (v as Record<string, unknown>[]).slice(0, maxMatrixJobs * 4);
  };
  const include = listOf('include');
  const exclude = listOf('exclude');
  if (include === 'dynamic' || exclude === 'dynamic') return dynamic();

  let size = 1;
  for (const [, v] of vectors) size *= v.length;
  if (size > maxMatrixJobs * 4) {
    ctx.diagnostics.push(diagnosticAt('error', 'matrix-too-large', `The matrix of job '${key}' has ${size} combinations; GitHub allows at most ${maxMatrixJobs} jobs per matrix.`, rangeOfNode(matrixNode)));
    return [{ values: null }];
  }
  let base: Record<string, unknown>[] = vectors.length > 0 ? [{}] : [];
  for (const [name, values] of vectors) base = base.flatMap((combo) => values.map((v) => ({ ...combo, [name]: v })));
  base = base.filter((combo) => !exclude.some((ex) => Object.keys(ex).every((k) => k in combo && partialEqual(combo[k], ex[k]))));
  const original = new Set(vectors.map(([n]) => n));
  const extras: Record<string, unknown>[] = [];
  for (const inc of include) {
    let matched = false;
    for (const combo of base) {
      if (Object.keys(inc).every((k) => !original.has(k) || yamlEqual(combo[k], inc[k]))) {
        Object.assign(combo, inc);
        matched = true;
      }
    }
    if (!matched) extras.push({ ...inc });
  }
  const all = [...base, ...extras];
  if (all.length === 0) {
    ctx.diagnostics.push(diagnosticAt('error', 'github-matrix-empty', `The matrix of job '${key}' has no combinations left after exclude.`, rangeOfNode(matrixNode)));
    return [{ values: null }];
  }
  if (all.length > maxMatrixJobs) {
    ctx.diagnostics.push(diagnosticAt('error', 'matrix-too-large', `The matrix of job '${key}' has ${all.length} jobs; GitHub allows at most ${maxMatrixJobs}. The first ${maxMatrixJobs} are shown.`, rangeOfNode(matrixNode)));
  }
  return all.slice(0, maxMatrixJobs).map((values) => ({ values }));
}

/** exclude matches a combination when each of its values matches (maps partially, as GitHub does). */
function partialEqual(value: unknown, pattern: unknown): boolean {
  if (isMap(pattern) && isMap(value)) return Object.keys(pattern).every((k) => k in value && partialEqual(value[k], pattern[k]));
  return yamlEqual(value, pattern);
}

function isExpression(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${{');
}

function matrixValueText(value: unknown): string {
  return displayText(value);
}

function stringValues(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) out[k] = displayText(v);
  return out;
}

function stepsOf(ctx: Ctx, key: string, node: YamlNode, defaults: RunDefaults, contexts: Record<string, unknown>): Step[] {
  if (node.value === undefined || node.value === null) {
    ctx.diagnostics.push(diagnosticAt('error', 'empty-job', `Job '${key}' has no steps.`, keyRangeOfNode(node.path.length > 0 ? { ...node, path: node.path.slice(0, -1) } : node)));
    return [];
  }
  if (!Array.isArray(node.value)) {
    ctx.diagnostics.push(diagnosticAt('error', 'github-steps', `steps of job '${key}' must be a list.`, rangeOfNode(node)));
    return [];
  }
  const steps: Step[] = [];
  const ids = new Set<string>();
  for (const stepNode of items(node).slice(0, maxStepsPerJob)) {
    const step = stepNode.value;
    if (!isMap(step)) {
      ctx.diagnostics.push(diagnosticAt('error', 'github-step', `A step of job '${key}' must be a mapping with run: or uses:.`, rangeOfNode(stepNode)));
      continue;
    }
    checkKeys(ctx, stepNode, stepKeys, `a step of job '${key}'`);
    const run = step.run === undefined || step.run === null ? undefined : scalarText(step.run);
    const uses = scalarText(step.uses);
    const range = rangeOfNode(stepNode);
    if ((run === undefined) === (uses === undefined)) {
      ctx.diagnostics.push(diagnosticAt('error', 'github-step', `A step of job '${key}' needs exactly one of run: and uses:.`, range));
      if (run === undefined && uses === undefined) continue;
    }
    const title = scalarText(step.name);
    const id = stepId(ctx, key, child(stepNode, 'id'), ids);
    const env = stringMap(child(stepNode, 'env'));
    const shell = scalarText(step.shell) ?? defaults.shell;
    const workingDirectory = scalarText(step['working-directory']) ?? defaults.workingDirectory;
    const condition = step.if === undefined || step.if === null ? undefined : (scalarText(step.if) ?? displayText(step.if));
    if (condition !== undefined) {
      // Read now, so that a step's broken if: is an error in the editor, not a surprise in a run.
      const read = whenOfCondition(step.if, contexts);
      if (read.problem) ctx.diagnostics.push(diagnosticAt('error', 'github-expression', `The if: of a step of job '${key}' cannot be read: ${read.problem}`, rangeOfNode(child(stepNode, 'if'))));
      if (read.alwaysTrueString) ctx.diagnostics.push(diagnosticAt('warning', 'github-if-always-true', `The if: of a step of job '${key}' mixes text with \${{ }}; GitHub reads it as a non-empty string, which is always true. Put the whole condition inside one \${{ }}.`, rangeOfNode(child(stepNode, 'if'))));
    }
    const continueOnError = knownValue(step['continue-on-error'], contexts);
    const timeout = knownValue(step['timeout-minutes'], contexts);
    const common = {
      phase: 'main' as const,
      range,
      ...(id !== undefined ? { id } : {}),
      ...(Object.keys(env).length > 0 ? { env } : {}),
      ...(condition !== undefined ? { condition } : {}),
      ...(continueOnError !== unknown && truthy(continueOnError) === true ? { continueOnError: true } : {}),
      ...(typeof timeout === 'number' && timeout > 0 ? { timeoutSeconds: timeout * 60 } : {}),
    };
    if (run !== undefined) {
      steps.push({
        name: title !== undefined ? substituteKnown(title, contexts) : `Run ${firstLine(run)}`,
        kind: 'script',
        script: run,
        ...(shell ? { shell } : {}),
        ...(workingDirectory ? { workingDirectory } : {}),
        ...common,
      });
    } else if (uses !== undefined) {
      steps.push({ name: title !== undefined ? substituteKnown(title, contexts) : `Run ${uses}`, kind: 'uses', uses, ...common });
    }
  }
  if (node.value.length > maxStepsPerJob) {
    ctx.diagnostics.push(diagnosticAt('error', 'too-many-steps', `Job '${key}' has ${node.value.length} steps; GitHub allows 1000 and only those are shown.`, rangeOfNode(node)));
  }
  if (steps.length === 0 && node.value.length === 0) ctx.diagnostics.push(diagnosticAt('error', 'empty-job', `Job '${key}' has an empty steps list.`, rangeOfNode(node)));
  return steps;
}

function runDefaults(node: YamlNode, outer: RunDefaults): RunDefaults {
  const run = child(node, 'run');
  if (!isMap(run.value)) return outer;
  const shell = scalarText(run.value.shell) ?? outer.shell;
  const workingDirectory = scalarText(run.value['working-directory']) ?? outer.workingDirectory;
  return { ...(shell ? { shell } : {}), ...(workingDirectory ? { workingDirectory } : {}) };
}

/** A step's `id:`, checked as GitHub checks it: a name, not reserved, once per job. */
function stepId(ctx: Ctx, key: string, node: YamlNode, seen: Set<string>): string | undefined {
  if (node.value === undefined || node.value === null) return undefined;
  const id = scalarText(node.value);
  let problem: string | undefined;
  if (id === undefined || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(id) || id.length >= 100) problem = `must start with a letter or _, contain only letters, digits, - and _, and be shorter than 100 characters`;
  else if (id.startsWith('__')) problem = 'starts with __, which GitHub reserves';
  else if (seen.has(id.toLowerCase())) problem = `is used by another step of job '${key}'`;
  if (problem) {
    ctx.diagnostics.push(diagnosticAt('error', 'github-step-id', `Step id '${id ?? displayText(node.value)}' ${problem}.`, rangeOfNode(node)));
    return undefined;
  }
  seen.add(id!.toLowerCase());
  return id;
}

function environmentOf(node: YamlNode, contexts: Record<string, unknown>): Environment | undefined {
  const v = node.value;
  if (typeof v === 'string') return { name: substituteKnown(v, contexts) };
  if (isMap(v)) {
    const name = scalarText(v.name);
    const url = scalarText(v.url);
    if (name) return { name: substituteKnown(name, contexts), ...(url ? { url: substituteKnown(url, contexts) } : {}) };
  }
  return undefined;
}

function containerImage(node: YamlNode, contexts: Record<string, unknown>): string | undefined {
  const v = node.value;
  if (typeof v === 'string') return substituteKnown(v, contexts);
  if (isMap(v)) {
    const image = scalarText(v.image);
    return image ? substituteKnown(image, contexts) : undefined;
  }
  return undefined;
}

function checkKeys(ctx: Ctx, node: YamlNode, known: readonly string[], where: string): void {
  for (const [k, v] of entries(node)) if (!known.includes(k)) ctx.diagnostics.push(unknownKeyDiagnostic(k, where, keyRangeOfNode(v), known));
}

function joinConditions(outer: string | undefined, inner: string | undefined): string | undefined {
  if (outer === undefined) return inner;
  if (inner === undefined) return outer;
  return `(${outer}) && (${inner})`;
}

/** A job inside a called workflow runs only when its caller would. */
function combineWhen(caller: When, own: When): When {
  if (caller === 'never' || own === 'never') return 'never';
  if (caller === 'on_success') return own;
  if (caller === 'on_failure') return own === 'on_success' ? 'on_failure' : own;
  return own;
}

/** Replaces needs on a calling job by needs on the jobs its reusable workflow expanded to. */
function resolveCallNeeds(jobs: Job[], expansions: Map<string, string[]>): Job[] {
  if (expansions.size === 0) return jobs;
  const flatten = (name: string, seen: Set<string>): string[] => {
    const list = expansions.get(name);
    if (!list) return [name];
    if (seen.has(name)) return [];
    seen.add(name);
    return list.flatMap((n) => flatten(n, seen));
  };
  return jobs.map((job) => {
    if (!job.needs || !job.needs.some((n) => expansions.has(n.job))) return job;
    const needs: Need[] = [];
    const seen = new Set<string>();
    for (const n of job.needs) {
      for (const target of flatten(n.job, new Set())) {
        if (seen.has(target)) continue;
        seen.add(target);
        needs.push({ ...n, job: target });
      }
    }
    return { ...job, needs };
  });
}

/** Stages as levels of the needs graph (GitHub has none of its own). */
function levels(jobs: Job[]): { stages: Stage[]; staged: Job[] } {
  const byDefinition = new Map<string, Job[]>();
  for (const j of jobs) {
    const list = byDefinition.get(j.definition);
    if (list) list.push(j);
    else byDefinition.set(j.definition, [j]);
  }
  const depth = new Map<Job, number>();
  const visiting = new Set<Job>();
  const depthOf = (start: Job): number => {
    // Iterative depth-first walk: a deep chain of needs must not overflow the stack.
    const stack: { job: Job; i: number; best: number; targets: Job[] }[] = [];
    const push = (job: Job): void => {
      visiting.add(job);
      stack.push({ job, i: 0, best: 0, targets: (job.needs ?? []).flatMap((n) => byDefinition.get(n.job) ?? []) });
    };
    if (depth.has(start)) return depth.get(start)!;
    push(start);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.i < frame.targets.length) {
        const target = frame.targets[frame.i++]!;
        const known = depth.get(target);
        if (known !== undefined) frame.best = Math.max(frame.best, known + 1);
        else if (!visiting.has(target)) push(target);
        continue;
      }
      stack.pop();
      visiting.delete(frame.job);
      depth.set(frame.job, frame.best);
      const parent = stack[stack.length - 1];
      if (parent) parent.best = Math.max(parent.best, frame.best + 1);
    }
    return depth.get(start)!;
  };
  const staged = jobs.map((j) => ({ ...j, stage: `level ${depthOf(j) + 1}` }));
  const stages: Stage[] = [];
  const byName = new Map<string, string[]>();
  for (const j of staged) {
    let list = byName.get(j.stage);
    if (!list) {
      list = [];
      byName.set(j.stage, list);
    }
    list.push(j.id);
  }
  for (const name of [...byName.keys()].sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)))) stages.push({ name, jobs: byName.get(name)! });
  return { stages, staged };
}

/** From a job's key to the end of its body. */
function spanOf(key: SourceRange, body: SourceRange): SourceRange {
  if (body.endLine < key.startLine) return key;
  return { file: key.file, startLine: key.startLine, startColumn: key.startColumn, endLine: body.endLine, endColumn: body.endColumn };
}
