/**
 * Checks over a whole plan that do not depend on the format: needs that name no job, needs
 * cycles, needs on a later stage, duplicate job names, jobs without steps. Format-specific
 * checks (unknown keys, YAML errors) come from the parsers; `unknownKeyDiagnostic` gives them
 * one wording and one code.
 */
import type { Diagnostic, Job, Pipeline, Plan, SourceRange } from './model';

/** Codes of the checks in this file, stable for tools that filter on them. */
export const ValidationCode = {
  unknownNeed: 'unknown-need',
  needsCycle: 'needs-cycle',
  needLaterStage: 'need-later-stage',
  duplicateName: 'duplicate-name',
  emptyJob: 'empty-job',
  unknownKey: 'unknown-key',
} as const;

/** A key the format does not know: a warning (a typo such as `need:` otherwise does nothing, silently). */
export function unknownKeyDiagnostic(key: string, where: string, range: SourceRange, known?: readonly string[]): Diagnostic {
  const suggestion = known ? closest(key, known) : undefined;
  return {
    severity: 'warning',
    code: ValidationCode.unknownKey,
    message: `Unknown key '${key}' in ${where}${suggestion ? `; did you mean '${suggestion}'?` : '.'}`,
    file: range.file,
    line: range.startLine,
    column: range.startColumn,
    endLine: range.endLine,
    endColumn: range.endColumn,
  };
}

/** The diagnostics of the plan-wide checks for one pipeline (not including the pipeline's own). */
export function validatePipeline(pipeline: Pipeline): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (job: Job, severity: Diagnostic['severity'], code: string, message: string): void => {
    out.push({
      severity,
      code,
      message,
      file: job.source.file,
      line: job.source.startLine,
      column: job.source.startColumn,
      endLine: job.source.endLine,
      endColumn: job.source.endColumn,
    });
  };

  const byReference = new Map<string, Job[]>();
  const addReference = (key: string, job: Job): void => {
    const list = byReference.get(key);
    if (!list) byReference.set(key, [job]);
    else if (!list.includes(job)) list.push(job);
  };
  for (const job of pipeline.jobs) {
    addReference(job.definition, job);
    addReference(job.name, job);
  }
  const stageIndex = new Map(pipeline.stages.map((s, i) => [s.name, i] as const));

  // Duplicate names: GitHub allows two jobs to show the same name (a warning); elsewhere a name is an identity.
  // Names are reported in the order they first appear; the later jobs of each name in job order.
  const firstByName = new Map<string, Job>();
  let duplicates: Map<string, Job[]> | undefined;
  for (const job of pipeline.jobs) {
    const first = firstByName.get(job.name);
    if (first === undefined) firstByName.set(job.name, job);
    else {
      duplicates ??= new Map();
      const later = duplicates.get(job.name);
      if (later) later.push(job);
      else duplicates.set(job.name, [job]);
    }
  }
  if (duplicates) {
    const reported = new Set(pipeline.diagnostics.map((d) => `${d.code}|${d.file}|${d.line}`));
    for (const [name, firstJob] of firstByName) {
      const later = duplicates.get(name);
      if (!later) continue;
      for (const job of later) {
        if (reported.has(`${ValidationCode.duplicateName}|${job.source.file}|${job.source.startLine}`)) continue;
        const first = firstJob.source;
        at(job, pipeline.format === 'github' ? 'warning' : 'error', ValidationCode.duplicateName, `Job name '${name}' is used more than once (first at ${first.file}:${first.startLine}).`);
      }
    }
  }

  // The parser's own empty-job diagnostics, looked up per job (most pipelines have none).
  const emptyReported = pipeline.diagnostics.filter((d) => d.code === ValidationCode.emptyJob);
  for (const job of pipeline.jobs) {
    const alreadyEmpty =
      emptyReported.length > 0 && emptyReported.some((d) => d.file === job.source.file && d.line >= job.source.startLine && d.line <= job.source.endLine);
    if (!alreadyEmpty && !job.steps.some((s) => s.phase === 'main')) at(job, 'error', ValidationCode.emptyJob, `Job '${job.name}' has no steps to run.`);

    for (const need of job.needs ?? []) {
      const targets = byReference.get(need.job);
      if (!targets) {
        if (!need.optional) at(job, 'error', ValidationCode.unknownNeed, `Job '${job.name}' needs '${need.job}', which is not a job of ${pipeline.file}.`);
        continue;
      }
      const own = stageIndex.get(job.stage);
      for (const target of targets) {
        const theirs = stageIndex.get(target.stage);
        if (own !== undefined && theirs !== undefined && theirs > own) {
          at(job, 'error', ValidationCode.needLaterStage, `Job '${job.name}' (stage ${job.stage}) needs '${target.name}' of the later stage ${target.stage}.`);
          break;
        }
      }
    }
  }

  for (const component of needsCycles(pipeline.jobs, byReference)) {
    const members = new Set(component);
    // A path from each job of a small loop; one shared path for a big one (a search per job would be quadratic).
    const describe = (path: Job[]): string => (path.length === 1 ? `Job '${path[0]!.name}' needs itself.` : `Needs form a cycle: ${cycleText([...path, path[0]!])}.`);
    const shared = component.length > maxCyclePaths ? describe(cycleThrough(component[0]!, members, byReference)) : undefined;
    for (const job of component) at(job, 'error', ValidationCode.needsCycle, shared ?? describe(cycleThrough(job, members, byReference)));
  }
  return out;
}

/**
 * The plan with every pipeline's checks added to its diagnostics, and `plan.diagnostics` holding
 * all of them (plan-level ones first), sorted by file and position, without duplicates.
 */
export function validatePlan(plan: Plan): Plan {
  const pipelines = plan.pipelines.map((p) => ({ ...p, diagnostics: unique([...p.diagnostics, ...validatePipeline(p)]) }));
  const all = unique([...plan.diagnostics, ...pipelines.flatMap((p) => p.diagnostics)]);
  return { ...plan, pipelines, diagnostics: sortDiagnostics(all) };
}

export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}

function unique(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    const key = `${d.severity}|${d.code}|${d.file}|${d.line}|${d.column}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/**
 * Strongly connected components with more than one job, or a job that needs itself (Tarjan,
 * iterative). Jobs are numbered once and the search runs on arrays of numbers: it visits every
 * job of the plan, so it allocates nothing per job beyond its list of successors.
 */
function needsCycles(jobs: readonly Job[], byReference: Map<string, Job[]>): Job[][] {
  const ids = new Map<Job, number>();
  const nodes: Job[] = [];
  for (const job of jobs) {
    if (!ids.has(job)) {
      ids.set(job, nodes.length);
      nodes.push(job);
    }
  }
  const n = nodes.length;
  const successorLists: (number[] | undefined)[] = new Array<number[] | undefined>(n);
  const noSuccessors: number[] = [];
  const successors = (v: number): number[] => {
    let list = successorLists[v];
    if (list === undefined) {
      const needs = nodes[v]!.needs;
      list = noSuccessors;
      if (needs) {
        for (const need of needs) {
          const targets = byReference.get(need.job);
          if (!targets) continue;
          if (list === noSuccessors) list = [];
          for (const target of targets) list.push(ids.get(target)!);
        }
      }
      successorLists[v] = list;
    }
    return list;
  };
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const workJob: number[] = [];
  const workNext: number[] = [];
  const cycles: Job[][] = [];
  let counter = 0;
  const enter = (v: number): void => {
    index[v] = counter;
    low[v] = counter;
    counter++;
    stack.push(v);
    onStack[v] = 1;
    workJob.push(v);
    workNext.push(0);
  };
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    enter(root);
    while (workJob.length > 0) {
      const top = workJob.length - 1;
      const v = workJob[top]!;
      const next = successors(v);
      const i = workNext[top]!;
      if (i < next.length) {
        workNext[top] = i + 1;
        const target = next[i]!;
        if (index[target] === -1) enter(target);
        else if (onStack[target] === 1) low[v] = Math.min(low[v]!, index[target]!);
        continue;
      }
      workJob.pop();
      workNext.pop();
      if (workJob.length > 0) {
        const parent = workJob[workJob.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const component: Job[] = [];
        for (;;) {
          const j = stack.pop()!;
          onStack[j] = 0;
          component.push(nodes[j]!);
          if (j === v) break;
        }
        const selfLoop = component.length === 1 && successors(v).includes(v);
        if (component.length > 1 || selfLoop) cycles.push(component.reverse());
      }
    }
  }
  return cycles;
}

const maxCyclePaths = 50;

function cycleText(path: readonly Job[]): string {
  const names = path.map((j) => j.name);
  if (names.length <= 12) return names.join(' → ');
  return `${names.slice(0, 6).join(' → ')} → … (${names.length - 9} more) … → ${names.slice(-3).join(' → ')}`;
}

/** A shortest path of needs from `start` back to itself inside one strongly connected component. */
function cycleThrough(start: Job, component: ReadonlySet<Job>, byReference: Map<string, Job[]>): Job[] {
  const previous = new Map<Job, Job>();
  const queue: Job[] = [start];
  for (let head = 0; head < queue.length; head++) {
    const job = queue[head]!;
    for (const need of job.needs ?? []) {
      for (const target of byReference.get(need.job) ?? []) {
        if (!component.has(target)) continue;
        if (target === start) {
          const path = [job];
          for (let j = job; j !== start; ) {
            j = previous.get(j)!;
            path.push(j);
          }
          return path.reverse();
        }
        if (!previous.has(target)) {
          previous.set(target, job);
          queue.push(target);
        }
      }
    }
  }
  return [start];
}

/** The known key nearest to a typo (edit distance at most 2), for "did you mean". */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    if (Math.abs(candidate.length - key.length) >= bestDistance) continue;
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase(), bestDistance);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string, cap: number): number {
  if (a.length > 64 || b.length > 64) return cap;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
