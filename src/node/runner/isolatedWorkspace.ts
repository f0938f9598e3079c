/**
 * Isolated mode: the run works on a clean copy of the tracked files at HEAD (a shared clone,
 * so history is not copied), optionally with the working tree's changes laid over it. Each job
 * gets its own copy of that snapshot, as each CI job gets a fresh checkout, and receives the
 * declared `artifacts:paths` of the jobs it needs.
 */
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { OpsloopError } from '../../core/errors';
import { artifactPatternToRegExp, escapesProject, literalPrefix, matchesArtifact, normalizeArtifactPath } from '../../core/run/artifactGlob';
import { cloneShared, repositoryRoot, revision, workingTreeChanges } from '../git/git';

export interface IsolatedWorkspaceOptions {
  /** The workspace folder (may be below the repository's top). */
  readonly root: string;
  /** Folder for this run's copies; removed by dispose(). */
  readonly baseDir: string;
  readonly includeWorkingTreeChanges: boolean;
  readonly signal?: AbortSignal;
}

export class IsolatedWorkspace {
  private constructor(
    private readonly baseDir: string,
    /** The snapshot every job copies. */
    private readonly snapshot: string,
    /** Where the workspace folder sits inside the repository ('' at the top). */
    private readonly subPath: string,
    readonly revision: string,
    readonly changedFiles: number,
  ) {}

  static async create(options: IsolatedWorkspaceOptions): Promise<IsolatedWorkspace> {
    const top = await repositoryRoot(options.root, { signal: options.signal });
    const rev = top ? await revision(top, { signal: options.signal }) : undefined;
    if (!top || !rev) {
      throw new OpsloopError('unsupported', `Isolated mode copies the tracked files at HEAD, but ${options.root} is not in a git repository with a commit.`, 'Run without isolated mode');
    }
    const snapshot = join(options.baseDir, 'snapshot');
    mkdirSync(options.baseDir, { recursive: true });
    await cloneShared(top, snapshot, rev, { signal: options.signal });
    let changed = 0;
    if (options.includeWorkingTreeChanges) {
      const changes = await workingTreeChanges(top, { signal: options.signal });
      for (const path of changes.changed) {
        const from = join(top, path);
        const to = join(snapshot, path);
        try {
          const info = lstatSync(from);
          if (info.isDirectory()) continue; // a nested repository shows as a folder
          mkdirSync(dirname(to), { recursive: true });
          rmSync(to, { force: true });
          if (info.isSymbolicLink()) cpSync(from, to, { verbatimSymlinks: true });
          else copyFileSync(from, to);
          changed++;
        } catch {
          // Deleted between listing and copying: nothing to copy.
        }
      }
      for (const path of changes.deleted) {
        rmSync(join(snapshot, path), { force: true });
        changed++;
      }
    }
    const subPath = relative(top, options.root);
    return new IsolatedWorkspace(options.baseDir, snapshot, subPath === '' ? '' : subPath, rev, changed);
  }

  /** A fresh copy for job number `n`; returns the job's project folder (the workspace folder inside the copy). */
  prepareJob(n: number): string {
    const dir = join(this.baseDir, 'jobs', String(n));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dirname(dir), { recursive: true });
    cpSync(this.snapshot, dir, { recursive: true, verbatimSymlinks: true });
    return this.subPath ? join(dir, this.subPath) : dir;
  }

  private artifactDir(n: number): string {
    return join(this.baseDir, 'artifacts', String(n));
  }

  /**
   * Keeps the files of `patterns` from a job's project folder. Returns the paths kept and the
   * patterns that matched nothing (GitLab warns about those too).
   */
  collectArtifacts(n: number, projectDir: string, patterns: readonly string[]): { kept: string[]; unmatched: string[]; refused: string[] } {
    const refused = patterns.filter(escapesProject);
    const usable = patterns.filter((p) => !escapesProject(p));
    const kept: string[] = [];
    const unmatched: string[] = [];
    const target = this.artifactDir(n);
    for (const pattern of usable) {
      const regex = [artifactPatternToRegExp(pattern)];
      const start = literalPrefix(pattern);
      const startPath = join(projectDir, start);
      const before = kept.length;
      if (existsSync(startPath)) {
        for (const file of walk(startPath)) {
          const rel = normalizeArtifactPath(relative(projectDir, file).split(sep).join('/'));
          if (rel.startsWith('.git/') || !matchesArtifact(rel, regex)) continue;
          const to = join(target, rel);
          mkdirSync(dirname(to), { recursive: true });
          cpSync(file, to, { verbatimSymlinks: true });
          kept.push(rel);
        }
      }
      if (kept.length === before) unmatched.push(pattern);
    }
    return { kept, unmatched, refused };
  }

  /** Copies the artifacts of the jobs numbered `from` (in order) into a job's project folder. */
  restoreArtifacts(from: readonly number[], projectDir: string): number {
    let count = 0;
    for (const n of from) {
      const dir = this.artifactDir(n);
      if (!existsSync(dir)) continue;
      for (const file of walk(dir)) {
        const rel = relative(dir, file);
        const to = join(projectDir, rel);
        mkdirSync(dirname(to), { recursive: true });
        rmSync(to, { force: true, recursive: true });
        cpSync(file, to, { verbatimSymlinks: true });
        count++;
      }
    }
    return count;
  }

  /** Removes a job's copy once it is no longer needed (its artifacts were kept apart). */
  releaseJob(n: number): void {
    rmSync(join(this.baseDir, 'jobs', String(n)), { recursive: true, force: true });
  }

  dispose(): void {
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}

/** Files below `path` (or `path` itself when it is a file); symbolic links are not followed. */
function* walk(path: string): Generator<string> {
  const info = lstatSync(path);
  if (!info.isDirectory()) {
    yield path;
    return;
  }
  for (const name of readdirSync(path)) {
    const child = join(path, name);
    const childInfo = lstatSync(child);
    if (childInfo.isDirectory()) yield* walk(child);
    else yield child;
  }
}

/** True when `path` exists and is a folder. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
