import { readFileSync, realpathSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { OpsloopError } from '../../core/errors';
import { listingFileSource, type GitlabContext, type GitlabFileSource, type GitlabPipelineSource } from '../../core/pipeline/gitlab/gitlabContext';
import { defaultYamlLimits } from '../../core/pipeline/yaml/yamlLoader';
import { git, type GitOptions } from '../git/git';

/**
 * What the pure GitLab parser needs from the outside world, built here: the repository's files
 * (for `include:local` wildcards, `rules:exists`, and reading included files) and the pipeline
 * context (branch or tag, default branch, commit, project path, changed files) from git.
 *
 * git runs through src/node/git/git.ts (hooks, fsmonitor, external diff and textconv off,
 * reliability.md item 19) and only when `useGit` is true: the extension passes false in
 * Restricted Mode, and then the context falls back to what the files alone tell.
 */

export interface GitlabSourceOptions {
  /** Run git (trusted workspaces only). Default true. */
  readonly useGit?: boolean;
  /** CI_PIPELINE_SOURCE of the plan; default `push`. */
  readonly pipelineSource?: GitlabPipelineSource;
  /** Pipeline variables (`--variable K=V`), highest precedence. */
  readonly variables?: Readonly<Record<string, string>>;
  /** Plan for this branch or tag instead of the checked-out one. */
  readonly branch?: string;
  readonly tag?: string;
  /** Largest file read, in bytes (default: the YAML loader's limit). */
  readonly maxFileBytes?: number;
  /** Most files listed (default 200,000); a bigger repository is listed partly, which only affects wildcards. */
  readonly maxFiles?: number;
  readonly signal?: AbortSignal;
  readonly gitPath?: string;
}

export interface GitlabInputs {
  readonly source: GitlabFileSource;
  readonly context: GitlabContext;
}

const skippedFolders = new Set(['.git', 'node_modules', '.vscode-test', 'out', 'dist']);

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Source and context for `parseGitlabPipeline`, from the folder `root` (the repository root). */
export async function prepareGitlabInputs(root: string, options: GitlabSourceOptions = {}): Promise<GitlabInputs> {
  const files = await listRepositoryFiles(root, options);
  const context = await gitlabContextFromGit(root, options);
  return { source: gitlabFileSource(root, files, options.maxFileBytes), context };
}

/**
 * Reads repository files for the parser: only inside `root` (a link that leaves it is refused),
 * at most `maxBytes`; a missing file is undefined, an unusable one an OpsloopError that the
 * parser turns into a diagnostic on the include that names it.
 */
export function gitlabFileSource(root: string, files: readonly string[], maxBytes = defaultYamlLimits.maxBytes): GitlabFileSource {
  let realRoot: string | undefined;
  const read = (path: string): string | undefined => {
    const clean = path.replace(/\\/g, '/').replace(/^\/+/, '');
    if (clean.split('/').includes('..')) throw new OpsloopError('invalidInput', `${path} is outside the repository.`);
    let real: string;
    try {
      real = realpathSync(join(root, clean));
    } catch {
      return undefined;
    }
    realRoot ??= realpathSync(root);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new OpsloopError('forbidden', `${clean} links outside the repository; it is not read.`);
    const info = statSync(real);
    if (!info.isFile()) return undefined;
    if (info.size > maxBytes) throw new OpsloopError('tooLarge', `${clean} is ${formatBytes(info.size)}, more than the ${formatBytes(maxBytes)} Opsloop reads.`);
    return readFileSync(real, 'utf8');
  };
  return listingFileSource(files, read);
}

/** Files of the repository: tracked and untracked-but-not-ignored from git, else a walk of the folder. */
export async function listRepositoryFiles(root: string, options: GitlabSourceOptions = {}): Promise<string[]> {
  const max = options.maxFiles ?? 200_000;
  if (options.useGit !== false) {
    try {
      const { stdout } = await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], gitOptions(options));
      const files = [...new Set(stdout.split('\0').filter((f) => f.length > 0))];
      return files.slice(0, max);
    } catch (error) {
      if (OpsloopError.is(error, 'cancelled')) throw error;
      // not a repository, or git missing: list the folder instead
    }
  }
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    if (out.length >= max) return;
    if (options.signal?.aborted) throw new OpsloopError('cancelled', 'Listing the repository was cancelled.');
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= max) return;
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (!skippedFolders.has(e.name)) await walk(full);
      } else if (e.isFile()) {
        out.push(relative(root, full).split(sep).join('/'));
      }
    }
  };
  await walk(root);
  return out.sort();
}

function gitOptions(options: GitlabSourceOptions): GitOptions {
  return { ...(options.signal ? { signal: options.signal } : {}), ...(options.gitPath ? { gitPath: options.gitPath } : {}), timeoutMs: 20_000 };
}

/** `group/project` and host from a remote URL (https, ssh or scp-like). */
export function parseRemote(url: string): { host: string; path: string } | undefined {
  const trimmed = url.trim().replace(/\.git$/, '').replace(/\/+$/, '');
  let m = /^[a-z+]+:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+)$/i.exec(trimmed);
  if (!m) m = /^(?:[^@/]+@)?([^/:]+):(?!\/)(.+)$/.exec(trimmed);
  if (!m || !m[2]!.includes('/')) return undefined;
  return { host: m[1]!, path: m[2]! };
}

/**
 * The pipeline context of the checked-out commit: branch (or the tag at HEAD when detached),
 * default branch (origin's HEAD, else main/master), commit data, project path from `origin`, and
 * the changed files the next push would bring (from the upstream or the default branch's
 * merge base to the working tree, untracked files included). Without git: branch `main`,
 * changes unknown.
 */
export async function gitlabContextFromGit(root: string, options: GitlabSourceOptions = {}): Promise<GitlabContext> {
  const base = {
    pipelineSource: options.pipelineSource ?? 'push',
    ...(options.variables ? { variables: options.variables } : {}),
    predefined: { CI_PROJECT_DIR: root, CI_BUILDS_DIR: root } as Record<string, string>,
  };
  const pinned = options.tag !== undefined ? { tag: options.tag } : options.branch !== undefined ? { branch: options.branch } : undefined;
  if (options.useGit === false) return { ...base, ...(pinned ?? { branch: 'main' }), defaultBranch: 'main' };

  const o = gitOptions(options);
  const run = async (args: string[]): Promise<string | undefined> => {
    try {
      return (await git(root, args, o)).stdout.trim();
    } catch (error) {
      if (OpsloopError.is(error, 'cancelled')) throw error;
      return undefined;
    }
  };
  const sha = await run(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  if (!sha) return { ...base, ...(pinned ?? { branch: 'main' }), defaultBranch: 'main' };

  const current = await run(['symbolic-ref', '--quiet', '--short', 'HEAD']);
  let ref: { branch?: string; tag?: string } | undefined = pinned;
  if (!ref && current) ref = { branch: current };
  if (!ref) {
    const tags = (await run(['tag', '--points-at', 'HEAD']))?.split('\n').filter(Boolean) ?? [];
    ref = tags.length > 0 ? { tag: tags.sort()[0]! } : { branch: sha.slice(0, 8) };
  }

  const originHead = await run(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']);
  let defaultBranch = originHead?.replace(/^origin\//, '');
  if (!defaultBranch) {
    for (const candidate of ['main', 'master']) {
      if (await run(['rev-parse', '--verify', '--quiet', `refs/heads/${candidate}`])) {
        defaultBranch = candidate;
        break;
      }
    }
  }
  defaultBranch ??= current ?? 'main';

  const log = await run(['log', '-1', '--format=%an%x00%ae%x00%cI%x00%B', 'HEAD']);
  const [author, email, timestamp, ...messageParts] = (log ?? '').split('\0');
  const message = messageParts.join('\0').replace(/\n+$/, '');
  const remote = await run(['remote', 'get-url', 'origin']);
  const project = remote ? parseRemote(remote) : undefined;
  const userName = await run(['config', '--get', 'user.name']);
  const userEmail = await run(['config', '--get', 'user.email']);

  // What the next push would bring: from the upstream (or where the branch left the default branch) to the working tree.
  let changedFiles: string[] | undefined;
  const upstream = ref.branch !== undefined ? await run(['rev-parse', '--verify', '--quiet', '@{upstream}']) : undefined;
  let diffBase = upstream;
  if (!diffBase && ref.branch !== undefined && ref.branch !== defaultBranch) {
    diffBase = await run(['merge-base', 'HEAD', `refs/heads/${defaultBranch}`]);
  }
  if (diffBase) {
    const diff = await run(['diff', '--name-only', '-z', '--no-renames', diffBase, '--']);
    const untracked = await run(['ls-files', '-z', '--others', '--exclude-standard']);
    if (diff !== undefined) changedFiles = [...new Set([...diff.split('\0'), ...(untracked ?? '').split('\0')].filter(Boolean))].sort();
  }

  const predefined: Record<string, string> = { ...base.predefined };
  if (userName) predefined.GITLAB_USER_NAME = userName;
  if (userEmail) predefined.GITLAB_USER_EMAIL = userEmail;
  return {
    ...base,
    predefined,
    ...ref,
    defaultBranch,
    sha,
    ...(message ? { commitMessage: message } : {}),
    ...(author ? { commitAuthor: `${author} <${email ?? ''}>` } : {}),
    ...(timestamp ? { commitTimestamp: timestamp } : {}),
    ...(project ? { projectPath: project.path, serverHost: project.host } : {}),
    ...(changedFiles ? { changedFiles } : {}),
  };
}
