/**
 * Every change of a run is one typed RunEvent; the tree, status bar, graph, history and CLI all
 * consume the same stream. Times are Unix seconds.
 *
 * Extend additively: new optional fields and new event types only, so that history written by an
 * older version still reads (src/core/run/runState.ts ignores what it does not know).
 */
import type { Deployment } from '../incidents/model';
import type { PipelineFormat } from '../pipeline/model';

export type JobStatus = 'queued' | 'running' | 'passed' | 'failed' | 'skipped' | 'canceled' | 'manual';
export type RunStatus = 'queued' | 'running' | 'passed' | 'failed' | 'canceled';

/**
 * Why a job ended without passing, for machines (re-run failed, the run's verdict):
 * - `upstream`: a job it waits for failed or was canceled (re-run failed includes it);
 * - `when`: its `when` did not apply (`on_failure` with nothing failed);
 * - `need`: a job it needs did not run for a reason that is not a failure;
 * - `manual`: a manual job nobody started, or one that waited on such a job;
 * - `condition`: its `if:` evaluated to false;
 * - `policy`: skipped by the Docker policy (`image:` with no engine);
 * - `timeout`, `canceled`, `script` (the script exited non-zero), `error` (could not start).
 */
export type JobEndCause = 'upstream' | 'when' | 'need' | 'manual' | 'condition' | 'policy' | 'timeout' | 'canceled' | 'script' | 'error';

export interface RunJobSummary {
  readonly id: string;
  readonly name: string;
  readonly stage: string;
}

export type RunEvent =
  | {
      readonly type: 'run.queued';
      readonly runId: string;
      readonly time: number;
      readonly pipeline: { readonly file: string; readonly format: PipelineFormat; readonly name: string };
      readonly jobs: readonly RunJobSummary[];
      readonly revision?: string;
      readonly trigger: string;
      /** What the person asked for, in words ("pipeline", "job build", "stage test", "failed jobs of run X"). */
      readonly selection?: string;
      /** The workspace folder the run belongs to. */
      readonly root?: string;
      readonly isolated?: boolean;
      /** The branch the run's revision was on, when known. */
      readonly branch?: string;
      /** Things the person should know about the run as a whole (needs ignored, jobs dropped). */
      readonly warnings?: readonly string[];
    }
  | { readonly type: 'run.started'; readonly runId: string; readonly time: number }
  | { readonly type: 'job.queued'; readonly runId: string; readonly jobId: string; readonly time: number }
  | {
      /** A `when: manual` job waits for a person's decision. */
      readonly type: 'job.waiting';
      readonly runId: string;
      readonly jobId: string;
      readonly time: number;
      readonly reason: 'manual';
    }
  | {
      readonly type: 'job.started';
      readonly runId: string;
      readonly jobId: string;
      readonly time: number;
      readonly attempt: number;
      /** The full log of the job (every attempt), on disk. */
      readonly logFile?: string;
      /** Where the job runs: on this machine's shell, or in a container of its `image:`. */
      readonly executor?: 'shell' | 'docker';
    }
  | {
      readonly type: 'job.output';
      readonly runId: string;
      readonly jobId: string;
      readonly time: number;
      readonly stream: 'stdout' | 'stderr' | 'system';
      readonly text: string;
    }
  | {
      readonly type: 'job.finished';
      readonly runId: string;
      readonly jobId: string;
      readonly time: number;
      readonly status: JobStatus;
      readonly exitCode: number | null;
      readonly durationMs: number;
      /** Failed, but `allow_failure` / `continue-on-error` keeps the run green. */
      readonly allowedFailure?: boolean;
      readonly reason?: string;
      readonly cause?: JobEndCause;
      readonly attempt?: number;
      /** A passed job with an environment that deploys. */
      readonly deployment?: Deployment;
    }
  | {
      readonly type: 'run.finished';
      readonly runId: string;
      readonly time: number;
      readonly status: RunStatus;
      readonly durationMs: number;
      /** Why it ended that way, in words ("canceled by the person", "interrupted: the process ended"). */
      readonly reason?: string;
    };

export type RunEventType = RunEvent['type'];
