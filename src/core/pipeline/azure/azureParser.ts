/**
 * Azure Pipelines (`azure-pipelines.yml`) into the plan model: stages, jobs and deployment
 * jobs, steps (script, bash, pwsh, powershell; tasks and checkout shown as such), dependsOn
 * of stages and jobs, conditions (kept as text, status functions evaluated), strategy.matrix,
 * variables, and local templates (see azureTemplates.ts).
 *
 * Azure orders stages by dependsOn (by default each stage depends on the one before it) and
 * runs the jobs of a stage in parallel unless they depend on each other. The plan spells this
 * out as needs: a job that depends on nothing in its stage needs every job of the stages its
 * stage depends on. Job definitions are `Stage.Job` when the pipeline has stages.
 */
import type { Diagnostic, Environment, Job, Need, Pipeline, SourceRange, Stage, Step, When } from '../model';
import { diagnosticAt, firstLine, keyRangeOfNode, rangeOfNode, type ReadWorkspaceFile, rootNode, type YamlDocument } from '../parserSupport';
import { unknownKeyDiagnostic } from '../validate';
import { loadYaml, type YamlLimits } from '../yaml/yamlLoader';
import { whenOfAzureCondition } from './azureExpressions';
import { asYamlNode, get, type Origin, type RMap, type RNode, TemplateResolver, text } from './azureTemplates';

export interface AzureParseInput {
  readonly file: string;
  readonly text: string;
  readonly readFile?: ReadWorkspaceFile;
  readonly limits?: Partial<YamlLimits>;
  readonly loaded?: YamlDocument;
}

const rootKeys = [
  'name', 'appendCommitMessageToRunName', 'trigger', 'pr', 'schedules', 'resources', 'variables', 'parameters', 'pool', 'stages', 'jobs', 'steps',
  'extends', 'lockBehavior', 'container', 'services', 'strategy', 'workspace', 'timeoutInMinutes', 'cancelTimeoutInMinutes', 'continueOnError', 'condition', 'displayName',
];
const stageKeys = ['stage', 'displayName', 'dependsOn', 'condition', 'variables', 'jobs', 'lockBehavior', 'trigger', 'isSkippable', 'templateContext', 'pool'];
const jobKeys = [
  'job', 'displayName', 'dependsOn', 'condition', 'continueOnError', 'timeoutInMinutes', 'cancelTimeoutInMinutes', 'variables', 'strategy', 'pool',
  'container', 'services', 'workspace', 'uses', 'steps', 'templateContext',
];
const deploymentKeys = [
  'deployment', 'displayName', 'dependsOn', 'condition', 'continueOnError', 'timeoutInMinutes', 'cancelTimeoutInMinutes', 'variables', 'pool',
  'environment', 'strategy', 'workspace', 'uses', 'container', 'services', 'templateContext',
];
const stepKinds = ['script', 'bash', 'pwsh', 'powershell', 'checkout', 'download', 'downloadBuild', 'getPackage', 'publish', 'task', 'template', 'reviewApp', 'restoreCache', 'saveCache'];
const stepCommonKeys = [
  'displayName', 'name', 'condition', 'continueOnError', 'enabled', 'env', 'timeoutInMinutes', 'retryCountOnTaskFailure', 'target', 'workingDirectory',
  'failOnStderr', 'errorActionPreference', 'warningPreference', 'informationPreference', 'verbosePreference', 'debugPreference', 'progressPreference',
  'ignoreLASTEXITCODE', 'pwsh', 'inputs', 'clean', 'fetchDepth', 'fetchFilter', 'fetchTags', 'lfs', 'persistCredentials', 'submodules', 'path', 'sparseCheckoutDirectories',
  'sparseCheckoutPatterns', 'workspaceRepo', 'artifact', 'patterns', 'project', 'pipeline', 'preferTriggeringPipeline', 'runVersion', 'runBranch', 'runId', 'tags',
  'allowPartiallySucceededBuilds', 'allowFailedBuilds', 'artifactName', 'isEmptyArtifact', 'key', 'restoreKeys', 'cacheHitVar',
];
const shellOf: Readonly<Record<string, string | undefined>> = { script: undefined, bash: 'bash', pwsh: 'pwsh', powershell: 'powershell' };
const deploymentHooks = ['preDeploy', 'deploy', 'routeTraffic', 'postRouteTraffic'];
const maxMatrixLegs = 256;
const maxJobs = 5_000;

interface Ctx {
  readonly file: string;
  readonly diagnostics: Diagnostic[];
  readonly containers: ReadonlyMap<string, string>;
}

interface StageDraft {
  readonly name: string;
  /** null: the stage before it (Azure's default). */
  readonly dependsOn: string[] | null;
  readonly dependsOnAt: Origin;
  readonly jobs: JobDraft[];
  readonly at: Origin;
}

interface JobDraft {
  readonly key: string;
  readonly job: Omit<Job, 'id' | 'needs' | 'definition'>;
  readonly dependsOn: string[];
  readonly at: Origin;
}

export function parseAzurePipeline(input: AzureParseInput): Pipeline {
  const { file } = input;
  const diagnostics: Diagnostic[] = [];
  const loaded = input.loaded ?? loadYaml(input.text, file, input.limits ? { limits: input.limits } : {});
  diagnostics.push(...loaded.diagnostics);
  const empty = (name = file): Pipeline => ({ format: 'azure', file, name, stages: [], jobs: [], variables: {}, diagnostics });
  if (loaded.value === undefined) return empty();
  const root = rootNode(loaded, file);
  if (root.value === null || typeof root.value !== 'object' || Array.isArray(root.value)) {
    diagnostics.push(diagnosticAt('error', 'azure-not-a-pipeline', 'An Azure pipeline must be a YAML mapping with stages, jobs or steps.', rangeOfNode(root)));
    return empty();
  }
  const resolver = new TemplateResolver(diagnostics, input.readFile, input.limits);
  const pipeline = resolver.resolveRoot(root);
  if (!pipeline) return empty();
  checkKeys(diagnostics, pipeline, rootKeys, 'the pipeline');
  const ctx: Ctx = { file, diagnostics, containers: containerResources(pipeline) };
  const name = text(get(pipeline, 'name')) ?? file;
  const variables = variablesOf(ctx, get(pipeline, 'variables'));

  const drafts: StageDraft[] = [];
  const stagesNode = get(pipeline, 'stages');
  const jobsNode = get(pipeline, 'jobs');
  const stepsNode = get(pipeline, 'steps');
  const explicitStages = stagesNode !== undefined;
  if (stagesNode) {
    if ((jobsNode || stepsNode) && stagesNode) diagnostics.push(diagnosticAt('error', 'azure-structure', 'A pipeline has stages, jobs or steps at its top, not several of them.', range(pipeline.at)));
    for (const stage of listItems(ctx, stagesNode, 'stages')) drafts.push(stageDraft(ctx, stage, drafts.length, variables));
  } else if (jobsNode) {
    drafts.push({ name: 'default', dependsOn: [], dependsOnAt: pipeline.at, jobs: jobDrafts(ctx, jobsNode, { variables, condition: undefined, when: 'on_success' }), at: pipeline.at });
  } else if (stepsNode) {
    // A pipeline of steps is one job; its job settings sit at the top.
    const job = jobDraft(ctx, pipeline, 0, { variables: {}, condition: undefined, when: 'on_success' }, true);
    drafts.push({ name: 'default', dependsOn: [], dependsOnAt: pipeline.at, jobs: job ?? [], at: pipeline.at });
  } else {
    diagnostics.push(diagnosticAt('error', 'azure-no-jobs', 'The pipeline has no stages, jobs or steps.', range(pipeline.at)));
    return empty(name);
  }
  const { stages, jobs } = assemble(ctx, drafts, explicitStages);
  return { format: 'azure', file, name, stages, jobs, variables, diagnostics };
}

interface Inherited {
  readonly variables: Readonly<Record<string, string>>;
  readonly condition: string | undefined;
  readonly when: When;
}

function stageDraft(ctx: Ctx, node: RMap, index: number, variables: Readonly<Record<string, string>>): StageDraft {
  checkKeys(ctx.diagnostics, node, stageKeys, 'a stage');
  let name = text(get(node, 'stage'));
  if (!name) {
    ctx.diagnostics.push(diagnosticAt('error', 'azure-stage-name', 'A stage needs a name: `- stage: Build`.', keyRange(node.at)));
    name = `Stage${index + 1}`;
  } else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    ctx.diagnostics.push(diagnosticAt('error', 'azure-stage-name', `Stage name '${name}' may contain only letters, digits and _ and must not start with a digit.`, range((get(node, 'stage') ?? node).at)));
  }
  const conditionNode = get(node, 'condition');
  const condition = text(conditionNode);
  const when = conditionWhen(ctx, conditionNode);
  const dependsOnNode = get(node, 'dependsOn');
  const jobsNode = get(node, 'jobs');
  if (!jobsNode) ctx.diagnostics.push(diagnosticAt('error', 'empty-job', `Stage '${name}' has no jobs.`, keyRange(node.at)));
  return {
    name,
    dependsOn: dependsOnNode === undefined ? null : namesOf(ctx, dependsOnNode, `dependsOn of stage '${name}'`),
    dependsOnAt: (dependsOnNode ?? node).at,
    jobs: jobsNode ? jobDrafts(ctx, jobsNode, { variables: { ...variables, ...variablesOf(ctx, get(node, 'variables')) }, condition, when }) : [],
    at: node.at,
  };
}

function jobDrafts(ctx: Ctx, list: RNode, inherited: Inherited): JobDraft[] {
  const out: JobDraft[] = [];
  listItems(ctx, list, 'jobs').forEach((node, i) => {
    if (out.length < maxJobs) out.push(...(jobDraft(ctx, node, i, inherited, false) ?? []));
  });
  return out;
}

/** One job (or one per matrix leg). `implicit`: the pipeline itself is the job (top-level steps). */
function jobDraft(ctx: Ctx, node: RMap, index: number, inherited: Inherited, implicit: boolean): JobDraft[] | undefined {
  const isDeployment = get(node, 'deployment') !== undefined;
  if (!implicit) checkKeys(ctx.diagnostics, node, isDeployment ? deploymentKeys : jobKeys, isDeployment ? 'a deployment job' : 'a job');
  let key = text(get(node, isDeployment ? 'deployment' : 'job')) ?? (implicit ? 'Job' : undefined);
  if (!key) key = index === 0 ? 'Job' : `Job${index + 1}`;
  else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    ctx.diagnostics.push(diagnosticAt('error', 'azure-job-name', `Job name '${key}' may contain only letters, digits and _ and must not start with a digit.`, range((get(node, isDeployment ? 'deployment' : 'job') ?? node).at)));
  }
  const conditionNode = get(node, 'condition');
  const own = text(conditionNode);
  const condition = inherited.condition && own ? `stage: ${inherited.condition}; job: ${own}` : inherited.condition ? `stage: ${inherited.condition}` : own;
  const when = combineWhen(inherited.when, conditionWhen(ctx, conditionNode));
  const variables = { ...inherited.variables, ...variablesOf(ctx, get(node, 'variables')) };
  const steps = isDeployment ? deploymentSteps(ctx, node, key) : stepsOf(ctx, get(node, 'steps'), key, node);
  const timeout = Number(text(get(node, 'timeoutInMinutes')));
  const environment = isDeployment ? environmentOf(get(node, 'environment')) : undefined;
  const image = imageOf(ctx, get(node, 'container'));
  const services = servicesOf(ctx, get(node, 'services'));
  const dependsOnNode = get(node, 'dependsOn');
  const dependsOn = dependsOnNode === undefined ? [] : namesOf(ctx, dependsOnNode, `dependsOn of job '${key}'`);
  const source = spanRange(node.at);
  const base = {
    name: key,
    stage: '',
    matrix: null,
    ...(condition !== undefined ? { condition } : {}),
    when,
    allowFailure: text(get(node, 'continueOnError'))?.toLowerCase() === 'true',
    retry: 0,
    ...(Number.isFinite(timeout) && timeout > 0 ? { timeoutSeconds: timeout * 60 } : {}),
    ...(environment ? { environment } : {}),
    variables,
    steps,
    ...(image ? { image } : {}),
    ...(services.length > 0 ? { services } : {}),
    source,
  };
  const legs = isDeployment ? undefined : matrixLegs(ctx, get(node, 'strategy'), key);
  if (!legs) return [{ key, job: base, dependsOn, at: node.at }];
  return legs.map(([leg, values]) => ({
    key,
    job: { ...base, name: `${key} ${leg}`, matrix: values, variables: { ...variables, ...values } },
    dependsOn,
    at: node.at,
  }));
}

function matrixLegs(ctx: Ctx, strategy: RNode | undefined, key: string): [string, Record<string, string>][] | undefined {
  const matrix = get(strategy, 'matrix');
  if (!matrix) {
    const parallel = Number(text(get(strategy, 'parallel')));
    if (Number.isInteger(parallel) && parallel > 1) {
      ctx.diagnostics.push(diagnosticAt('info', 'azure-parallel', `Job '${key}' runs as ${parallel} slices of one job; the plan shows it once.`, range(get(strategy, 'parallel')!.at)));
    }
    return undefined;
  }
  if (matrix.kind !== 'map') {
    ctx.diagnostics.push(diagnosticAt('info', 'azure-matrix-dynamic', `The matrix of job '${key}' is computed when the pipeline runs; its legs are not listed.`, range(matrix.at)));
    return undefined;
  }
  const legs: [string, Record<string, string>][] = [];
  for (const [leg, vars] of matrix.entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(leg)) {
      ctx.diagnostics.push(diagnosticAt('error', 'azure-matrix', `Matrix leg '${leg}' of job '${key}' may contain only letters, digits and _.`, keyRange(vars.at)));
    }
    const values: Record<string, string> = {};
    if (vars.kind === 'map') for (const [k, v] of vars.entries) values[k] = text(v) ?? '';
    else ctx.diagnostics.push(diagnosticAt('error', 'azure-matrix', `Matrix leg '${leg}' of job '${key}' must map variable names to values.`, range(vars.at)));
    legs.push([leg, values]);
  }
  if (legs.length === 0) {
    ctx.diagnostics.push(diagnosticAt('error', 'azure-matrix', `The matrix of job '${key}' has no legs.`, range(matrix.at)));
    return undefined;
  }
  if (legs.length > maxMatrixLegs) {
    ctx.diagnostics.push(diagnosticAt('error', 'matrix-too-large', `The matrix of job '${key}' has ${legs.length} legs; only the first ${maxMatrixLegs} are shown.`, range(matrix.at)));
  }
  return legs.slice(0, maxMatrixLegs);
}

function deploymentSteps(ctx: Ctx, node: RMap, key: string): Step[] {
  const strategy = get(node, 'strategy');
  const kind = strategy?.kind === 'map' ? strategy.entries[0] : undefined;
  if (!kind) {
    ctx.diagnostics.push(diagnosticAt('error', 'empty-job', `Deployment job '${key}' needs a strategy (runOnce, rolling or canary) with steps.`, keyRange(node.at)));
    return [];
  }
  const [, body] = kind;
  const steps: Step[] = [];
  for (const hook of deploymentHooks) steps.push(...stepsOf(ctx, get(get(body, hook), 'steps'), key, undefined, 'main'));
  const on = get(body, 'on');
  for (const outcome of ['failure', 'success']) {
    for (const step of stepsOf(ctx, get(get(on, outcome), 'steps'), key, undefined, 'after')) steps.push({ ...step, condition: step.condition ?? `on ${outcome}` });
  }
  if (steps.length === 0) ctx.diagnostics.push(diagnosticAt('error', 'empty-job', `Deployment job '${key}' has no steps in its strategy.`, keyRange(node.at)));
  return steps;
}

function stepsOf(ctx: Ctx, list: RNode | undefined, key: string, jobNode: RMap | undefined, phase: 'main' | 'after' = 'main'): Step[] {
  if (!list) {
    if (jobNode) ctx.diagnostics.push(diagnosticAt('error', 'empty-job', `Job '${key}' has no steps.`, keyRange(jobNode.at)));
    return [];
  }
  const steps: Step[] = [];
  for (const node of listItems(ctx, list, 'steps')) {
    checkKeys(ctx.diagnostics, node, [...stepKinds, ...stepCommonKeys], `a step of job '${key}'`);
    const kind = stepKinds.find((k) => get(node, k) !== undefined);
    if (!kind) {
      ctx.diagnostics.push(diagnosticAt('error', 'azure-step', `A step of job '${key}' needs one of ${stepKinds.slice(0, 4).join(', ')}, task or checkout.`, range(node.at)));
      continue;
    }
    if (text(get(node, 'enabled'))?.toLowerCase() === 'false') continue;
    const value = text(get(node, kind)) ?? '';
    const display = text(get(node, 'displayName'));
    const env: Record<string, string> = {};
    const envNode = get(node, 'env');
    if (envNode?.kind === 'map') for (const [k, v] of envNode.entries) env[k] = text(v) ?? '';
    const condition = text(get(node, 'condition'));
    const timeout = Number(text(get(node, 'timeoutInMinutes')));
    const common = {
      phase,
      range: range(node.at),
      ...(Object.keys(env).length > 0 ? { env } : {}),
      ...(condition !== undefined ? { condition } : {}),
      ...(text(get(node, 'continueOnError'))?.toLowerCase() === 'true' ? { continueOnError: true } : {}),
      ...(Number.isFinite(timeout) && timeout > 0 ? { timeoutSeconds: timeout * 60 } : {}),
    };
    if (kind in shellOf) {
      const shell = shellOf[kind];
      const workingDirectory = text(get(node, 'workingDirectory'));
      steps.push({ name: display ?? firstLine(value), kind: 'script', script: value, ...(shell ? { shell } : {}), ...(workingDirectory ? { workingDirectory } : {}), ...common });
    } else {
      const uses = kind === 'task' ? value : `${kind}: ${value}`;
      steps.push({ name: display ?? uses, kind: 'uses', uses, ...common });
    }
  }
  return steps;
}

/** Stages in dependency order, jobs with their needs spelled out. */
function assemble(ctx: Ctx, drafts: StageDraft[], explicitStages: boolean): { stages: Stage[]; jobs: Job[] } {
  const byName = new Map<string, StageDraft>();
  for (const d of drafts) {
    if (byName.has(d.name)) ctx.diagnostics.push(diagnosticAt('error', 'duplicate-name', `Stage name '${d.name}' is used more than once.`, keyRange(d.at)));
    else byName.set(d.name, d);
  }
  const deps = new Map<StageDraft, StageDraft[]>();
  drafts.forEach((d, i) => {
    const names = d.dependsOn ?? (i > 0 ? [drafts[i - 1]!.name] : []);
    const list: StageDraft[] = [];
    for (const n of names) {
      const target = byName.get(n);
      if (!target) ctx.diagnostics.push(diagnosticAt('error', 'unknown-need', `Stage '${d.name}' depends on '${n}', which is not a stage of this pipeline.`, range(d.dependsOnAt)));
      else if (target === d) ctx.diagnostics.push(diagnosticAt('error', 'needs-cycle', `Stage '${d.name}' depends on itself.`, range(d.dependsOnAt)));
      else list.push(target);
    }
    deps.set(d, list);
  });
  const order = topologicalOrder(drafts, deps, (cycle) =>
    ctx.diagnostics.push(diagnosticAt('error', 'needs-cycle', `Stages depend on each other in a loop: ${cycle.map((s) => s.name).join(' → ')}.`, range(cycle[0]!.dependsOnAt))),
  );
  const definitionOf = (stage: StageDraft, jobKey: string): string => (explicitStages ? `${stage.name}.${jobKey}` : jobKey);
  const jobs: Job[] = [];
  const stages: Stage[] = [];
  const ids = new Set<string>();
  for (const stage of order) {
    const keys = new Set(stage.jobs.map((j) => j.key));
    const seen = new Map<string, Origin>();
    for (const j of stage.jobs) {
      const first = seen.get(j.key);
      if (first && first !== j.at) {
        ctx.diagnostics.push(diagnosticAt('error', 'duplicate-name', `Job name '${j.key}' is used more than once in stage '${stage.name}'.`, keyRange(j.at)));
      }
      seen.set(j.key, first ?? j.at);
    }
    // Only stages placed before this one: a dependency loop is reported once, not again as needs.
    const placed = order.slice(0, order.indexOf(stage));
    const upstream = (deps.get(stage) ?? []).filter((s) => placed.includes(s)).flatMap((s) => [...new Set(s.jobs.map((j) => definitionOf(s, j.key)))]);
    const stageJobIds: string[] = [];
    for (const j of stage.jobs) {
      const needs: Need[] = [];
      for (const d of j.dependsOn) {
        if (!keys.has(d)) {
          const elsewhere = drafts.find((s) => s !== stage && s.jobs.some((x) => x.key === d));
          ctx.diagnostics.push(
            diagnosticAt(
              'error',
              'unknown-need',
              elsewhere
                ? `Job '${j.key}' depends on '${d}' of stage '${elsewhere.name}'; a job can depend only on jobs of its own stage (let the stage depend on '${elsewhere.name}').`
                : `Job '${j.key}' depends on '${d}', which is not a job of stage '${stage.name}'.`,
              keyRange(j.at),
            ),
          );
          continue;
        }
        needs.push({ job: definitionOf(stage, d), optional: false, artifacts: true });
      }
      const allNeeds = j.dependsOn.length > 0 ? needs : upstream.map((job) => ({ job, optional: false, artifacts: true }));
      let id = `${ctx.file}#${explicitStages ? `${stage.name}.` : ''}${j.job.name}`;
      for (let n = 2; ids.has(id); n++) id = `${ctx.file}#${explicitStages ? `${stage.name}.` : ''}${j.job.name} #${n}`;
      ids.add(id);
      jobs.push({ ...j.job, id, definition: definitionOf(stage, j.key), stage: stage.name, needs: allNeeds });
      stageJobIds.push(id);
    }
    stages.push({ name: stage.name, jobs: stageJobIds });
  }
  return { stages, jobs };
}

/** Kahn's order, stable by file order; a cycle is reported and its stages follow in file order. */
function topologicalOrder(drafts: StageDraft[], deps: Map<StageDraft, StageDraft[]>, onCycle: (cycle: StageDraft[]) => void): StageDraft[] {
  const remaining = new Set(drafts);
  const order: StageDraft[] = [];
  while (remaining.size > 0) {
    const ready = drafts.find((d) => remaining.has(d) && (deps.get(d) ?? []).every((x) => !remaining.has(x)));
    if (ready) {
      order.push(ready);
      remaining.delete(ready);
      continue;
    }
    const stuck = drafts.filter((d) => remaining.has(d));
    // Walk dependencies inside what is left until a stage repeats: that part is the loop.
    const path: StageDraft[] = [];
    let at: StageDraft | undefined = stuck[0];
    while (at && !path.includes(at)) {
      path.push(at);
      at = (deps.get(at) ?? []).find((x) => remaining.has(x));
    }
    const cycle = at ? [...path.slice(path.indexOf(at)), at] : stuck;
    onCycle(cycle);
    order.push(...stuck);
    break;
  }
  return order;
}

function listItems(ctx: Ctx, node: RNode, what: string): RMap[] {
  if (node.kind !== 'list') {
    if (!(node.kind === 'scalar' && node.value === null)) ctx.diagnostics.push(diagnosticAt('error', 'azure-structure', `${what} must be a list.`, range(node.at)));
    return [];
  }
  const out: RMap[] = [];
  for (const item of node.items) {
    if (item.kind === 'map') out.push(item);
    else ctx.diagnostics.push(diagnosticAt('error', 'azure-structure', `Each entry of ${what} must be a mapping.`, range(item.at)));
  }
  return out;
}

function namesOf(ctx: Ctx, node: RNode, what: string): string[] {
  if (node.kind === 'scalar') return node.value === null || node.value === '' ? [] : [String(node.value)];
  if (node.kind === 'list') {
    return node.items.flatMap((i) => {
      const t = text(i);
      if (t === undefined) ctx.diagnostics.push(diagnosticAt('error', 'azure-structure', `${what} must list names.`, range(i.at)));
      return t === undefined ? [] : [t];
    });
  }
  ctx.diagnostics.push(diagnosticAt('error', 'azure-structure', `${what} must be a name or a list of names.`, range(node.at)));
  return [];
}

function variablesOf(ctx: Ctx, node: RNode | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!node) return out;
  if (node.kind === 'map') {
    for (const [k, v] of node.entries) out[k] = text(v) ?? '';
  } else if (node.kind === 'list') {
    for (const item of node.items) {
      const name = text(get(item, 'name'));
      if (name !== undefined) out[name] = text(get(item, 'value')) ?? '';
      else if (get(item, 'group') === undefined && get(item, 'template') === undefined) {
        ctx.diagnostics.push(diagnosticAt('error', 'azure-variables', 'A variables entry needs name and value, group, or template.', range(item.at)));
      }
    }
  }
  return out;
}

function containerResources(pipeline: RMap): Map<string, string> {
  const out = new Map<string, string>();
  const containers = get(get(pipeline, 'resources'), 'containers');
  if (containers?.kind === 'list') {
    for (const c of containers.items) {
      const alias = text(get(c, 'container'));
      const image = text(get(c, 'image'));
      if (alias && image) out.set(alias, image);
    }
  }
  return out;
}

function imageOf(ctx: Ctx, node: RNode | undefined): string | undefined {
  const value = text(node) ?? text(get(node, 'image'));
  if (value === undefined) return undefined;
  return ctx.containers.get(value) ?? value;
}

function servicesOf(ctx: Ctx, node: RNode | undefined): string[] {
  if (node?.kind !== 'map') return [];
  return node.entries.map(([name, v]) => imageOf(ctx, v) ?? name);
}

function environmentOf(node: RNode | undefined): Environment | undefined {
  const name = text(node) ?? text(get(node, 'name'));
  if (!name) return undefined;
  const resource = text(get(node, 'resourceName'));
  return { name: resource ? `${name}.${resource}` : name };
}

function conditionWhen(ctx: Ctx, node: RNode | undefined): When {
  if (!node) return 'on_success';
  const value = node.kind === 'scalar' ? node.value : undefined;
  const { when, problem } = whenOfAzureCondition(value);
  if (problem) ctx.diagnostics.push(diagnosticAt('error', 'azure-expression', `The condition cannot be read: ${problem}`, range(node.at)));
  return when;
}

function combineWhen(outer: When, own: When): When {
  if (outer === 'never' || own === 'never') return 'never';
  if (outer === 'on_success') return own;
  return own === 'on_success' ? outer : own;
}

function checkKeys(diagnostics: Diagnostic[], node: RNode, known: readonly string[], where: string): void {
  if (node.kind !== 'map') return;
  for (const [k, v] of node.entries) if (!known.includes(k)) diagnostics.push(unknownKeyDiagnostic(k, where, keyRange(v.at), known));
}

function range(at: Origin): SourceRange {
  return rangeOfNode(asYamlNode(at));
}

function keyRange(at: Origin): SourceRange {
  return keyRangeOfNode(asYamlNode(at));
}

/** A list item's whole span, from its dash to its end. */
function spanRange(at: Origin): SourceRange {
  const key = keyRange(at);
  const body = range(at);
  if (body.file !== key.file || body.endLine < key.startLine) return key;
  return { file: key.file, startLine: key.startLine, startColumn: key.startColumn, endLine: body.endLine, endColumn: body.endColumn };
}
