import { matchesFnmatch, matchesIncludeWildcard } from './globs';

/**
 * What the GitLab parser may know of the world, handed in by the node layer (src/node/pipeline/
 * gitlabSource.ts builds both from the file system and git): the repository's files and the
 * pipeline the plan is for (ref, source, variables, changed files).
 */

/** How a pattern is read: `include` for `include:local` wildcards, `fnmatch` for rules:exists/changes. */
export type GlobSyntax = 'include' | 'fnmatch';

export interface GitlabFileSource {
  /**
   * Text of a repository file (path from the repository root, forward slashes); undefined if
   * absent. May throw (a file too large, a link out of the repository): the parser reports it.
   */
  read(path: string): string | undefined;
  /** Repository files matching a GitLab pattern, sorted. */
  glob(pattern: string, syntax: GlobSyntax): readonly string[];
}

/** A file source over a known list of files (tests, the bench, and the node layer once it has listed the repository). */
export function listingFileSource(files: readonly string[], read: (path: string) => string | undefined): GitlabFileSource {
  const sorted = [...files].sort();
  return {
    read,
    glob(pattern, syntax) {
      const p = pattern.replace(/^\/+/, '');
      return sorted.filter((f) => (syntax === 'include' ? matchesIncludeWildcard(p, f) : matchesFnmatch(p, f)));
    },
  };
}

/** An in-memory repository: path → text. */
export function memoryFileSource(files: Readonly<Record<string, string>>): GitlabFileSource {
  return listingFileSource(Object.keys(files), (path) => (Object.prototype.hasOwnProperty.call(files, path) ? files[path] : undefined));
}

/** CI_PIPELINE_SOURCE values GitLab documents. */
export type GitlabPipelineSource =
  | 'push'
  | 'web'
  | 'schedule'
  | 'api'
  | 'trigger'
  | 'pipeline'
  | 'parent_pipeline'
  | 'merge_request_event'
  | 'external_pull_request_event'
  | 'chat'
  | 'external'
  | 'webide'
  | 'security_orchestration_policy'
  | 'ondemand_dast_scan'
  | 'ondemand_dast_validation';

export interface GitlabMergeRequest {
  readonly sourceBranch: string;
  readonly targetBranch: string;
  readonly iid?: number;
  readonly labels?: readonly string[];
  readonly title?: string;
}

export interface GitlabContext {
  /** The branch the pipeline runs for (CI_COMMIT_BRANCH); exactly one of branch and tag. */
  readonly branch?: string;
  /** The tag the pipeline runs for (CI_COMMIT_TAG). */
  readonly tag?: string;
  readonly pipelineSource: GitlabPipelineSource;
  readonly defaultBranch?: string;
  readonly sha?: string;
  readonly beforeSha?: string;
  readonly commitMessage?: string;
  readonly commitAuthor?: string;
  readonly commitTimestamp?: string;
  /** `group/subgroup/project`, from the git remote when it names one. */
  readonly projectPath?: string;
  readonly serverHost?: string;
  readonly mergeRequest?: GitlabMergeRequest;
  /**
   * Files changed by the push or merge request (for `changes`). Undefined when unknown: then
   * `changes` is true, as GitLab does for pipelines without a diff (new branches, tags, schedules).
   */
  readonly changedFiles?: readonly string[];
  /** Project, group and pipeline variables: they win over variables written in the YAML. */
  readonly variables?: Readonly<Record<string, string>>;
  /** Predefined variables the node layer knows beyond those computed here (CI_PROJECT_DIR...); lowest precedence. */
  readonly predefined?: Readonly<Record<string, string>>;
}

/** The ref name of the pipeline (CI_COMMIT_REF_NAME). */
export function refName(context: GitlabContext): string {
  if (context.pipelineSource === 'merge_request_event' && context.mergeRequest) return context.mergeRequest.sourceBranch;
  return context.tag ?? context.branch ?? context.defaultBranch ?? 'main';
}

/** CI_COMMIT_REF_SLUG: lower case, anything but a-z0-9 as '-', at most 63 characters, no '-' at the ends. */
export function refSlug(ref: string): string {
  return ref
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

/**
 * The predefined variables GitLab would give this pipeline, as far as they follow from the
 * context (GitLab's documented list); the node layer's `predefined` fills in the rest.
 */
export function gitlabPredefinedVariables(context: GitlabContext): Record<string, string> {
  const vars: Record<string, string> = { ...context.predefined };
  const ref = refName(context);
  const isMr = context.pipelineSource === 'merge_request_event';
  vars.CI = 'true';
  vars.GITLAB_CI = 'true';
  vars.CI_PIPELINE_SOURCE = context.pipelineSource;
  vars.CI_COMMIT_REF_NAME = ref;
  vars.CI_COMMIT_REF_SLUG = refSlug(ref);
  if (context.tag !== undefined && !isMr) {
    vars.CI_COMMIT_TAG = context.tag;
  } else if (!isMr && context.branch !== undefined) {
    vars.CI_COMMIT_BRANCH = context.branch;
  }
  if (context.defaultBranch !== undefined) vars.CI_DEFAULT_BRANCH = context.defaultBranch;
  if (context.sha !== undefined) {
    vars.CI_COMMIT_SHA = context.sha;
    vars.CI_COMMIT_SHORT_SHA = context.sha.slice(0, 8);
  }
  vars.CI_COMMIT_BEFORE_SHA = context.beforeSha ?? '0000000000000000000000000000000000000000';
  if (context.commitMessage !== undefined) {
    const message = context.commitMessage;
    const title = message.split('\n')[0] ?? '';
    vars.CI_COMMIT_MESSAGE = message;
    vars.CI_COMMIT_TITLE = title;
    vars.CI_COMMIT_DESCRIPTION = title.length < 100 ? message.slice(title.length).replace(/^\n/, '') : message;
  }
  if (context.commitAuthor !== undefined) vars.CI_COMMIT_AUTHOR = context.commitAuthor;
  if (context.commitTimestamp !== undefined) vars.CI_COMMIT_TIMESTAMP = context.commitTimestamp;
  if (context.projectPath !== undefined) {
    const path = context.projectPath;
    const slash = path.lastIndexOf('/');
    vars.CI_PROJECT_PATH = path;
    vars.CI_PROJECT_PATH_SLUG = refSlug(path);
    vars.CI_PROJECT_NAME = slash < 0 ? path : path.slice(slash + 1);
    vars.CI_PROJECT_NAMESPACE = slash < 0 ? '' : path.slice(0, slash);
    if (context.serverHost !== undefined) vars.CI_PROJECT_URL = `https://${context.serverHost}/${path}`;
  }
  if (context.serverHost !== undefined) {
    vars.CI_SERVER_HOST = context.serverHost;
    vars.CI_SERVER_URL = `https://${context.serverHost}`;
  }
  if (isMr && context.mergeRequest) {
    const mr = context.mergeRequest;
    vars.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME = mr.sourceBranch;
    vars.CI_MERGE_REQUEST_TARGET_BRANCH_NAME = mr.targetBranch;
    vars.CI_MERGE_REQUEST_EVENT_TYPE = 'detached';
    if (mr.iid !== undefined) vars.CI_MERGE_REQUEST_IID = String(mr.iid);
    if (mr.labels !== undefined) vars.CI_MERGE_REQUEST_LABELS = mr.labels.join(',');
    if (mr.title !== undefined) vars.CI_MERGE_REQUEST_TITLE = mr.title;
    if (context.projectPath !== undefined) vars.CI_MERGE_REQUEST_PROJECT_PATH = context.projectPath;
  }
  return vars;
}
