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
  const byName = new Map<string, Job[]>();
  for (const job of pipeline.jobs) {
    const list = byName.get(job.name);
    if (list) list.push(job);
    else byName.set(job.name, [job]);
  }
  const reported = new Set(pipeline.diagnostics.map((d) => `${d.code}|${d.file}|${d.line}`));
  for (const [name, jobs] of byName) {
    if (jobs.length < 2) continue;
    for (const job of jobs.slice(1)) {
      if (reported.has(`${ValidationCode.duplicateName}|${job.source.file}|${job.source.startLine}`)) continue;
      const first = jobs[0]!.source;
      at(job, pipeline.format === 'github' ? 'warning' : 'error', ValidationCode.duplicateName, `Job name '${name}' is used more than once (first at ${first.file}:${first.startLine}).`);
    }
  }

  for (const job of pipeline.jobs) {
    const alreadyEmpty = pipeline.diagnostics.some(
      (d) => d.code === ValidationCode.emptyJob && d.file === job.source.file && d.line >= job.source.startLine && d.line <= job.source.endLine,
    );
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

/** Strongly connected components with more than one job, or a job that needs itself (Tarjan, iterative). */
function needsCycles(jobs: readonly Job[], byReference: Map<string, Job[]>): Job[][] {
  const index = new Map<Job, number>();
  const low = new Map<Job, number>();
  const onStack = new Set<Job>();
  const stack: Job[] = [];
  const cycles: Job[][] = [];
  const successors = (job: Job): Job[] => (job.needs ?? []).flatMap((n) => byReference.get(n.job) ?? []);
  let counter = 0;
  for (const root of jobs) {
    if (index.has(root)) continue;
    const work: { job: Job; next: Job[]; i: number }[] = [];
    const enter = (job: Job): void => {
      index.set(job, counter);
      low.set(job, counter);
      counter++;
      stack.push(job);
      onStack.add(job);
      work.push({ job, next: successors(job), i: 0 });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.next.length) {
        const target = frame.next[frame.i++]!;
        if (!index.has(target)) enter(target);
        else if (onStack.has(target)) low.set(frame.job, Math.min(low.get(frame.job)!, index.get(target)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.job, Math.min(low.get(parent.job)!, low.get(frame.job)!));
      if (low.get(frame.job) === index.get(frame.job)) {
        const component: Job[] = [];
        for (;;) {
          const j = stack.pop()!;
          onStack.delete(j);
          component.push(j);
          if (j === frame.job) break;
        }
        const selfLoop = component.length === 1 && successors(component[0]!).includes(component[0]!);
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
