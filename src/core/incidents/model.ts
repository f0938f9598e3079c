/** Deployments, incidents and suspect commits. Times are Unix seconds. */
import type { Anomaly } from '../anomaly/anomaly';

/** Where Opsloop learned of a deployment; `given` is a time a person or a CI job passed in. */
export type DeploymentSource = 'pipeline' | 'buildInfo' | 'gitTag' | 'remote' | 'given';

export interface Deployment {
  readonly id: string;
  readonly environment: string;
  readonly service?: string;
  /** The commit that was deployed. */
  readonly revision: string;
  readonly time: number;
  readonly source: DeploymentSource;
  readonly runId?: string;
  readonly jobName?: string;
}

export interface ChangedRange {
  readonly path: string;
  /** 1-based inclusive line ranges in the file as of the suspect commit. */
  readonly lines: readonly (readonly [number, number])[];
}

export interface SuspectCommit {
  readonly sha: string;
  readonly author: string;
  readonly time: number;
  readonly subject: string;
  /** 0..1, higher is more likely. */
  readonly score: number;
  readonly reasons: readonly string[];
  readonly changes: readonly ChangedRange[];
}

export interface Incident {
  readonly id: string;
  readonly service?: string;
  readonly title: string;
  readonly start: number;
  readonly end?: number;
  readonly severity: 'low' | 'medium' | 'high';
  readonly anomalies: readonly Anomaly[];
  readonly deployment?: Deployment;
  readonly suspects: readonly SuspectCommit[];
  readonly status: 'open' | 'resolved';
}
