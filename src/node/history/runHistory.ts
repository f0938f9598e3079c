/**
 * Run history on disk (reliability item 20), in a folder the caller chooses (VS Code: the
 * extension's storage; CLI: .opsloop/runs). It survives a crash of the process writing it:
 *
 *   <folder>/index.json            summaries of the last runs, replaced atomically (temp + rename)
 *   <folder>/<runId>/events.jsonl  every RunEvent except output, appended one line each
 *   <folder>/<runId>/owner.json    the writing process (a run whose writer died is "interrupted")
 *   <folder>/<runId>/logs/*.log    the jobs' full logs (written by the runner)
 *   <folder>/deployments.jsonl     Deployment records of passed deploy jobs, appended
 *
 * The index is a cache: runs are found from their folders too, so a crash between an append
 * and the index update loses nothing. A torn last line (a crash in the middle of a write) is
 * skipped on load. The last `keep` runs are kept (default 100).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Deployment } from '../../core/incidents/model';
import type { PipelineFormat } from '../../core/pipeline/model';
import type { RunEvent, RunStatus } from '../../core/run/runEvents';
import { isRunFinished, markInterrupted, reduceRun, runProgress, type RunState } from '../../core/run/runState';

export interface RunSummary {
  readonly runId: string;
  readonly pipeline: { readonly file: string; readonly format: PipelineFormat; readonly name: string };
  readonly trigger: string;
  readonly selection?: string;
  readonly status: RunStatus;
  readonly queuedTime: number;
  readonly endTime?: number;
  readonly durationMs?: number;
  readonly revision?: string;
  readonly branch?: string;
  readonly reason?: string;
  readonly jobs: { readonly total: number; readonly passed: number; readonly failed: number; readonly skipped: number };
  readonly failedJobs: readonly string[];
}

export interface LoadedRun {
  readonly state: RunState;
  /** Lines that could not be read (a torn last line after a crash). */
  readonly skippedLines: number;
  /** The writer is still running it (in this or another process). */
  readonly live: boolean;
}

interface Owner {
  readonly pid: number;
  readonly host: string;
}

const runIdPattern = /^[A-Za-z0-9._-]{1,100}$/;

export function summarize(state: RunState): RunSummary {
  const progress = runProgress(state);
  return {
    runId: state.runId,
    pipeline: state.pipeline,
    trigger: state.trigger,
    ...(state.selection !== undefined ? { selection: state.selection } : {}),
    status: state.status,
    queuedTime: state.queuedTime,
    ...(state.endTime !== undefined ? { endTime: state.endTime } : {}),
    ...(state.durationMs !== undefined ? { durationMs: state.durationMs } : {}),
    ...(state.revision !== undefined ? { revision: state.revision } : {}),
    ...(state.branch !== undefined ? { branch: state.branch } : {}),
    ...(state.reason !== undefined ? { reason: state.reason } : {}),
    jobs: { total: progress.total, passed: progress.passed, failed: progress.failed.length, skipped: progress.skipped },
    failedJobs: progress.failed.map((j) => j.name),
  };
}

/** Writes `text` to `path` atomically: a temporary file in the same folder, then a rename. */
export function writeFileAtomic(path: string, text: string): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/** Lines of a JSONL file that parse; torn or corrupt lines are counted, not fatal. */
export function readJsonLines<T>(path: string): { values: T[]; skipped: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { values: [], skipped: 0 };
  }
  const values: T[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      values.push(JSON.parse(line) as T);
    } catch {
      skipped++;
    }
  }
  return { values, skipped };
}

function processAlive(owner: Owner | undefined): boolean {
  if (!owner || owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RunRecorder {
  private fd: number | undefined;
  private state: RunState | undefined;

  constructor(
    private readonly history: RunHistory,
    readonly runId: string,
    readonly dir: string,
  ) {
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileAtomic(join(dir, 'owner.json'), JSON.stringify({ pid: process.pid, host: hostname() } satisfies Owner));
    this.fd = openSync(join(dir, 'events.jsonl'), 'a');
  }

  /** Where the runner writes the jobs' logs. */
  get logDir(): string {
    return join(this.dir, 'logs');
  }

  /** The runner's onEvent. Output is not recorded here: it is in the log files. */
  readonly record = (event: RunEvent): void => {
    if (event.runId !== this.runId) return;
    this.state = reduceRun(this.state, event);
    if (event.type === 'job.output' || this.fd === undefined) return;
    const line = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
    let offset = 0;
    while (offset < line.length) offset += writeSync(this.fd, line, offset);
    if (event.type === 'job.finished' && event.deployment) this.history.appendDeployment(event.deployment);
    if (event.type === 'run.queued' || event.type === 'run.finished') {
      if (this.state) this.history.updateIndex(summarize(this.state));
    }
    if (event.type === 'run.finished') {
      this.close();
      this.history.prune();
    }
  };

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

export class RunHistory {
  private readonly runsDir: string;
  private readonly indexFile: string;
  private readonly deploymentsFile: string;

  constructor(
    readonly folder: string,
    private readonly options: { readonly keep?: number } = {},
  ) {
    this.runsDir = folder;
    this.indexFile = join(folder, 'index.json');
    this.deploymentsFile = join(folder, 'deployments.jsonl');
  }

  get keep(): number {
    return Math.max(1, this.options.keep ?? 100);
  }

  /** The run folders (each run is a folder named by its id; files beside them are the index and such). */
  private runDirs(): string[] {
    try {
      return readdirSync(this.runsDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && runIdPattern.test(d.name))
        .map((d) => d.name);
    } catch {
      return [];
    }
  }

  /** Starts recording a run. */
  begin(runId: string): RunRecorder {
    if (!runIdPattern.test(runId)) throw new Error(`Not a valid run id: ${runId}`);
    mkdirSync(this.runsDir, { recursive: true });
    return new RunRecorder(this, runId, join(this.runsDir, runId));
  }

  private readIndex(): RunSummary[] {
    try {
      const parsed = JSON.parse(readFileSync(this.indexFile, 'utf8')) as { runs?: RunSummary[] };
      return Array.isArray(parsed.runs) ? parsed.runs.filter((r) => r && typeof r.runId === 'string') : [];
    } catch {
      return [];
    }
  }

  /** Replaces (or adds) one run's summary in the index, atomically. */
  updateIndex(summary: RunSummary): void {
    mkdirSync(this.folder, { recursive: true });
    const runs = this.readIndex().filter((r) => r.runId !== summary.runId);
    runs.push(summary);
    runs.sort((a, b) => b.queuedTime - a.queuedTime);
    // Trimmed to the kept runs by prune(), which knows which folders are gone.
    writeFileAtomic(this.indexFile, JSON.stringify({ version: 1, runs }, null, 1));
  }

  private owner(runId: string): Owner | undefined {
    try {
      return JSON.parse(readFileSync(join(this.runsDir, runId, 'owner.json'), 'utf8')) as Owner;
    } catch {
      return undefined;
    }
  }

  /** One run, rebuilt from its events; a run whose writer died is marked interrupted. */
  load(runId: string): LoadedRun | undefined {
    if (!runIdPattern.test(runId)) return undefined;
    const { values, skipped } = readJsonLines<RunEvent>(join(this.runsDir, runId, 'events.jsonl'));
    let state: RunState | undefined;
    for (const event of values) state = reduceRun(state, event);
    if (!state) return undefined;
    const live = !isRunFinished(state) && processAlive(this.owner(runId));
    if (!isRunFinished(state) && !live) state = markInterrupted(state);
    return { state, skippedLines: skipped, live };
  }

  /** Summaries of the kept runs, newest first: the index, completed by the runs' folders. */
  list(): RunSummary[] {
    const byId = new Map(this.readIndex().map((r) => [r.runId, r]));
    const dirs = this.runDirs();
    const result: RunSummary[] = [];
    for (const runId of dirs) {
      const indexed = byId.get(runId);
      if (indexed && (indexed.status === 'passed' || indexed.status === 'failed' || indexed.status === 'canceled')) {
        result.push(indexed);
        continue;
      }
      // Not in the index, or not finished there: the events tell (a crash, or still running).
      const loaded = this.load(runId);
      if (loaded) result.push(summarize(loaded.state));
    }
    return result.sort((a, b) => b.queuedTime - a.queuedTime).slice(0, this.keep);
  }

  /** Removes runs beyond the newest `keep` (never one still being written). */
  prune(): void {
    const dirs = this.runDirs();
    if (dirs.length <= this.keep) return;
    const index = this.readIndex();
    const times = new Map(index.map((r) => [r.runId, r.queuedTime]));
    // Runs missing from the index (a crash before its update) are timed by their own events.
    const timed = dirs.map((d) => ({ d, time: times.get(d) ?? this.load(d)?.state.queuedTime ?? 0 }));
    timed.sort((a, b) => b.time - a.time);
    const removed = new Set<string>();
    for (const { d } of timed.slice(this.keep)) {
      if (this.load(d)?.live) continue;
      rmSync(join(this.runsDir, d), { recursive: true, force: true });
      removed.add(d);
    }
    if (removed.size > 0) writeFileAtomic(this.indexFile, JSON.stringify({ version: 1, runs: index.filter((r) => !removed.has(r.runId)) }, null, 1));
  }

  /** Removes one run from the history. */
  remove(runId: string): void {
    if (!runIdPattern.test(runId)) return;
    rmSync(join(this.runsDir, runId), { recursive: true, force: true });
    const runs = this.readIndex().filter((r) => r.runId !== runId);
    if (existsSync(this.indexFile)) writeFileAtomic(this.indexFile, JSON.stringify({ version: 1, runs }, null, 1));
  }

  appendDeployment(deployment: Deployment): void {
    mkdirSync(this.folder, { recursive: true });
    const fd = openSync(this.deploymentsFile, 'a');
    try {
      writeSync(fd, `${JSON.stringify(deployment)}\n`);
    } finally {
      closeSync(fd);
    }
    // Keep the file small: past 10,000 records, rewrite it with the newest 5,000 (atomically).
    try {
      if (statSync(this.deploymentsFile).size > 4_000_000) {
        const { values } = readJsonLines<Deployment>(this.deploymentsFile);
        if (values.length > 10_000) writeFileAtomic(this.deploymentsFile, values.slice(-5000).map((d) => JSON.stringify(d)).join('\n') + '\n');
      }
    } catch {
      // Compaction is best effort; the appended record is safe.
    }
  }

  /** Deployment records, oldest first. */
  deployments(): Deployment[] {
    return readJsonLines<Deployment>(this.deploymentsFile).values.filter((d) => d && typeof d.environment === 'string' && typeof d.revision === 'string');
  }
}
