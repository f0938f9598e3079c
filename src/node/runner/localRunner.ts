/**
 * Runs a selection of a pipeline on this machine: the scheduler (src/core/run/scheduler.ts)
 * decides, this carries out its actions with real processes and turns everything into
 * RunEvents. The VS Code RunService and the `opsloop run` command both drive runs through
 * `startRun`.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { describeError, OpsloopError } from '../../core/errors';
import type { Job, Pipeline } from '../../core/pipeline/model';
import { jobVariables, slug } from '../../core/run/ciVariables';
import { deploymentFor } from '../../core/run/deployments';
import { evaluateCondition, type ExpressionValue } from '../../core/pipeline/github/expressions';
import { buildRunGraph, type RunGraph, type RunSelection } from '../../core/run/runGraph';
import type { JobEndCause, RunEvent } from '../../core/run/runEvents';
import { reduceRun, type RunState } from '../../core/run/runState';
import { Scheduler, type SchedulerAction } from '../../core/run/scheduler';
import { SecretMasker } from '../../core/run/secretMasker';
import { branch as gitBranch, revision as gitRevision, userName as gitUserName } from '../git/git';
import { detectDockerEngine, type DockerPolicy } from './docker';
import { IsolatedWorkspace } from './isolatedWorkspace';
import { executeJob, type JobOutcome } from './jobExecutor';
import { JobOutput } from './jobOutput';
import { cookieVariable, defaultLadder, type KillLadder, sweepCookies, trackRunFolder, untrackRunFolder } from './processTree';

export interface RunOptions {
  /** The workspace folder; jobs run here unless isolated. */
  readonly root: string;
  readonly pipeline: Pipeline;
  readonly selection: RunSelection;
  /** Who started the run, in a word ("palette", "cli", "tree", "task", "rerun"). */
  readonly trigger: string;
  /** Folder for the jobs' log files (the history gives one per run). */
  readonly logDir: string;
  readonly runId?: string;
  /** CI_PIPELINE_ID / GITHUB_RUN_ID; default: seconds since 1970. */
  readonly runNumber?: number;
  /** Jobs at once; default: the number of CPUs. */
  readonly concurrency?: number;
  /** Start `when: manual` jobs without asking. */
  readonly runManual?: boolean;
  /** Asks the person about a manual job; without it (and without runManual) manual jobs are not started. */
  readonly askManual?: (job: Job) => Promise<boolean>;
  readonly isolated?: boolean;
  readonly includeWorkingTreeChanges?: boolean;
  readonly dockerPolicy?: DockerPolicy;
  readonly dockerPath?: string;
  /** The bash to use (machine-scoped setting). */
  readonly shellPath?: string;
  /** When a job sets none (GitLab's default is 1 hour). */
  readonly defaultTimeoutSeconds?: number;
  /** The inherited environment; default: this process's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Secret variables passed to the jobs and masked in their output. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Inherited variables whose values are masked (default: names with TOKEN, SECRET, PASSWORD, KEY...). */
  readonly secretNamePattern?: RegExp;
  /** Characters of each job's output kept in memory (the log file has all). */
  readonly outputCapChars?: number;
  readonly ladder?: KillLadder;
  /** After a step's shell exits, how long processes it left may keep its output open. */
  readonly lingerMs?: number;
  /** Folder for scripts and isolated copies; default: a new folder in the system's temp. */
  readonly tempDir?: string;
  readonly onEvent?: (event: RunEvent) => void;
  /** Cancels the run (the CLI's Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Milliseconds since 1970; injectable for tests. */
  readonly clock?: () => number;
  /** Skip asking git for revision and branch (tests of folders without git). */
  readonly git?: boolean;
}

export interface RunHandle {
  readonly runId: string;
  /** Resolves with the final state once every process of the run has ended. */
  readonly done: Promise<RunState>;
  state(): RunState;
  cancel(reason?: string): void;
  cancelJob(jobId: string): void;
  /** Answers a manual job's question (when no askManual was given, or to answer it elsewhere). */
  answerManual(jobId: string, run: boolean): void;
  /** The job's output kept in memory (head and tail, with a marker when truncated). */
  output(jobId: string): string;
  onEvent(listener: (event: RunEvent) => void): { dispose(): void };
}

export const defaultSecretNamePattern = /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|CREDENTIALS?|AUTH)/i;
/** Inherited values shorter than this are not masked (GitLab requires 8 for masked variables). */
const minInheritedSecret = 8;

/** Variables of the editor's own process that must not leak into jobs. */
function inheritedEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name === 'ELECTRON_RUN_AS_NODE' || name.startsWith('VSCODE_') || name === cookieVariable) continue;
    result[name] = value;
  }
  return result;
}

function findOnPath(command: string, env: Readonly<Record<string, string>>): boolean {
  if (command.includes('/')) {
    try {
      accessSync(command, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function newRunId(now: number): string {
  const d = new Date(now);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${randomBytes(3).toString('hex')}`;
}

interface ActiveJob {
  readonly job: Job;
  readonly number: number;
  readonly controller: AbortController;
  readonly firstStart: number;
  output: JobOutput;
}

export async function startRun(options: RunOptions): Promise<RunHandle> {
  const clock = options.clock ?? Date.now;
  const seconds = (): number => clock() / 1000;
  const { pipeline } = options;
  const graph: RunGraph = buildRunGraph(pipeline, options.selection);
  const runId = options.runId ?? newRunId(clock());
  const jobsById = new Map(pipeline.jobs.map((j) => [j.id, j]));
  const numbers = new Map(graph.jobs.map((j, i) => [j.id, i + 1]));
  const useGit = options.git !== false;
  const [revision, branch, user] = useGit
    ? await Promise.all([gitRevision(options.root).catch(() => undefined), gitBranch(options.root).catch(() => undefined), gitUserName(options.root).catch(() => undefined)])
    : [undefined, undefined, undefined];

  const base = inheritedEnv(options.env ?? process.env);
  const secretPattern = options.secretNamePattern ?? defaultSecretNamePattern;
  const secretValues = [...Object.values(options.secrets ?? {}), ...Object.entries(base).filter(([n, v]) => secretPattern.test(n) && v.length >= minInheritedSecret).map(([, v]) => v)];
  const masker = new SecretMasker(secretValues);
  const bash = options.shellPath ?? 'bash';
  // A configured shell that is missing is an error the person must see; only the default falls back to sh.
  const shell = { bash, bashAvailable: options.shellPath !== undefined || findOnPath(bash, base) };
  const tempDir = options.tempDir ?? join(tmpdir(), `opsloop-run-${runId}`);
  const ownsTemp = options.tempDir === undefined;
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  if (ownsTemp) trackRunFolder(tempDir);
  mkdirSync(options.logDir, { recursive: true });

  const listeners = new Set<(event: RunEvent) => void>();
  if (options.onEvent) listeners.add(options.onEvent);
  let state: RunState | undefined;
  const emit = (event: RunEvent): void => {
    state = reduceRun(state, event);
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not stop the run.
      }
    }
  };

  const conditionWarnings = new Map<string, string>();
  const githubContexts = (job: Job, attempt = 1): Record<string, ExpressionValue> => ({
    github: {
      sha: revision ?? '',
      ref: branch ? `refs/heads/${branch}` : '',
      ref_name: branch ?? '',
      ref_type: 'branch',
      workspace: options.root,
      run_id: String(options.runNumber ?? 0),
      run_number: String(options.runNumber ?? 0),
      run_attempt: String(attempt),
      job: job.definition,
      workflow: pipeline.name,
      event_name: 'push',
      event: {},
      repository: basename(options.root),
      actor: user ?? '',
      server_url: 'https://github.com',
    },
    runner: { os: 'Linux', arch: 'X64', name: 'opsloop', temp: join(tempDir, 'jobs', `${numbers.get(job.id) ?? 0}-tmp`) },
    matrix: { ...(job.matrix ?? {}) },
    strategy: {},
    needs: {},
    vars: {},
    inputs: {},
    job: { status: 'success' },
    env: { ...pipeline.variables, ...job.variables },
  });

  const scheduler = new Scheduler(graph, {
    concurrency,
    ...(options.runManual ? { runManual: true } : {}),
    condition: (jobId, upstream) => {
      const job = jobsById.get(jobId);
      if (!job || job.condition === undefined || pipeline.format !== 'github') return true;
      try {
        return evaluateCondition(job.condition, { contexts: githubContexts(job), status: { failed: upstream.failed, cancelled: false } });
      } catch (error) {
        conditionWarnings.set(jobId, `⚠ Cannot evaluate if: ${job.condition} (${describeError(error)}); the job runs.`);
        return true;
      }
    },
  });

  const active = new Map<string, ActiveJob>();
  const outputs = new Map<string, JobOutput>();
  let isolated: IsolatedWorkspace | undefined;
  let resolveDone!: (s: RunState) => void;
  const done = new Promise<RunState>((r) => (resolveDone = r));
  const runStart = clock();
  let finished = false;

  const outputFor = (jobId: string): JobOutput => {
    let out = outputs.get(jobId);
    if (!out) {
      const job = jobsById.get(jobId)!;
      const n = numbers.get(jobId)!;
      const file = join(options.logDir, `${String(n).padStart(3, '0')}-${slug(job.name) || 'job'}.log`);
      out = new JobOutput(file, masker, options.outputCapChars ?? 1_000_000, (stream, text) => emit({ type: 'job.output', runId, jobId, time: seconds(), stream, text }));
      outputs.set(jobId, out);
    }
    return out;
  };

  const finishJobEvent = (jobId: string, outcome: JobOutcome | undefined, firstStart: number): void => {
    const view = scheduler.view(jobId);
    if (!view || !['passed', 'failed', 'canceled', 'skipped'].includes(view.state)) return;
    const job = jobsById.get(jobId)!;
    const time = seconds();
    const deployment =
      view.state === 'passed' && revision
        ? deploymentFor(pipeline, job, { runId, revision, time, env: jobVariables(pipeline, job, runContext(job, 1, options.root), base) })
        : undefined;
    const reason = outcome?.reason ?? (view.cause === 'policy' ? 'skipped: no Docker engine for its image (Docker policy: skip)' : undefined);
    emit({
      type: 'job.finished',
      runId,
      jobId,
      time,
      status: view.state as 'passed' | 'failed' | 'canceled' | 'skipped',
      exitCode: view.exitCode,
      durationMs: Math.max(0, clock() - firstStart),
      ...(view.allowedFailure ? { allowedFailure: true } : {}),
      ...(reason ? { reason } : {}),
      ...(view.cause ? { cause: view.cause } : {}),
      attempt: view.attempt,
      ...(deployment ? { deployment } : {}),
    });
    outputs.get(jobId)?.close();
  };

  const runContext = (job: Job, attempt: number, projectDir: string) => ({
    sha: revision ?? '',
    branch: branch ?? '',
    projectDir,
    projectName: basename(options.root),
    runNumber: options.runNumber ?? Math.floor(runStart / 1000),
    jobNumber: numbers.get(job.id) ?? 0,
    attempt,
    tempDir: join(tempDir, 'jobs', `${numbers.get(job.id) ?? 0}-tmp`),
    ...(user ? { user } : {}),
    timeoutSeconds: job.timeoutSeconds ?? options.defaultTimeoutSeconds ?? 3600,
  });

  const runAttempt = async (entry: ActiveJob, attempt: number): Promise<void> => {
    const { job, number: n, output } = entry;
    let outcome: JobOutcome;
    let skipped: { cause: JobEndCause } | undefined;
    try {
      const warning = conditionWarnings.get(job.id);
      if (warning) output.system(warning);
      if (attempt === 1 && job.when === 'delayed' && (job.startInSeconds ?? 0) > 0) {
        output.system(`Delayed job: it starts in ${job.startInSeconds} s (start_in).`);
        await abortableSleep(job.startInSeconds! * 1000, entry.controller.signal);
      }
      let docker: { dockerPath: string; containerName: string } | undefined;
      if (job.image) {
        const engine = await detectDockerEngine(options.dockerPath ?? 'docker');
        const policy = options.dockerPolicy ?? 'host';
        if (engine.available) {
          docker = { dockerPath: options.dockerPath ?? 'docker', containerName: `opsloop-${runId}-${n}-${attempt}` };
          output.system(`Running in image ${job.image} (Docker ${engine.detail}).`);
        } else if (policy === 'host') {
          output.system(`⚠ This job asks for image ${job.image}, but ${engine.detail}. It runs on this machine's shell instead (setting opsloop.run.dockerPolicy = host): tools the image would provide must be installed here.`);
        } else if (policy === 'skip') {
          output.system(`○ Skipped: this job asks for image ${job.image}, but ${engine.detail} (setting opsloop.run.dockerPolicy = skip).`);
          skipped = { cause: 'policy' };
        } else {
          throw new OpsloopError('unsupported', `this job asks for image ${job.image}, but ${engine.detail} (setting opsloop.run.dockerPolicy = fail)`);
        }
      }
      if (skipped) {
        outcome = { outcome: 'passed', exitCode: null };
      } else {
        let projectDir = options.root;
        if (isolated) {
          projectDir = isolated.prepareJob(n);
          const sources = graph.jobs.find((g) => g.id === job.id)?.artifactsFrom ?? [];
          const restored = isolated.restoreArtifacts(sources.map((s) => numbers.get(s)!).filter(Boolean), projectDir);
          if (restored > 0) output.system(`Restored ${restored} artifact ${restored === 1 ? 'file' : 'files'} from the jobs it needs.`);
        }
        const ctx = runContext(job, attempt, projectDir);
        const jobEnv = { ...jobVariables(pipeline, job, ctx, base), ...(options.secrets ?? {}), [cookieVariable]: `${runId}:${n}` };
        output.system(`Running ${job.name}${attempt > 1 ? ` (attempt ${attempt})` : ''} in ${projectDir}${docker ? '' : ' on this machine'}.`);
        outcome = await executeJob({
          pipeline,
          job,
          attempt,
          jobNumber: n,
          projectDir,
          tempDir: ctx.tempDir,
          scriptDir: join(tempDir, 'scripts'),
          baseEnv: base,
          jobEnv,
          cookie: `${runId}:${n}`,
          output,
          signal: entry.controller.signal,
          timeoutSeconds: ctx.timeoutSeconds,
          shell,
          ladder: options.ladder ?? defaultLadder,
          lingerMs: options.lingerMs ?? 2000,
          ...(docker ? { docker } : {}),
          secrets: options.secrets ?? {},
          contexts: githubContexts(job, attempt),
        });
        if (isolated && outcome.outcome === 'passed' && job.artifacts && job.artifacts.paths.length > 0) {
          const kept = isolated.collectArtifacts(n, projectDir, job.artifacts.paths);
          output.system(`Kept ${kept.kept.length} artifact ${kept.kept.length === 1 ? 'file' : 'files'} for the jobs that need them.`);
          if (kept.unmatched.length > 0) output.system(`⚠ No file matched artifacts:paths ${kept.unmatched.join(', ')}.`);
          if (kept.refused.length > 0) output.system(`⚠ Ignored artifacts:paths outside the project: ${kept.refused.join(', ')}.`);
        }
        if (isolated) isolated.releaseJob(n);
      }
    } catch (error) {
      const message = describeError(error);
      output.system(`✗ ${message}`);
      outcome = { outcome: 'failed', exitCode: null, cause: OpsloopError.is(error, 'unsupported') ? 'policy' : 'error', reason: message };
    }
    if (entry.controller.signal.aborted && outcome.outcome !== 'canceled') outcome = { outcome: 'canceled', exitCode: null, cause: 'canceled', reason: 'canceled' };
    const actions = scheduler.finished(
      job.id,
      skipped ? { outcome: 'skipped', exitCode: null, cause: skipped.cause } : { outcome: outcome.outcome, exitCode: outcome.exitCode, ...(outcome.cause ? { cause: outcome.cause } : {}) },
    );
    const view = scheduler.view(job.id)!;
    if (view.state !== 'running') {
      active.delete(job.id);
      finishJobEvent(job.id, outcome, entry.firstStart);
    }
    apply(actions);
  };

  const apply = (actions: readonly SchedulerAction[]): void => {
    for (const action of actions) {
      switch (action.type) {
        case 'start': {
          const job = jobsById.get(action.jobId)!;
          const output = outputFor(job.id);
          const entry: ActiveJob = { job, number: numbers.get(job.id)!, controller: new AbortController(), firstStart: clock(), output };
          active.set(job.id, entry);
          emit({ type: 'job.started', runId, jobId: job.id, time: seconds(), attempt: 1, logFile: output.logFile, executor: 'shell' });
          void runAttempt(entry, 1);
          break;
        }
        case 'retry': {
          const entry = active.get(action.jobId);
          if (!entry) break;
          const retries = graph.jobs.find((g) => g.id === action.jobId)?.retry ?? 0;
          entry.output.system(`↻ Attempt ${action.attempt - 1} failed${action.exitCode !== null ? ` (exit code ${action.exitCode})` : ''}; retrying (attempt ${action.attempt} of ${retries + 1}).`);
          emit({ type: 'job.started', runId, jobId: action.jobId, time: seconds(), attempt: action.attempt, logFile: entry.output.logFile, executor: 'shell' });
          void runAttempt(entry, action.attempt);
          break;
        }
        case 'ask': {
          const job = jobsById.get(action.jobId)!;
          emit({ type: 'job.waiting', runId, jobId: job.id, time: seconds(), reason: 'manual' });
          if (options.askManual) {
            options.askManual(job).then(
              (answer) => apply(scheduler.decide(job.id, answer)),
              () => apply(scheduler.decide(job.id, false)),
            );
          } else {
            // Nobody to ask: a manual job stays unstarted, as in a CI where nobody presses play.
            apply(scheduler.decide(job.id, false));
          }
          break;
        }
        case 'settle':
          emit({ type: 'job.finished', runId, jobId: action.jobId, time: seconds(), status: action.status, exitCode: null, durationMs: 0, reason: action.reason, cause: action.cause });
          break;
        case 'stop':
          active.get(action.jobId)?.controller.abort();
          break;
        case 'finishRun':
          if (finished) break;
          finished = true;
          void (async () => {
            // Nothing of the run may outlive it: daemons that left their job's process group too.
            await sweepCookies(`${runId}:`, options.ladder ?? defaultLadder).catch(() => 0);
            emit({ type: 'run.finished', runId, time: seconds(), status: action.status, durationMs: Math.max(0, clock() - runStart), ...(action.reason ? { reason: action.reason } : {}) });
            for (const out of outputs.values()) out.close();
            isolated?.dispose();
            if (ownsTemp && existsSync(tempDir)) rmSync(tempDir, { recursive: true, force: true });
            untrackRunFolder(tempDir);
            options.signal?.removeEventListener('abort', onAbort);
            resolveDone(state!);
          })();
          break;
      }
    }
  };

  emit({
    type: 'run.queued',
    runId,
    time: seconds(),
    pipeline: { file: pipeline.file, format: pipeline.format, name: pipeline.name },
    jobs: graph.jobs.map((j) => ({ id: j.id, name: j.name, stage: j.stage })),
    ...(revision ? { revision } : {}),
    ...(branch ? { branch } : {}),
    trigger: options.trigger,
    selection: graph.description,
    root: options.root,
    isolated: options.isolated === true,
    ...(graph.warnings.length > 0 ? { warnings: graph.warnings } : {}),
  });
  for (const job of graph.jobs) emit({ type: 'job.queued', runId, jobId: job.id, time: seconds() });

  const onAbort = (): void => handle.cancel('canceled (interrupted)');
  const handle: RunHandle = {
    runId,
    done,
    state: () => state!,
    cancel: (reason = 'canceled by the person') => {
      if (!finished) apply(scheduler.cancel(reason));
    },
    cancelJob: (jobId) => {
      if (!finished) apply(scheduler.cancelJob(jobId));
    },
    answerManual: (jobId, run) => {
      if (!finished) apply(scheduler.decide(jobId, run));
    },
    output: (jobId) => outputs.get(jobId)?.text() ?? '',
    onEvent: (listener) => {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const begin = async (): Promise<void> => {
    try {
      if (options.isolated) {
        isolated = await IsolatedWorkspace.create({ root: options.root, baseDir: join(tempDir, 'isolated'), includeWorkingTreeChanges: options.includeWorkingTreeChanges === true, ...(options.signal ? { signal: options.signal } : {}) });
      }
    } catch (error) {
      // The run cannot begin: every job ends without running, and the run fails saying why.
      const reason = describeError(error);
      for (const job of graph.jobs) emit({ type: 'job.finished', runId, jobId: job.id, time: seconds(), status: 'skipped', exitCode: null, durationMs: 0, reason: `not started: ${reason}`, cause: 'error' });
      finished = true;
      emit({ type: 'run.finished', runId, time: seconds(), status: 'failed', durationMs: Math.max(0, clock() - runStart), reason });
      if (ownsTemp) rmSync(tempDir, { recursive: true, force: true });
      untrackRunFolder(tempDir);
      resolveDone(state!);
      return;
    }
    emit({ type: 'run.started', runId, time: seconds() });
    if (options.signal?.aborted) {
      handle.cancel('canceled (interrupted)');
      return;
    }
    apply(scheduler.start());
  };
  void begin();
  return handle;
}
