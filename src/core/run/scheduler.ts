/**
 * The run's state machine, without processes or clocks: it decides which job starts, which is
 * skipped and why, when a manual job asks the person, when a failed job retries, and how the
 * run ends. The executor feeds it what happened (a job ended, the person answered, cancel) and
 * carries out the actions it returns. Deterministic: the same inputs give the same actions.
 *
 * Rules (GitLab's, which the other formats map onto):
 * - a job is decided when every job it waits for has ended;
 * - `on_success` runs when nothing it waits for failed; `on_failure` only when something did;
 *   `always` runs regardless; `manual` asks (or runs when the person picked it or `runManual`);
 * - a failed job with `allow_failure` (and a matching exit code, if listed) counts as passed for
 *   its dependents and for the run; a failed job retries up to `retry` times first;
 * - a job skipped because something failed carries that failure on (transitively);
 * - with explicit `needs`, a need that did not run skips the job; in stage order, jobs that did not
 *   run for a reason other than a failure (on_failure not triggered, optional manual) are ignored;
 * - the run passes exactly when every required job passed: required means every job except
 *   those that did not run for a reason other than a failure or a cancel.
 */
import type { RunGraph, RunGraphJob } from './runGraph';
import type { JobEndCause, RunStatus } from './runEvents';

export type SchedulerAction =
  | { readonly type: 'start'; readonly jobId: string; readonly attempt: number }
  /** Ask the person whether to start a manual job; answer with `decide`. */
  | { readonly type: 'ask'; readonly jobId: string }
  /** The job ends without running. */
  | { readonly type: 'settle'; readonly jobId: string; readonly status: 'skipped' | 'canceled' | 'manual'; readonly cause: JobEndCause; readonly reason: string }
  /** Stop a running job (its executor later reports `finished` with outcome `canceled`). */
  | { readonly type: 'stop'; readonly jobId: string }
  /** A running job failed and starts again. */
  | { readonly type: 'retry'; readonly jobId: string; readonly attempt: number; readonly exitCode: number | null }
  | { readonly type: 'finishRun'; readonly status: Exclude<RunStatus, 'queued' | 'running'>; readonly reason?: string };

export interface JobResult {
  /** `skipped`: the job was started but decided not to run (the Docker policy `skip`). */
  readonly outcome: 'passed' | 'failed' | 'canceled' | 'skipped';
  readonly exitCode: number | null;
  /** Why it failed or was canceled (`timeout`, `script`, `policy`, `error`, `canceled`). */
  readonly cause?: JobEndCause;
}

export type SchedulerJobState = 'waiting' | 'asking' | 'ready' | 'running' | 'stopping' | 'passed' | 'failed' | 'skipped' | 'canceled' | 'manual';

export interface SchedulerJobView {
  readonly id: string;
  readonly state: SchedulerJobState;
  readonly attempt: number;
  readonly allowedFailure: boolean;
  readonly cause?: JobEndCause;
  readonly exitCode: number | null;
}

export interface SchedulerOptions {
  /** How many jobs run at once (at least 1). */
  readonly concurrency: number;
  /** Start `when: manual` jobs without asking (CLI `--manual`). */
  readonly runManual?: boolean;
  /**
   * A job's own condition (GitHub `if:`), evaluated when the job would start; `false` skips it.
   * `failed` says whether something it waits for failed.
   */
  readonly condition?: (jobId: string, upstream: { readonly failed: boolean }) => boolean;
}

interface Node {
  readonly job: RunGraphJob;
  state: SchedulerJobState;
  attempt: number;
  pending: number;
  allowedFailure: boolean;
  cause?: JobEndCause;
  exitCode: number | null;
  /** Ended in a way that counts as a failure for the jobs waiting on it. */
  failing: boolean;
  /** Why a failing job failed, for its dependents' reason text. */
  failingBecause?: string;
  readonly dependents: Node[];
}

const terminal = new Set<SchedulerJobState>(['passed', 'failed', 'skipped', 'canceled', 'manual']);

export class Scheduler {
  private readonly nodes = new Map<string, Node>();
  private readonly order: Node[] = [];
  private readonly ready: Node[] = [];
  private readonly concurrency: number;
  private running = 0;
  private started = false;
  private cancelRequested = false;
  private cancelReason: string | undefined;
  private ended: SchedulerAction | undefined;

  constructor(
    graph: RunGraph,
    private readonly options: SchedulerOptions,
  ) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency) || 1);
    for (const job of graph.jobs) {
      const node: Node = { job, state: 'waiting', attempt: 0, pending: 0, allowedFailure: false, exitCode: null, failing: false, dependents: [] };
      this.nodes.set(job.id, node);
      this.order.push(node);
    }
    for (const node of this.order) {
      for (const dep of node.job.deps) {
        const target = this.nodes.get(dep);
        if (!target) continue;
        target.dependents.push(node);
        node.pending++;
      }
    }
  }

  /** Begins the run: decides every job that waits for nothing and starts what fits. */
  start(): SchedulerAction[] {
    if (this.started) return [];
    this.started = true;
    const actions: SchedulerAction[] = [];
    for (const node of this.order) if (node.pending === 0) this.decideNode(node, actions);
    this.fill(actions);
    this.checkDone(actions);
    return actions;
  }

  /** A started job ended. */
  finished(jobId: string, result: JobResult): SchedulerAction[] {
    const node = this.nodes.get(jobId);
    if (!node || (node.state !== 'running' && node.state !== 'stopping')) return [];
    const actions: SchedulerAction[] = [];
    node.exitCode = result.exitCode;
    const stopped = node.state === 'stopping' || result.outcome === 'canceled';
    if (result.outcome === 'failed' && !stopped && !this.cancelRequested && node.attempt <= node.job.retry) {
      node.attempt++;
      actions.push({ type: 'retry', jobId, attempt: node.attempt, exitCode: result.exitCode });
      return actions;
    }
    this.running--;
    if (result.outcome === 'skipped' && !stopped) {
      node.state = 'skipped';
      node.cause = result.cause ?? 'policy';
    } else if (stopped) {
      node.state = 'canceled';
      node.cause = 'canceled';
      node.failing = true;
      node.failingBecause = `${node.job.name} was canceled`;
    } else if (result.outcome === 'passed') {
      node.state = 'passed';
    } else {
      node.state = 'failed';
      node.cause = result.cause ?? 'script';
      const codes = node.job.allowFailureExitCodes;
      node.allowedFailure = node.job.allowFailure && (!codes || codes.length === 0 || (result.exitCode !== null && codes.includes(result.exitCode)));
      node.failing = !node.allowedFailure;
      node.failingBecause = `${node.job.name} failed`;
    }
    this.propagate(node, actions);
    this.fill(actions);
    this.checkDone(actions);
    return actions;
  }

  /** The person's answer to an `ask`: start the manual job, or leave it. */
  decide(jobId: string, run: boolean): SchedulerAction[] {
    const node = this.nodes.get(jobId);
    if (!node || node.state !== 'asking') return [];
    const actions: SchedulerAction[] = [];
    if (run) {
      this.makeReady(node);
    } else {
      this.settle(node, 'manual', 'manual', `${node.job.name} is manual and was not started`, actions);
    }
    this.fill(actions);
    this.checkDone(actions);
    return actions;
  }

  /** Cancels the run: nothing new starts, running jobs are stopped, the rest ends as canceled. */
  cancel(reason = 'canceled'): SchedulerAction[] {
    const actions: SchedulerAction[] = [];
    if (this.ended) return actions;
    this.cancelRequested = true;
    this.cancelReason = reason;
    this.ready.length = 0;
    for (const node of this.order) {
      if (node.state === 'running') {
        node.state = 'stopping';
        actions.push({ type: 'stop', jobId: node.job.id });
      } else if (node.state === 'waiting' || node.state === 'asking' || node.state === 'ready') {
        node.state = 'canceled';
        node.cause = 'canceled';
        node.failing = true;
        actions.push({ type: 'settle', jobId: node.job.id, status: 'canceled', cause: 'canceled', reason });
      }
    }
    this.checkDone(actions);
    return actions;
  }

  /** Cancels one job; jobs that wait for it are skipped as after a failure. */
  cancelJob(jobId: string): SchedulerAction[] {
    const node = this.nodes.get(jobId);
    const actions: SchedulerAction[] = [];
    if (!node || this.ended) return actions;
    if (node.state === 'running') {
      node.state = 'stopping';
      actions.push({ type: 'stop', jobId });
      return actions;
    }
    if (node.state === 'waiting' || node.state === 'asking' || node.state === 'ready') {
      const index = this.ready.indexOf(node);
      if (index >= 0) this.ready.splice(index, 1);
      node.state = 'canceled';
      node.cause = 'canceled';
      node.failing = true;
      node.failingBecause = `${node.job.name} was canceled`;
      actions.push({ type: 'settle', jobId, status: 'canceled', cause: 'canceled', reason: 'canceled by the person' });
      this.propagate(node, actions);
      this.fill(actions);
      this.checkDone(actions);
    }
    return actions;
  }

  get done(): boolean {
    return this.ended !== undefined;
  }

  get runningCount(): number {
    return this.running;
  }

  view(jobId: string): SchedulerJobView | undefined {
    const node = this.nodes.get(jobId);
    if (!node) return undefined;
    return { id: node.job.id, state: node.state, attempt: node.attempt, allowedFailure: node.allowedFailure, exitCode: node.exitCode, ...(node.cause ? { cause: node.cause } : {}) };
  }

  views(): SchedulerJobView[] {
    return this.order.map((n) => this.view(n.job.id)!);
  }

  // --- internals ---------------------------------------------------------------------------

  private propagate(node: Node, actions: SchedulerAction[]): void {
    for (const dependent of node.dependents) {
      dependent.pending--;
      if (dependent.pending === 0 && dependent.state === 'waiting') this.decideNode(dependent, actions);
    }
  }

  private decideNode(node: Node, actions: SchedulerAction[]): void {
    if (node.state !== 'waiting') return;
    if (this.cancelRequested) {
      node.state = 'canceled';
      node.cause = 'canceled';
      node.failing = true;
      actions.push({ type: 'settle', jobId: node.job.id, status: 'canceled', cause: 'canceled', reason: this.cancelReason ?? 'canceled' });
      return;
    }
    let failedBy: Node | undefined;
    let blockedBy: Node | undefined;
    let blockedCause: JobEndCause = 'need';
    for (const depId of node.job.deps) {
      const dep = this.nodes.get(depId);
      if (!dep) continue;
      if (dep.failing) {
        failedBy ??= dep;
        continue;
      }
      if (dep.state === 'passed' || (dep.state === 'failed' && dep.allowedFailure)) continue;
      // The dep did not run, for a reason other than a failure.
      const blockingManual = dep.state === 'manual' && !dep.job.allowFailure;
      if (node.job.explicitNeeds || blockingManual) {
        if (!blockedBy) {
          blockedBy = dep;
          blockedCause = dep.state === 'manual' || dep.cause === 'manual' ? 'manual' : 'need';
        }
      }
    }
    const name = node.job.name;
    const failedReason = failedBy ? `skipped because ${failedBy.failingBecause ?? `${failedBy.job.name} failed`}` : '';
    const skip = (cause: JobEndCause, reason: string, failing: boolean): void => {
      // Mark the failure before settling: settling decides the dependents at once.
      if (failing) {
        node.failing = true;
        node.failingBecause = failedBy?.failingBecause ?? `${failedBy?.job.name ?? 'a job'} failed`;
      }
      this.settle(node, 'skipped', cause, reason, actions);
    };
    const blockedReason = blockedBy
      ? blockedBy.state === 'manual'
        ? `skipped: it needs ${blockedBy.job.name}, a manual job that was not started`
        : `skipped: it needs ${blockedBy.job.name}, which did not run`
      : '';
    switch (node.job.when) {
      case 'on_failure':
        if (!failedBy) return skip('when', `${name} runs only when an earlier job fails`, false);
        return this.conditioned(node, true, actions);
      case 'always':
        return this.conditioned(node, failedBy !== undefined, actions);
      case 'manual':
        if (failedBy) return skip('upstream', failedReason, true);
        if (blockedBy) return skip(blockedCause, blockedReason, false);
        if (node.job.confirmed || this.options.runManual) return this.conditioned(node, false, actions);
        if (this.options.condition && !this.options.condition(node.job.id, { failed: false })) return skip('condition', `${name}'s condition is false`, false);
        node.state = 'asking';
        actions.push({ type: 'ask', jobId: node.job.id });
        return;
      case 'never':
        return skip('when', `${name} has when: never`, false);
      case 'on_success':
      case 'delayed':
      default:
        if (failedBy) return skip('upstream', failedReason, true);
        if (blockedBy) return skip(blockedCause, blockedReason, false);
        return this.conditioned(node, false, actions);
    }
  }

  private conditioned(node: Node, failed: boolean, actions: SchedulerAction[]): void {
    if (this.options.condition && !this.options.condition(node.job.id, { failed })) {
      this.settle(node, 'skipped', 'condition', `${node.job.name}'s condition is false`, actions);
      return;
    }
    this.makeReady(node);
  }

  private makeReady(node: Node): void {
    node.state = 'ready';
    this.ready.push(node);
  }

  private settle(node: Node, status: 'skipped' | 'canceled' | 'manual', cause: JobEndCause, reason: string, actions: SchedulerAction[]): void {
    node.state = status;
    node.cause = cause;
    actions.push({ type: 'settle', jobId: node.job.id, status, cause, reason });
    this.propagate(node, actions);
  }

  private fill(actions: SchedulerAction[]): void {
    if (this.cancelRequested) return;
    // The ready queue keeps graph order among jobs that became ready together.
    while (this.running < this.concurrency && this.ready.length > 0) {
      const node = this.ready.shift()!;
      if (node.state !== 'ready') continue;
      node.state = 'running';
      node.attempt = 1;
      this.running++;
      actions.push({ type: 'start', jobId: node.job.id, attempt: 1 });
    }
  }

  private checkDone(actions: SchedulerAction[]): void {
    if (this.ended || !this.started) return;
    for (const node of this.order) if (!terminal.has(node.state)) return;
    let status: 'passed' | 'failed' | 'canceled' = 'passed';
    let reason: string | undefined;
    const failed = this.order.filter((n) => n.state === 'failed' && !n.allowedFailure);
    const upstream = this.order.filter((n) => n.state === 'skipped' && n.cause === 'upstream');
    const canceled = this.order.filter((n) => n.state === 'canceled');
    if (this.cancelRequested) {
      status = 'canceled';
      reason = this.cancelReason;
    } else if (failed.length > 0) {
      status = 'failed';
      reason = `${failed.length === 1 ? 'job' : 'jobs'} failed: ${failed.map((n) => n.job.name).join(', ')}`;
    } else if (canceled.length > 0 || upstream.length > 0) {
      status = 'canceled';
      reason = canceled.length > 0 ? `canceled: ${canceled.map((n) => n.job.name).join(', ')}` : 'jobs were skipped after a cancel';
    }
    const action: SchedulerAction = reason ? { type: 'finishRun', status, reason } : { type: 'finishRun', status };
    this.ended = action;
    actions.push(action);
  }
}

/** True when `state` is an end state. */
export function isTerminal(state: SchedulerJobState): boolean {
  return terminal.has(state);
}
