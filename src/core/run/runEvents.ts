/**
 * Every change of a run is one typed RunEvent; the tree, status bar, graph, history and CLI all
 * consume the same stream. Times are Unix seconds.
 */
import type { PipelineFormat } from '../pipeline/model';

export type JobStatus = 'queued' | 'running' | 'passed' | 'failed' | 'skipped' | 'canceled' | 'manual';
export type RunStatus = 'queued' | 'running' | 'passed' | 'failed' | 'canceled';

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
    }
  | { readonly type: 'run.started'; readonly runId: string; readonly time: number }
  | { readonly type: 'job.queued'; readonly runId: string; readonly jobId: string; readonly time: number }
  | {
      readonly type: 'job.started';
      readonly runId: string;
      readonly jobId: string;
      readonly time: number;
      readonly attempt: number;
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
    }
  | {
      readonly type: 'run.finished';
      readonly runId: string;
      readonly time: number;
      readonly status: RunStatus;
      readonly durationMs: number;
    };
