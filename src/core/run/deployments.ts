/**
 * A passed job with an environment that deploys becomes a Deployment record, which the incidents
 * work reads to link an anomaly to the change that caused it.
 */
import type { Deployment } from '../incidents/model';
import type { Job, Pipeline } from '../pipeline/model';
import { expandValue } from './ciVariables';

/** Environment actions that do not deploy (GitLab: prepare, stop, verify, access). */
const nonDeploying = new Set(['prepare', 'stop', 'verify', 'access']);

/** Variables that name the deployed service, first found wins (job before pipeline). */
export const serviceVariableNames: readonly string[] = ['OPSLOOP_SERVICE', 'SERVICE_NAME', 'SERVICE'];

export function deploysTo(job: Job): string | undefined {
  const environment = job.environment;
  if (!environment || !environment.name) return undefined;
  if (environment.action && nonDeploying.has(environment.action)) return undefined;
  return environment.name;
}

export function deploymentFor(
  pipeline: Pipeline,
  job: Job,
  details: { readonly runId: string; readonly revision: string; readonly time: number; readonly env?: Readonly<Record<string, string>> },
): Deployment | undefined {
  const name = deploysTo(job);
  if (!name || !details.revision) return undefined;
  const lookup = (v: string): string | undefined => details.env?.[v] ?? job.variables[v] ?? pipeline.variables[v];
  // Environment names may hold variables (`review/$CI_COMMIT_REF_SLUG`).
  const environment = expandValue(name, lookup);
  let service: string | undefined;
  for (const variable of serviceVariableNames) {
    const value = job.variables[variable] ?? pipeline.variables[variable];
    if (value) {
      service = expandValue(value, lookup);
      break;
    }
  }
  return {
    id: `${details.runId}:${job.id}`,
    environment,
    ...(service ? { service } : {}),
    revision: details.revision,
    time: details.time,
    source: 'pipeline',
    runId: details.runId,
    jobName: job.name,
  };
}
