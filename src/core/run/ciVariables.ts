/**
 * The variables a job's scripts see: the predefined ones each CI sets (CI=true, CI_COMMIT_SHA,
 * GITHUB_SHA, BUILD_SOURCEVERSION, BUILD_NUMBER...), then the pipeline's, the job's and the
 * matrix values, in the CI's order of precedence. They reach scripts only as environment
 * variables (reliability item 18). Pure: the caller gives the commit, paths and numbers.
 */
import type { Job, Pipeline, PipelineFormat } from '../pipeline/model';

export interface RunContext {
  /** The commit that runs (full sha); empty when the folder is not a git repository. */
  readonly sha: string;
  /** The branch name (no refs/heads/), or empty when detached or unknown. */
  readonly branch: string;
  /** The folder the job runs in (workspace, or the isolated copy). */
  readonly projectDir: string;
  /** Name of the project (the workspace folder's name). */
  readonly projectName: string;
  /** A number for the run, unique in this history (GitLab's pipeline id, GitHub's run id). */
  readonly runNumber: number;
  /** A number for the job, unique in this run. */
  readonly jobNumber: number;
  readonly attempt: number;
  /** Temporary folder for the job (RUNNER_TEMP, AGENT_TEMPDIRECTORY). */
  readonly tempDir: string;
  /** The person running, if known (GITLAB_USER_LOGIN, GITHUB_ACTOR). */
  readonly user?: string;
  readonly timeoutSeconds?: number;
  readonly os?: 'Linux' | 'macOS' | 'Windows';
  readonly arch?: 'X64' | 'ARM64' | 'X86' | 'ARM';
}

/** GitLab's CI_*_SLUG: lowercased, non-alphanumerics to '-', at most 63 characters, no '-' at the ends. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

function gitlab(pipeline: Pipeline, job: Job, ctx: RunContext): Record<string, string> {
  const v: Record<string, string> = {
    CI: 'true',
    // Not claiming to be GitLab: scripts that push releases or images check this.
    GITLAB_CI: 'false',
    CI_SERVER: 'yes',
    CI_COMMIT_SHA: ctx.sha,
    CI_COMMIT_SHORT_SHA: ctx.sha.slice(0, 8),
    CI_COMMIT_BEFORE_SHA: '0000000000000000000000000000000000000000',
    CI_COMMIT_REF_NAME: ctx.branch,
    CI_COMMIT_REF_SLUG: slug(ctx.branch),
    CI_COMMIT_BRANCH: ctx.branch,
    CI_DEFAULT_BRANCH: ctx.branch,
    CI_PIPELINE_ID: String(ctx.runNumber),
    CI_PIPELINE_IID: String(ctx.runNumber),
    CI_PIPELINE_SOURCE: 'push',
    CI_PIPELINE_NAME: pipeline.name,
    CI_JOB_ID: String(ctx.jobNumber),
    CI_JOB_NAME: job.name,
    CI_JOB_NAME_SLUG: slug(job.name),
    CI_JOB_STAGE: job.stage,
    CI_JOB_TIMEOUT: ctx.timeoutSeconds !== undefined ? String(ctx.timeoutSeconds) : '',
    CI_PROJECT_DIR: ctx.projectDir,
    CI_BUILDS_DIR: ctx.projectDir,
    CI_PROJECT_NAME: ctx.projectName,
    CI_PROJECT_PATH: ctx.projectName,
    CI_PROJECT_PATH_SLUG: slug(ctx.projectName),
    CI_CONFIG_PATH: pipeline.file,
    CI_RUNNER_DESCRIPTION: 'opsloop local shell',
    CI_RUNNER_TAGS: '[]',
    CI_NODE_TOTAL: '1',
  };
  if (job.retry > 0) v.CI_JOB_RETRIES = String(job.retry);
  if (ctx.user) {
    v.GITLAB_USER_LOGIN = ctx.user;
    v.GITLAB_USER_NAME = ctx.user;
  }
  if (job.environment) {
    v.CI_ENVIRONMENT_NAME = job.environment.name;
    v.CI_ENVIRONMENT_SLUG = slug(job.environment.name);
    if (job.environment.url) v.CI_ENVIRONMENT_URL = job.environment.url;
    if (job.environment.action) v.CI_ENVIRONMENT_ACTION = job.environment.action;
  }
  // `parallel: N` instances are named "job i/N".
  const parallel = /\s(\d+)\/(\d+)$/.exec(job.name);
  if (parallel && job.definition !== job.name) {
    v.CI_NODE_INDEX = parallel[1]!;
    v.CI_NODE_TOTAL = parallel[2]!;
  }
  return v;
}

function github(pipeline: Pipeline, job: Job, ctx: RunContext): Record<string, string> {
  return {
    CI: 'true',
    // act sets this too; scripts use it to print ::group:: markers, which the log shows as text.
    GITHUB_ACTIONS: 'true',
    GITHUB_SHA: ctx.sha,
    GITHUB_REF: ctx.branch ? `refs/heads/${ctx.branch}` : '',
    GITHUB_REF_NAME: ctx.branch,
    GITHUB_REF_TYPE: 'branch',
    GITHUB_HEAD_REF: '',
    GITHUB_BASE_REF: '',
    GITHUB_WORKSPACE: ctx.projectDir,
    GITHUB_RUN_ID: String(ctx.runNumber),
    GITHUB_RUN_NUMBER: String(ctx.runNumber),
    GITHUB_RUN_ATTEMPT: String(ctx.attempt),
    GITHUB_JOB: job.definition,
    GITHUB_WORKFLOW: pipeline.name,
    GITHUB_WORKFLOW_REF: pipeline.file,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_ACTOR: ctx.user ?? '',
    GITHUB_REPOSITORY: ctx.projectName,
    GITHUB_REPOSITORY_OWNER: '',
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_OS: ctx.os ?? 'Linux',
    RUNNER_ARCH: ctx.arch ?? 'X64',
    RUNNER_NAME: 'opsloop',
    RUNNER_TEMP: ctx.tempDir,
    RUNNER_ENVIRONMENT: 'self-hosted',
  };
}

function azure(pipeline: Pipeline, job: Job, ctx: RunContext): Record<string, string> {
  return {
    CI: 'true',
    TF_BUILD: 'True',
    BUILD_SOURCEVERSION: ctx.sha,
    BUILD_SOURCEBRANCH: ctx.branch ? `refs/heads/${ctx.branch}` : '',
    BUILD_SOURCEBRANCHNAME: ctx.branch.split('/').pop() ?? '',
    BUILD_BUILDID: String(ctx.runNumber),
    BUILD_BUILDNUMBER: String(ctx.runNumber),
    BUILD_REASON: 'Manual',
    BUILD_REPOSITORY_NAME: ctx.projectName,
    BUILD_REPOSITORY_LOCALPATH: ctx.projectDir,
    BUILD_SOURCESDIRECTORY: ctx.projectDir,
    BUILD_ARTIFACTSTAGINGDIRECTORY: ctx.tempDir,
    BUILD_BINARIESDIRECTORY: ctx.tempDir,
    SYSTEM_DEFAULTWORKINGDIRECTORY: ctx.projectDir,
    SYSTEM_JOBATTEMPT: String(ctx.attempt),
    SYSTEM_JOBDISPLAYNAME: job.name,
    SYSTEM_JOBNAME: job.definition,
    SYSTEM_STAGENAME: job.stage,
    SYSTEM_DEFINITIONNAME: pipeline.name,
    PIPELINE_WORKSPACE: ctx.projectDir,
    AGENT_OS: ctx.os === 'macOS' ? 'Darwin' : (ctx.os ?? 'Linux'),
    AGENT_TEMPDIRECTORY: ctx.tempDir,
    AGENT_JOBNAME: job.name,
    AGENT_NAME: 'opsloop',
  };
}

function jenkins(_pipeline: Pipeline, job: Job, ctx: RunContext): Record<string, string> {
  return {
    CI: 'true',
    BUILD_NUMBER: String(ctx.runNumber),
    BUILD_ID: String(ctx.runNumber),
    BUILD_TAG: `opsloop-${slug(ctx.projectName)}-${ctx.runNumber}`,
    JOB_NAME: ctx.projectName,
    JOB_BASE_NAME: ctx.projectName,
    STAGE_NAME: job.stage || job.name,
    WORKSPACE: ctx.projectDir,
    GIT_COMMIT: ctx.sha,
    GIT_BRANCH: ctx.branch,
    BRANCH_NAME: ctx.branch,
    NODE_NAME: 'built-in',
    EXECUTOR_NUMBER: '0',
  };
}

const predefined: Readonly<Record<PipelineFormat, (p: Pipeline, j: Job, c: RunContext) => Record<string, string>>> = { gitlab, github, azure, jenkins };

/** Azure exposes `a.b` as the environment variable `A_B`. */
export function azureEnvName(name: string): string {
  return name.replace(/\./g, '_').toUpperCase();
}

/**
 * Expands `$NAME` and `${NAME}` in variable values from the variables defined before them (GitLab
 * expands variables inside variables; `$$` is a literal `$`). Unknown names expand to nothing,
 * as in GitLab.
 */
export function expandValue(value: string, lookup: (name: string) => string | undefined): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced?: string, bare?: string) => {
    if (match === '$$') return '$';
    return lookup((braced ?? bare)!) ?? '';
  });
}

/**
 * The job's variables: predefined < pipeline < job < matrix (GitLab's precedence; GitHub's
 * workflow `env` < job `env`). Step-level `env` is added per step by the executor. `base` is the
 * inherited environment, used only to expand references (`PATH: "$PATH:/x"`).
 */
export function jobVariables(pipeline: Pipeline, job: Job, ctx: RunContext, base: Readonly<Record<string, string | undefined>> = {}): Record<string, string> {
  const env: Record<string, string> = { ...predefined[pipeline.format](pipeline, job, ctx) };
  const lookup = (name: string): string | undefined => env[name] ?? base[name];
  const apply = (vars: Readonly<Record<string, string>>, expand: boolean): void => {
    for (const [name, value] of Object.entries(vars)) {
      const key = pipeline.format === 'azure' ? azureEnvName(name) : name;
      env[key] = expand ? expandValue(value, lookup) : value;
    }
  };
  const expand = pipeline.format === 'gitlab';
  apply(pipeline.variables, expand);
  apply(job.variables, expand);
  if (job.matrix && pipeline.format !== 'github') apply(job.matrix, false);
  return env;
}
