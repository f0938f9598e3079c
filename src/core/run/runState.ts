/**
 * RunEvents → the state of a run and its jobs. The Runs tree, the status bar, the history and
 * the CLI all fold the same events through `reduceRun`, so they cannot disagree.
 * Pure; never mutates its input (job output only updates counters, not a copy of the text).
 */
import type { Deployment } from '../incidents/model';
import type { PipelineFormat } from '../pipeline/model';
import type { JobEndCause, JobStatus, RunEvent, RunStatus } from './runEvents';

export interface JobRunState {
  readonly id: string;
  readonly name: string;
  readonly stage: string;
  readonly status: JobStatus;
  /** A manual job waiting for the person's decision (status `manual`). */
  readonly waiting: boolean;
  readonly attempt: number;
  readonly exitCode: number | null;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly durationMs?: number;
  readonly allowedFailure: boolean;
  readonly reason?: string;
  readonly cause?: JobEndCause;
  readonly logFile?: string;
  readonly executor?: 'shell' | 'docker';
  /** Characters of output seen (stdout, stderr and system lines). */
  readonly outputChars: number;
  readonly deployment?: Deployment;
}

export interface RunState {
  readonly runId: string;
  readonly pipeline: { readonly file: string; readonly format: PipelineFormat; readonly name: string };
  readonly trigger: string;
  readonly selection?: string;
  readonly revision?: string;
  readonly branch?: string;
  readonly root?: string;
  readonly isolated?: boolean;
  readonly status: RunStatus;
  readonly queuedTime: number;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly durationMs?: number;
  readonly reason?: string;
  readonly warnings?: readonly string[];
  readonly jobs: readonly JobRunState[];
}

const finishedStatuses: ReadonlySet<JobStatus> = new Set(['passed', 'failed', 'skipped', 'canceled']);

/** Folds one event into the state. Events of another run, or before `run.queued`, are ignored. */
export function reduceRun(state: RunState | undefined, event: RunEvent): RunState | undefined {
  if (event.type === 'run.queued') {
    return {
      runId: event.runId,
      pipeline: event.pipeline,
      trigger: event.trigger,
      status: 'queued',
      queuedTime: event.time,
      ...(event.selection !== undefined ? { selection: event.selection } : {}),
      ...(event.revision !== undefined ? { revision: event.revision } : {}),
      ...(event.branch !== undefined ? { branch: event.branch } : {}),
      ...(event.root !== undefined ? { root: event.root } : {}),
      ...(event.isolated !== undefined ? { isolated: event.isolated } : {}),
      ...(event.warnings !== undefined && event.warnings.length > 0 ? { warnings: event.warnings } : {}),
      jobs: event.jobs.map((j) => ({ id: j.id, name: j.name, stage: j.stage, status: 'queued', waiting: false, attempt: 0, exitCode: null, allowedFailure: false, outputChars: 0 })),
    };
  }
  if (!state || state.runId !== event.runId) return state;
  switch (event.type) {
    case 'run.started':
      return { ...state, status: 'running', startTime: event.time };
    case 'run.finished':
      return {
        ...state,
        status: event.status,
        endTime: event.time,
        durationMs: event.durationMs,
        ...(event.reason !== undefined ? { reason: event.reason } : {}),
      };
    case 'job.queued':
      return updateJob(state, event.jobId, (j) => ({ ...j, status: 'queued', waiting: false }));
    case 'job.waiting':
      return updateJob(state, event.jobId, (j) => ({ ...j, status: 'manual', waiting: true }));
    case 'job.started':
      return updateJob(state, event.jobId, (j) => ({
        ...j,
        status: 'running',
        waiting: false,
        attempt: event.attempt,
        startTime: j.attempt > 0 && j.startTime !== undefined ? j.startTime : event.time,
        ...(event.logFile !== undefined ? { logFile: event.logFile } : {}),
        ...(event.executor !== undefined ? { executor: event.executor } : {}),
      }));
    case 'job.output':
      return updateJob(state, event.jobId, (j) => ({ ...j, outputChars: j.outputChars + event.text.length }));
    case 'job.finished':
      return updateJob(state, event.jobId, (j) => {
        const next: JobRunState = {
          ...j,
          status: event.status,
          waiting: false,
          exitCode: event.exitCode,
          endTime: event.time,
          durationMs: event.durationMs,
          allowedFailure: event.allowedFailure === true,
          ...(event.reason !== undefined ? { reason: event.reason } : {}),
          ...(event.cause !== undefined ? { cause: event.cause } : {}),
          ...(event.attempt !== undefined ? { attempt: event.attempt } : {}),
          ...(event.deployment !== undefined ? { deployment: event.deployment } : {}),
        };
        return next;
      });
    default:
      // An event type this version does not know (history from a newer version): keep the state.
      return state;
  }
}

function updateJob(state: RunState, jobId: string, change: (job: JobRunState) => JobRunState): RunState {
  const index = state.jobs.findIndex((j) => j.id === jobId);
  if (index < 0) return state;
  const jobs = state.jobs.slice();
  jobs[index] = change(jobs[index]!);
  return { ...state, jobs };
}

/** Folds a whole stream; undefined when it holds no `run.queued`. */
export function reduceRunEvents(events: Iterable<RunEvent>): RunState | undefined {
  let state: RunState | undefined;
  for (const event of events) state = reduceRun(state, event);
  return state;
}

export function isRunFinished(state: RunState): boolean {
  return state.status === 'passed' || state.status === 'failed' || state.status === 'canceled';
}

export function isJobFinished(job: JobRunState): boolean {
  return finishedStatuses.has(job.status) || (job.status === 'manual' && !job.waiting);
}

export interface RunProgress {
  readonly total: number;
  readonly done: number;
  readonly running: readonly JobRunState[];
  readonly waiting: readonly JobRunState[];
  readonly failed: readonly JobRunState[];
  readonly passed: number;
  readonly skipped: number;
}

/** What the status bar and the CLI print: `build 3/7`, the failed jobs. */
export function runProgress(state: RunState): RunProgress {
  let done = 0;
  let passed = 0;
  let skipped = 0;
  const running: JobRunState[] = [];
  const waiting: JobRunState[] = [];
  const failed: JobRunState[] = [];
  for (const job of state.jobs) {
    if (isJobFinished(job)) done++;
    if (job.status === 'running') running.push(job);
    if (job.waiting) waiting.push(job);
    if (job.status === 'passed') passed++;
    if (job.status === 'skipped' || (job.status === 'manual' && !job.waiting)) skipped++;
    if (job.status === 'failed' && !job.allowedFailure) failed.push(job);
  }
  return { total: state.jobs.length, done, running, waiting, failed, passed, skipped };
}

/**
 * The run was interrupted before it finished (its process died): the state as the history shows
 * it, with the unfinished jobs canceled and the end at the last thing it recorded.
 */
export function markInterrupted(state: RunState, reason = 'interrupted: the process running it ended'): RunState {
  if (isRunFinished(state)) return state;
  const jobs = state.jobs.map((j) =>
    isJobFinished(j) ? j : { ...j, status: 'canceled' as const, waiting: false, cause: 'canceled' as const, reason: j.status === 'running' ? reason : 'not started: the run was interrupted' },
  );
  const start = state.startTime ?? state.queuedTime;
  const end = Math.max(start, ...jobs.map((j) => j.endTime ?? j.startTime ?? start));
  return { ...state, jobs, status: 'canceled', reason, endTime: end, durationMs: Math.max(0, (end - start) * 1000) };
}

/** Statuses in the order a summary lists them. */
export const jobStatusOrder: readonly JobStatus[] = ['failed', 'running', 'manual', 'queued', 'canceled', 'skipped', 'passed'];
