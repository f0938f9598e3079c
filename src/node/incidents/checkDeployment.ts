/**
 * "Did this deploy hurt production?": find the deployment, read each configured query around it,
 * run the streaming detector over the history, and judge (src/core/incidents/deployCheck.ts).
 */
import { detectAnomalies, type Sensitivity } from '../../core/anomaly/detect';
import type { GitTagsDeploymentConfig, OpsloopConfig, QueryConfig } from '../../core/config/opsloopConfig';
import { describeError, OpsloopError } from '../../core/errors';
import { assessDeployment, type DeployAssessment, observedSeconds, type QueryEvidence } from '../../core/incidents/deployCheck';
import { mergeDeployments } from '../../core/incidents/deployments';
import type { Deployment } from '../../core/incidents/model';
import { compareWindows } from '../../core/telemetry/statistics';
import type { TelemetrySource } from '../telemetry/telemetrySource';
import { gitTagDeployments } from './gitTagDeployments';

export interface CheckRequest {
  readonly root: string;
  readonly config: OpsloopConfig;
  /** The service whose queries are checked (default: all queries, or the only service). */
  readonly service?: string;
  /** The deployed commit (a full or abbreviated SHA); default: the latest deployment found. */
  readonly revision?: string;
  /** The deployment time, when it is known already (Unix seconds): no lookup then. */
  readonly since?: number;
  readonly environment?: string;
  readonly windowSeconds: number;
  /** History before the deployment the detector learns what is usual from. */
  readonly baselineSeconds: number;
  readonly sensitivity: Sensitivity;
  readonly now: number;
  /** Deployments are looked for this far back. */
  readonly lookbackSeconds?: number;
  /** May git run (deploy tags)? */
  readonly useGit: boolean;
  readonly source: (name: string) => TelemetrySource;
  readonly signal?: AbortSignal;
}

export interface CheckResult {
  readonly assessment: DeployAssessment;
  /** Deployment sources that could not be read (they may hide a later deployment). */
  readonly problems: readonly string[];
}

function queriesOf(config: OpsloopConfig, service: string | undefined): QueryConfig[] {
  const chosen = service ?? (config.services.length === 1 ? config.services[0]!.name : undefined);
  return config.queries.filter((q) => chosen === undefined || q.service === undefined || q.service === chosen);
}

/** The deployments the configuration names, from build info and deploy tags. */
async function findDeployments(request: CheckRequest, range: { start: number; end: number }): Promise<{ deployments: Deployment[]; problems: string[] }> {
  const lists: Deployment[][] = [];
  const problems: string[] = [];
  for (const entry of request.config.deployments) {
    try {
      if (entry.kind === 'buildInfo') {
        const source = request.source(entry.source);
        if (!source.deployments) throw new OpsloopError('unsupported', `${entry.source} cannot answer build-info queries.`);
        const found = await source.deployments(
          { query: entry.query, ...(entry.service !== undefined ? { service: entry.service } : {}), ...(entry.environment !== undefined ? { environment: entry.environment } : {}), ...(entry.revisionLabel !== undefined ? { revisionLabel: entry.revisionLabel } : {}) },
          range,
          request.signal,
        );
        lists.push(found.deployments);
      } else if (entry.kind === 'gitTags' && request.useGit) {
        lists.push(await gitTagDeployments(request.root, entry as GitTagsDeploymentConfig, range, request.signal ? { signal: request.signal } : {}));
      }
    } catch (error) {
      if (OpsloopError.is(error, 'cancelled')) throw error;
      problems.push(`${entry.kind === 'buildInfo' ? entry.source : `tags ${(entry as GitTagsDeploymentConfig).pattern}`}: ${describeError(error)}`);
    }
  }
  const service = request.service ?? (request.config.services.length === 1 ? request.config.services[0]!.name : undefined);
  const deployments = mergeDeployments(lists, range, service).filter((d) => request.environment === undefined || d.environment === request.environment);
  return { deployments, problems };
}

export async function checkDeployment(request: CheckRequest): Promise<CheckResult> {
  const queries = queriesOf(request.config, request.service);
  if (queries.length === 0) {
    throw new OpsloopError('invalidInput', request.service ? `No telemetry query of service '${request.service}' in .opsloop.yml.` : 'No telemetry queries in .opsloop.yml: the check reads them (see docs/telemetry.md).');
  }
  let deployment: Deployment;
  let problems: string[] = [];
  if (request.since !== undefined) {
    deployment = { id: 'given', environment: request.environment ?? 'production', revision: request.revision ?? 'unknown', time: request.since, source: 'given', ...(request.service ? { service: request.service } : {}) };
  } else {
    const lookback = request.lookbackSeconds ?? 30 * 86400;
    const found = await findDeployments(request, { start: request.now - lookback, end: request.now });
    problems = found.problems;
    const wanted = request.revision?.toLowerCase();
    const matching = wanted ? found.deployments.filter((d) => d.revision.toLowerCase().startsWith(wanted)) : found.deployments;
    const latest = matching[matching.length - 1];
    if (!latest) {
      const seen = found.deployments.length > 0 ? ` The latest deployment found is ${found.deployments[found.deployments.length - 1]!.revision.slice(0, 12)}.` : '';
      const why = problems.length > 0 ? ` Unreadable: ${problems.join('; ')}.` : '';
      throw new OpsloopError('notFound', `No deployment${wanted ? ` of ${request.revision}` : ''} found in the last ${Math.round(lookback / 86400)} days.${seen}${why}`, 'Pass --since with the deployment time');
    }
    deployment = latest;
  }
  const end = Math.min(request.now, deployment.time + request.windowSeconds);
  const range = { start: deployment.time - request.baselineSeconds, end: Math.max(end, deployment.time + 1) };
  const evidence: QueryEvidence[] = [];
  for (const query of queries) {
    try {
      const result = await request.source(query.source).query(query.query, query.stepSeconds !== undefined ? { ...range, step: query.stepSeconds } : range, request.signal);
      const anomalies = result.series.flatMap((series) => detectAnomalies({ ...series, name: query.name }, { sensitivity: request.sensitivity, ...(query.unit !== undefined ? { unit: query.unit } : {}) }).anomalies);
      const observed = Math.max(0, ...result.series.map((s) => observedSeconds(s.times, s.values, deployment.time, deployment.time + request.windowSeconds)));
      // The same length of history before and after: the numbers the report states.
      const comparisons = compareWindows(result.series, { from: deployment.time - request.windowSeconds, to: deployment.time - 1e-6 }, { from: deployment.time, to: deployment.time + request.windowSeconds });
      const moved = comparisons.filter((c) => Number.isFinite(c.meanChange)).sort((a, b) => Math.abs(b.meanChange) - Math.abs(a.meanChange))[0];
      evidence.push({
        name: query.name,
        source: query.source,
        anomalies,
        observedAfterSeconds: observed,
        ...(result.partial ? { partial: result.partial } : {}),
        ...(query.unit !== undefined ? { unit: query.unit } : {}),
        ...(moved ? { change: { before: moved.before.mean, after: moved.after.mean } } : {}),
      });
    } catch (error) {
      if (OpsloopError.is(error, 'cancelled')) throw error;
      evidence.push({ name: query.name, source: query.source, anomalies: [], observedAfterSeconds: 0, failure: describeError(error) });
    }
  }
  return { assessment: assessDeployment(deployment, evidence, request.windowSeconds), problems };
}
