import type { Diagnostic, Job, Pipeline, PipelineFormat, Plan, Stage, Step } from '../../core/pipeline/model';

/**
 * The elements of the Pipelines tree. Menu commands receive them as their first argument;
 * `jobIdsFromArgument` and friends below read any of them (or a plain id string) so a
 * command works the same from the tree, a CodeLens or the command palette.
 */
export type PipelineNode = FileNode | StageNode | JobNode | InstanceNode | StepNode | ProblemNode | LoadErrorNode;

export interface FileNode {
  readonly kind: 'file';
  readonly file: string;
  readonly format: PipelineFormat | undefined;
  readonly pipeline: Pipeline | undefined;
  /** Problems of this file that stopped it from being read, or errors in it. */
  readonly problems: readonly Diagnostic[];
}

export interface StageNode {
  readonly kind: 'stage';
  readonly file: string;
  readonly pipeline: Pipeline;
  readonly stage: Stage;
}

/** One job definition: a job, or the parent of its matrix / parallel instances. */
export interface JobNode {
  readonly kind: 'job';
  readonly file: string;
  readonly pipeline: Pipeline;
  readonly definition: string;
  readonly stage: string;
  /** The job, or all its instances in this stage. */
  readonly jobs: readonly Job[];
}

export interface InstanceNode {
  readonly kind: 'instance';
  readonly file: string;
  readonly pipeline: Pipeline;
  readonly job: Job;
}

export interface StepNode {
  readonly kind: 'step';
  readonly file: string;
  readonly pipeline: Pipeline;
  readonly job: Job;
  readonly step: Step;
  readonly index: number;
}

export interface ProblemNode {
  readonly kind: 'problem';
  readonly file: string;
  readonly diagnostic: Diagnostic;
}

export interface LoadErrorNode {
  readonly kind: 'loadError';
  readonly message: string;
}

/** A job node stands for instances when the job was expanded from a matrix or `parallel`. */
export function isMatrixGroup(node: JobNode): boolean {
  return node.jobs.length > 1 || node.jobs.some((j) => j.matrix !== null);
}

/** The file nodes of a plan, in the plan's order. */
export function fileNodes(plan: Plan): FileNode[] {
  return plan.files.map((file) => {
    const pipeline = plan.pipelines.find((p) => p.file === file);
    const own = plan.diagnostics.filter((d) => d.file === file && d.severity === 'error');
    const fromPipeline = pipeline ? pipeline.diagnostics.filter((d) => d.severity === 'error') : [];
    const problems = [...new Map([...own, ...fromPipeline].map((d) => [`${d.file}|${d.line}|${d.column}|${d.code}|${d.message}`, d])).values()];
    return { kind: 'file', file, format: pipeline?.format, pipeline, problems };
  });
}

export function stageNodes(file: FileNode): StageNode[] {
  const p = file.pipeline;
  if (!p) return [];
  return p.stages.filter((s) => s.jobs.length > 0).map((stage) => ({ kind: 'stage', file: file.file, pipeline: p, stage }));
}

/** The job definitions of a stage, in file order, each with its instances. */
export function jobNodes(stage: StageNode): JobNode[] {
  const byId = new Map(stage.pipeline.jobs.map((j) => [j.id, j]));
  const groups = new Map<string, Job[]>();
  for (const id of stage.stage.jobs) {
    const job = byId.get(id);
    if (!job) continue;
    const list = groups.get(job.definition);
    if (list) list.push(job);
    else groups.set(job.definition, [job]);
  }
  return [...groups].map(([definition, jobs]) => ({ kind: 'job', file: stage.file, pipeline: stage.pipeline, definition, stage: stage.stage.name, jobs }));
}

export function instanceNodes(job: JobNode): InstanceNode[] {
  return job.jobs.map((j) => ({ kind: 'instance', file: job.file, pipeline: job.pipeline, job: j }));
}

export function stepNodes(file: string, pipeline: Pipeline, job: Job): StepNode[] {
  return job.steps.map((step, index) => ({ kind: 'step', file, pipeline, job, step, index }));
}

function isNode(value: unknown): value is PipelineNode {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

/**
 * The job ids a command argument stands for: a job id string, a job or instance node (one id),
 * a matrix job node (all its instances), a step node (its job). Empty for anything else.
 */
export function jobIdsFromArgument(arg: unknown): string[] {
  if (typeof arg === 'string') return [arg];
  if (!isNode(arg)) return [];
  switch (arg.kind) {
    case 'job':
      return arg.jobs.map((j) => j.id);
    case 'instance':
    case 'step':
      return [arg.job.id];
    default:
      return [];
  }
}

/** The (file, stage) a runStage argument names: a stage node, or the two CodeLens arguments. */
export function stageFromArguments(...args: unknown[]): { file: string; stage: string } | undefined {
  const [first, second] = args;
  if (typeof first === 'string' && typeof second === 'string') return { file: first, stage: second };
  if (isNode(first) && first.kind === 'stage') return { file: first.file, stage: first.stage.name };
  return undefined;
}

/** The pipeline file an argument belongs to (any node, or a path string). */
export function pipelineFileFromArgument(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg.includes('#') ? arg.slice(0, arg.indexOf('#')) : arg;
  if (!isNode(arg) || arg.kind === 'loadError') return undefined;
  return arg.file;
}
