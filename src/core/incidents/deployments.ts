import type { Deployment } from './model';

/**
 * The deployments of a time range from several sources (build info, deploy tags, local deploy
 * jobs), for one service: the same revision reaching the same environment is one deployment,
 * at the earliest time any source saw it. Oldest first.
 */
export function mergeDeployments(lists: readonly (readonly Deployment[])[], range: { start: number; end: number }, service?: string): Deployment[] {
  const first = new Map<string, Deployment>();
  for (const d of lists.flat()) {
    if (d.time < range.start || d.time > range.end) continue;
    if (service !== undefined && d.service !== undefined && d.service !== service) continue;
    const key = `${d.environment}\u0000${d.revision}`;
    const seen = first.get(key);
    if (!seen || d.time < seen.time) first.set(key, d);
  }
  return [...first.values()].sort((a, b) => a.time - b.time);
}

/** The latest deployment at or before `time` within `withinSeconds`, if any: the usual suspect for a change that starts then. */
export function deploymentBefore(deployments: readonly Deployment[], time: number, withinSeconds: number): Deployment | undefined {
  let best: Deployment | undefined;
  for (const d of deployments) if (d.time <= time && time - d.time <= withinSeconds && (!best || d.time > best.time)) best = d;
  return best;
}
