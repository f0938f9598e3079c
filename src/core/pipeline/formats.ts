import type { PipelineFormat } from './model';

/**
 * Which pipeline format a workspace-relative path (forward slashes) holds, by the names each CI
 * looks for. GitLab include targets and Azure templates are found through their root file.
 */
export function pipelineFormatOf(relativePath: string): PipelineFormat | undefined {
  const path = relativePath.replace(/\\/g, '/').replace(/^\.\//, '');
  if (path === '.gitlab-ci.yml' || path === '.gitlab-ci.yaml') return 'gitlab';
  if (/^\.github\/workflows\/[^/]+\.ya?ml$/.test(path)) return 'github';
  if (path === 'azure-pipelines.yml' || path === 'azure-pipelines.yaml') return 'azure';
  if (path === 'Jenkinsfile') return 'jenkins';
  return undefined;
}

/** Glob patterns for the same files (for VS Code's findFiles and file watchers). */
export const pipelineFileGlobs: readonly string[] = [
  '.gitlab-ci.{yml,yaml}',
  '.github/workflows/*.{yml,yaml}',
  'azure-pipelines.{yml,yaml}',
  'Jenkinsfile',
];

export const formatLabels: Readonly<Record<PipelineFormat, string>> = {
  gitlab: 'GitLab CI',
  github: 'GitHub Actions',
  azure: 'Azure Pipelines',
  jenkins: 'Jenkins',
};
