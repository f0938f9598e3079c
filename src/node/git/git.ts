/**
 * A small, safe git wrapper (reliability item 19): argument arrays only (never a shell), hooks,
 * fsmonitor, external diff and textconv disabled, no prompts, a timeout and a cancel signal, an
 * output cap. Callers in the extension must check Workspace Trust before calling (git runs
 * nothing from the repository with these flags, but the rule is: no git in restricted mode).
 */
import { spawn } from 'node:child_process';
import { OpsloopError } from '../../core/errors';

/** Config that keeps git from running code the repository controls. */
export const safeGitConfig: readonly string[] = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=', '-c', 'core.untrackedCache=false', '-c', 'protocol.ext.allow=never'];

/** Subcommands that accept `--no-ext-diff --no-textconv`. */
const diffFamily = new Set(['diff', 'log', 'show', 'blame', 'format-patch', 'diff-tree', 'diff-index', 'diff-files']);
/** Of those, the ones that accept `--no-ext-diff` (blame only takes --no-textconv). */
const extDiffCapable = new Set(['diff', 'log', 'show', 'format-patch', 'diff-tree', 'diff-index', 'diff-files']);

export interface GitOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** Bytes of stdout kept; more is an error of kind `tooLarge`. */
  readonly maxBytes?: number;
  /** The git executable (a machine-scoped setting in VS Code); default `git` from PATH. */
  readonly gitPath?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface GitResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** The full argument list for `git <args>` with the safety flags in place. */
export function safeGitArgs(args: readonly string[]): string[] {
  const [command, ...rest] = args;
  const flags: string[] = [];
  if (command && diffFamily.has(command)) {
    if (extDiffCapable.has(command)) flags.push('--no-ext-diff');
    flags.push('--no-textconv');
  }
  return [...safeGitConfig, ...(command ? [command] : []), ...flags, ...rest];
}

/** Runs git in `cwd`; rejects with OpsloopError (notFound when git is missing or cwd is not a repository). */
export function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<GitResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new OpsloopError('cancelled', 'git was canceled before it started.'));
      return;
    }
    const child = spawn(options.gitPath ?? 'git', safeGitArgs(args), {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...options.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_OPTIONAL_LOCKS: '0',
        GCM_INTERACTIVE: 'never',
        GIT_PAGER: 'cat',
        LC_ALL: 'C',
      },
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let failure: OpsloopError | undefined;
    const stop = (error: OpsloopError): void => {
      failure ??= error;
      child.kill('SIGTERM');
    };
    const timer = setTimeout(() => stop(new OpsloopError('timeout', `git ${args[0] ?? ''} took longer than ${timeoutMs / 1000} s.`)), timeoutMs);
    const onAbort = (): void => stop(new OpsloopError('cancelled', `git ${args[0] ?? ''} was canceled.`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxBytes) stop(new OpsloopError('tooLarge', `git ${args[0] ?? ''} printed more than ${maxBytes} bytes.`));
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 64 * 1024) err += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= error.code === 'ENOENT' ? new OpsloopError('notFound', `git was not found (${options.gitPath ?? 'git'}).`, 'Install git') : new OpsloopError('internal', `git could not start: ${error.message}`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (failure) return reject(failure);
      const stdout = Buffer.concat(out).toString('utf8');
      if (code !== 0) {
        const message = err.trim().split('\n').slice(-3).join(' ') || `exit code ${code}`;
        const kind = /not a git repository|does not have any commits|unknown revision|bad revision|ambiguous argument 'HEAD'/i.test(err) ? 'notFound' : 'internal';
        return reject(new OpsloopError(kind, `git ${args[0] ?? ''} failed: ${message}`));
      }
      resolve({ stdout, stderr: err });
    });
  });
}

/** The commit HEAD points at (full sha), or undefined outside a repository / before the first commit. */
export async function revision(cwd: string, options: GitOptions = {}): Promise<string | undefined> {
  try {
    const { stdout } = await git(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], options);
    const sha = stdout.trim();
    return /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
  } catch (error) {
    if (OpsloopError.is(error, 'notFound') || OpsloopError.is(error, 'internal')) return undefined;
    throw error;
  }
}

/** The current branch name, or undefined when HEAD is detached or outside a repository. */
export async function branch(cwd: string, options: GitOptions = {}): Promise<string | undefined> {
  try {
    const { stdout } = await git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD'], options);
    return stdout.trim() || undefined;
  } catch (error) {
    if (OpsloopError.is(error, 'notFound') || OpsloopError.is(error, 'internal')) return undefined;
    throw error;
  }
}

/** The top folder of the repository that holds `cwd`, or undefined. */
export async function repositoryRoot(cwd: string, options: GitOptions = {}): Promise<string | undefined> {
  try {
    const { stdout } = await git(cwd, ['rev-parse', '--show-toplevel'], options);
    return stdout.trim() || undefined;
  } catch (error) {
    if (OpsloopError.is(error, 'notFound') || OpsloopError.is(error, 'internal')) return undefined;
    throw error;
  }
}

function splitZ(text: string): string[] {
  return text.split('\0').filter((s) => s.length > 0);
}

/** Tracked files (paths relative to `cwd`, forward slashes). */
export async function trackedFiles(cwd: string, options: GitOptions = {}): Promise<string[]> {
  const { stdout } = await git(cwd, ['ls-files', '-z', '--cached'], options);
  return splitZ(stdout);
}

export interface WorkingTreeChanges {
  /** Added, modified or untracked (not ignored) files, relative to the repository root. */
  readonly changed: readonly string[];
  /** Tracked files deleted in the working tree. */
  readonly deleted: readonly string[];
}

/** How the working tree differs from HEAD (staged or not), plus untracked files that are not ignored. */
export async function workingTreeChanges(cwd: string, options: GitOptions = {}): Promise<WorkingTreeChanges> {
  const [diff, untracked] = await Promise.all([
    git(cwd, ['diff', '--name-status', '--no-renames', '-z', 'HEAD', '--'], options),
    git(cwd, ['ls-files', '-z', '--others', '--exclude-standard'], options),
  ]);
  const changed: string[] = [];
  const deleted: string[] = [];
  const parts = splitZ(diff.stdout);
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const status = parts[i]!;
    const path = parts[i + 1]!;
    if (status.startsWith('D')) deleted.push(path);
    else changed.push(path);
  }
  changed.push(...splitZ(untracked.stdout));
  return { changed, deleted };
}

/**
 * A clean checkout of `rev` in `dest` that shares the objects of `source` (no copy of history):
 * `git clone --shared --no-checkout`, then a detached checkout. Hooks stay off in both.
 */
export async function cloneShared(source: string, dest: string, rev: string, options: GitOptions = {}): Promise<void> {
  await git(source, ['clone', '--quiet', '--shared', '--no-checkout', '--', source, dest], { timeoutMs: 120_000, ...options });
  await git(dest, ['checkout', '--quiet', '--detach', rev, '--'], { timeoutMs: 300_000, ...options });
}

/** The author name git would use here (for GITLAB_USER_LOGIN / GITHUB_ACTOR), if configured. */
export async function userName(cwd: string, options: GitOptions = {}): Promise<string | undefined> {
  try {
    const { stdout } = await git(cwd, ['config', '--get', 'user.name'], options);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}
