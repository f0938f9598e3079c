/** Helpers for runner tests: temp folders, real git repositories, real runs, process liveness. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Pipeline } from '../../../../src/core/pipeline/model';
import type { RunSelection } from '../../../../src/core/run/runGraph';
import type { RunEvent } from '../../../../src/core/run/runEvents';
import type { RunState } from '../../../../src/core/run/runState';
import { type RunHandle, type RunOptions, startRun } from '../../../../src/node/runner/localRunner';

const made: string[] = [];

export function tempDir(prefix = 'opsloop-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function cleanTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** Runs git with a fixed identity and no global config, for repositories the tests create. */
export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Opsloop Test', '-c', 'user.email=test@opsloop.invalid', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });
}

/** A real repository with `files` committed on branch `main`. */
export function makeRepo(files: Record<string, string>, dir = tempDir('opsloop-repo-')): string {
  gitIn(dir, 'init', '-q');
  writeFiles(dir, files);
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

/** True when the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export interface Ran {
  readonly state: RunState;
  readonly events: RunEvent[];
  readonly handle: RunHandle;
  /** Output of a job (stdout, stderr, system), joined, by job name. */
  output(name: string): string;
  job(name: string): RunState['jobs'][number];
}

export type TestRunOptions = Partial<Omit<RunOptions, 'pipeline' | 'selection'>> & {
  selection?: RunSelection;
  /** Keep job.output events in `events` (default true; false for floods). */
  keepOutput?: boolean;
  whileRunning?: (handle: RunHandle, events: RunEvent[]) => void | Promise<void> };

export async function run(pipeline: Pipeline, options: TestRunOptions = {}): Promise<Ran> {
  const events: RunEvent[] = [];
  const root = options.root ?? tempDir();
  const handle = await startRun({
    root,
    pipeline,
    selection: options.selection ?? { kind: 'pipeline' },
    trigger: 'test',
    logDir: options.logDir ?? join(tempDir('opsloop-logs-'), 'logs'),
    ladder: { interruptMs: 300, terminateMs: 300 },
    lingerMs: 500,
    git: false,
    ...options,
    onEvent: (e) => {
      if (e.type !== 'job.output' || options.keepOutput !== false) events.push(e);
      options.onEvent?.(e);
    },
  });
  if (options.whileRunning) await options.whileRunning(handle, events);
  const state = await handle.done;
  const byName = (name: string): string => pipeline.jobs.find((j) => j.name === name)?.id ?? name;
  return {
    state,
    events,
    handle,
    output: (name) =>
      events
        .filter((e): e is Extract<RunEvent, { type: 'job.output' }> => e.type === 'job.output' && e.jobId === byName(name))
        .map((e) => e.text)
        .join(''),
    job: (name) => state.jobs.find((j) => j.name === name)!,
  };
}

export async function waitUntil(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
