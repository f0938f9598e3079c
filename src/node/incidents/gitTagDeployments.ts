import type { GitTagsDeploymentConfig } from '../../core/config/opsloopConfig';
import type { Deployment } from '../../core/incidents/model';
import { git, type GitOptions } from '../git/git';

/**
 * Deployments recorded as git tags (`deploy-*`): each matching tag is a deployment of the commit
 * it points at, at the tag's date (the tagger's date for an annotated tag, the commit's for a
 * lightweight one). Callers check Workspace Trust first (git runs only in trusted workspaces).
 */
export async function gitTagDeployments(root: string, entry: GitTagsDeploymentConfig, range: { start: number; end: number }, options: GitOptions = {}): Promise<Deployment[]> {
  if (!/^[\w./*?[\]-]+$/.test(entry.pattern)) return [];
  const format = ['%(refname:short)', '%(objectname)', '%(*objectname)', '%(creatordate:unix)'].join('%00');
  const { stdout } = await git(root, ['for-each-ref', `--format=${format}`, `refs/tags/${entry.pattern}`], options);
  const deployments: Deployment[] = [];
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const [tag, object, peeled, date] = line.split('\0');
    const revision = peeled || object;
    const time = Number(date);
    if (!tag || !revision || !Number.isFinite(time) || time < range.start || time > range.end) continue;
    deployments.push({
      id: `gitTag:${tag}`,
      environment: entry.environment ?? 'production',
      ...(entry.service !== undefined ? { service: entry.service } : {}),
      revision,
      time,
      source: 'gitTag',
      jobName: tag,
    });
  }
  return deployments.sort((a, b) => a.time - b.time);
}
