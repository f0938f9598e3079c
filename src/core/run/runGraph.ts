/**
 * Which jobs a run contains and what each waits for: the needs DAG where a job declares `needs`,
 * stage order where it does not (GitLab: every job of every earlier stage), narrowed to what the
 * person selected. Pure: the scheduler runs on this.
 */
import { OpsloopError } from '../errors';
import type { Job, Pipeline, When } from '../pipeline/model';
import type { JobStatus, JobEndCause } from './runEvents';

export type RunSelection =
  | { readonly kind: 'pipeline' }
  /** Jobs by id, name or matrix parent name, each with the jobs it needs (transitively). */
  | { readonly kind: 'jobs'; readonly jobs: readonly string[] }
  /** The jobs of one stage; jobs they need outside the stage are taken as done. */
  | { readonly kind: 'stage'; readonly stage: string }
  /** What did not pass in an earlier run of the same pipeline; what passed is taken as done. */
  | { readonly kind: 'failed'; readonly previous: PreviousRun };

/** The part of an earlier run that "re-run failed" needs. */
export interface PreviousRun {
  readonly runId: string;
  readonly jobs: readonly { readonly id: string; readonly status: JobStatus; readonly cause?: JobEndCause }[];
}

export interface RunGraphJob {
  readonly id: string;
  readonly name: string;
  readonly stage: string;
  /** Job ids inside this run that must end before this one is decided. */
  readonly deps: readonly string[];
  /** The subset of deps whose declared artifacts this job receives. */
  readonly artifactsFrom: readonly string[];
  /** True when `needs` was declared: a skipped need then skips this job too. */
  readonly explicitNeeds: boolean;
  readonly when: When;
  readonly allowFailure: boolean;
  readonly allowFailureExitCodes?: readonly number[];
  readonly retry: number;
  /** The person picked this job by name: a `when: manual` job runs without asking again. */
  readonly confirmed: boolean;
}

export interface RunGraph {
  /** In start priority: topological, ties in file order. */
  readonly jobs: readonly RunGraphJob[];
  /** Words for the run's header ("pipeline", "job build", ...). */
  readonly description: string;
  /** Needs that point nowhere, jobs dropped from a re-run, and similar. */
  readonly warnings: readonly string[];
}

/** GitLab allows at most 2 retries; other formats map onto the same count. */
const maxRetry = 2;

/** Jobs that `when: never` removes from every run (the CI would not create them). */
function runnable(job: Job): boolean {
  return job.when !== 'never';
}

function stageIndexer(pipeline: Pipeline): (stage: string) => number {
  const order = new Map<string, number>();
  pipeline.stages.forEach((s, i) => order.set(s.name, i));
  for (const job of pipeline.jobs) if (!order.has(job.stage)) order.set(job.stage, order.size);
  return (stage) => order.get(stage) ?? order.size;
}

/** Resolves a need's name to job ids: an exact job name first, else every instance of a matrix parent. */
function resolveName(name: string, jobs: readonly Job[]): Job[] {
  const exact = jobs.filter((j) => j.name === name);
  if (exact.length > 0) return exact;
  return jobs.filter((j) => j.definition === name);
}

interface Resolved {
  readonly job: Job;
  readonly deps: string[];
  readonly artifactsFrom: string[];
}

function resolveDependencies(pipeline: Pipeline, warnings: string[]): Map<string, Resolved> {
  const jobs = pipeline.jobs.filter(runnable);
  const stageOf = stageIndexer(pipeline);
  const result = new Map<string, Resolved>();
  for (const job of jobs) {
    const deps: string[] = [];
    const artifactsFrom: string[] = [];
    if (job.needs === null) {
      const mine = stageOf(job.stage);
      for (const other of jobs) {
        if (other.id !== job.id && stageOf(other.stage) < mine) {
          deps.push(other.id);
          artifactsFrom.push(other.id);
        }
      }
    } else {
      for (const need of job.needs) {
        const targets = resolveName(need.job, jobs);
        if (targets.length === 0) {
          const dropped = resolveName(need.job, pipeline.jobs).length > 0;
          if (!need.optional) {
            warnings.push(
              dropped
                ? `${job.name} needs ${need.job}, which is never created (when: never); the need is ignored locally.`
                : `${job.name} needs ${need.job}, which does not exist; the need is ignored.`,
            );
          }
          continue;
        }
        for (const target of targets) {
          if (target.id === job.id || deps.includes(target.id)) continue;
          deps.push(target.id);
          if (need.artifacts) artifactsFrom.push(target.id);
        }
      }
    }
    result.set(job.id, { job, deps, artifactsFrom });
  }
  return result;
}

/** Topological order with ties broken by file order; a cycle is the input's error, named. */
function topologicalOrder(resolved: Map<string, Resolved>, order: readonly string[]): string[] {
  const position = new Map(order.map((id, i) => [id, i]));
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of order) {
    indegree.set(id, resolved.get(id)!.deps.length);
    for (const dep of resolved.get(id)!.deps) {
      const list = dependents.get(dep) ?? [];
      list.push(id);
      dependents.set(dep, list);
    }
  }
  // A small binary heap keyed by file position keeps this O(E log V) for big plans.
  const heap: string[] = [];
  const less = (a: string, b: string): boolean => position.get(a)! < position.get(b)!;
  const push = (id: string): void => {
    heap.push(id);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const pop = (): string => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  for (const id of order) if (indegree.get(id) === 0) push(id);
  const sorted: string[] = [];
  while (heap.length > 0) {
    const id = pop();
    sorted.push(id);
    for (const next of dependents.get(id) ?? []) {
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) push(next);
    }
  }
  if (sorted.length < order.length) {
    const stuck = order.filter((id) => !sorted.includes(id));
    const names = stuck.map((id) => resolved.get(id)!.job.name);
    throw new OpsloopError('invalidInput', `The needs of these jobs form a cycle, so none of them can start: ${names.join(', ')}.`, 'Fix the needs in the pipeline file');
  }
  return sorted;
}

/** The jobs a selection names, by id, exact name or matrix parent name. */
function matchJobs(wanted: string, jobs: readonly Job[]): Job[] {
  const byId = jobs.filter((j) => j.id === wanted);
  if (byId.length > 0) return byId;
  return resolveName(wanted, jobs);
}

function closure(roots: Iterable<string>, resolved: Map<string, Resolved>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const dep of resolved.get(id)?.deps ?? []) stack.push(dep);
  }
  return seen;
}

/** Statuses of an earlier run that "re-run failed" repeats. */
export function needsRerun(job: { readonly status: JobStatus; readonly cause?: JobEndCause }): boolean {
  switch (job.status) {
    case 'failed':
    case 'canceled':
    case 'queued':
    case 'running':
      return true;
    case 'skipped':
      return job.cause === 'upstream' || job.cause === 'canceled' || job.cause === undefined;
    default:
      return false;
  }
}

/**
 * Builds the graph of one run of `pipeline`. Throws OpsloopError('invalidInput') when the
 * selection names nothing, or when the needs form a cycle.
 */
export function buildRunGraph(pipeline: Pipeline, selection: RunSelection): RunGraph {
  const warnings: string[] = [];
  const resolved = resolveDependencies(pipeline, warnings);
  const fileOrder = pipeline.jobs.filter(runnable).map((j) => j.id);
  const sorted = topologicalOrder(resolved, fileOrder);
  const runnableJobs = pipeline.jobs.filter(runnable);

  let selected: Set<string>;
  const confirmed = new Set<string>();
  let description: string;
  switch (selection.kind) {
    case 'pipeline':
      if (fileOrder.length === 0) throw new OpsloopError('invalidInput', `${pipeline.file} has no job to run.`);
      selected = new Set(fileOrder);
      description = 'pipeline';
      break;
    case 'jobs': {
      const roots: string[] = [];
      for (const wanted of selection.jobs) {
        const found = matchJobs(wanted, runnableJobs);
        if (found.length === 0) {
          const never = matchJobs(wanted, pipeline.jobs);
          if (never.length > 0) throw new OpsloopError('invalidInput', `Job '${wanted}' has when: never in ${pipeline.file}; it never runs.`);
          const names = runnableJobs.map((j) => j.name);
          throw new OpsloopError('invalidInput', `No job '${wanted}' in ${pipeline.file}. Jobs: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', ...' : ''}.`);
        }
        for (const job of found) {
          roots.push(job.id);
          confirmed.add(job.id);
        }
      }
      selected = closure(roots, resolved);
      const names = [...new Set(selection.jobs)];
      description = `${names.length === 1 ? 'job' : 'jobs'} ${names.join(', ')}`;
      break;
    }
    case 'stage': {
      const jobs = runnableJobs.filter((j) => j.stage === selection.stage);
      if (jobs.length === 0) {
        const stages = [...new Set(runnableJobs.map((j) => j.stage))];
        throw new OpsloopError('invalidInput', `No job in stage '${selection.stage}' of ${pipeline.file}. Stages: ${stages.join(', ')}.`);
      }
      selected = new Set(jobs.map((j) => j.id));
      description = `stage ${selection.stage}`;
      break;
    }
    case 'failed': {
      selected = new Set();
      const known = new Set(fileOrder);
      for (const job of selection.previous.jobs) {
        if (!needsRerun(job)) continue;
        if (known.has(job.id)) selected.add(job.id);
        else warnings.push(`${job.id} is no longer in ${pipeline.file}; it is not re-run.`);
      }
      if (selected.size === 0) throw new OpsloopError('invalidInput', `Run ${selection.previous.runId} has no failed job to re-run.`);
      for (const id of selected) confirmed.add(id);
      description = `failed jobs of run ${selection.previous.runId}`;
      break;
    }
  }

  const jobs: RunGraphJob[] = [];
  for (const id of sorted) {
    if (!selected.has(id)) continue;
    const { job, deps, artifactsFrom } = resolved.get(id)!;
    jobs.push({
      id,
      name: job.name,
      stage: job.stage,
      deps: deps.filter((d) => selected.has(d)),
      artifactsFrom: artifactsFrom.filter((d) => selected.has(d)),
      explicitNeeds: job.needs !== null,
      when: job.when,
      allowFailure: job.allowFailure,
      ...(job.allowFailureExitCodes ? { allowFailureExitCodes: job.allowFailureExitCodes } : {}),
      retry: Math.max(0, Math.min(maxRetry, Math.floor(job.retry || 0))),
      confirmed: confirmed.has(id),
    });
  }
  return { jobs, description, warnings };
}

/** Every job whose artifacts `jobId` receives, including those outside the run (for isolated mode). */
export function artifactSources(pipeline: Pipeline, jobId: string): string[] {
  const resolved = resolveDependencies(pipeline, []);
  return resolved.get(jobId)?.artifactsFrom ?? [];
}
