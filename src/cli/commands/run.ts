import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { OpsloopError } from '../../core/errors';
import type { Pipeline, Plan } from '../../core/pipeline/model';
import type { RunSelection } from '../../core/run/runGraph';
import type { RunEvent } from '../../core/run/runEvents';
import { reduceRun, runProgress, type RunState } from '../../core/run/runState';
import { RunHistory } from '../../node/history/runHistory';
import type { DockerPolicy } from '../../node/runner/docker';
import { newRunId, startRun } from '../../node/runner/localRunner';
import { loadWorkspacePlan } from '../../node/pipeline/loadPlan';
import { parseArgs } from '../args';
import { type CliCommand, type CliIO, ExitCode } from '../cliCommand';
import { formatDiagnostic } from './plan';

const usage = `Usage: opsloop run [options]

Runs a pipeline of the current folder on this machine: the needs DAG (or stage order), in
parallel up to the number of CPUs, with each CI's shell semantics. Exit status 0 exactly when
every required job passed (allowed failures, unstarted manual jobs and on_failure jobs that had
nothing to do are not required); 1 when a job failed; 2 for a usage error; 130 when interrupted.

Options:
  --file F            The pipeline file (needed when the folder has several).
  --job NAME          Run this job with the jobs it needs (repeatable).
  --stage S           Run the jobs of one stage.
  --json              Print one RunEvent per line (JSON) instead of the live progress.
  --manual            Also run when: manual jobs (otherwise they stay unstarted).
  --isolated          Run each job in a clean copy of the tracked files at HEAD (git).
  --with-changes      With --isolated: include the working tree's uncommitted changes.
  --concurrency N     Jobs at once (default: the number of CPUs).
  --docker-policy P   Jobs with an image when no Docker engine answers: host (default), skip, fail.
  --timeout MIN       Timeout of jobs that set none (default 60).
  --secret NAME       Pass the environment variable NAME to the jobs and mask its value (repeatable).
  --history DIR       Where runs and logs are kept (default .opsloop/runs, git-ignored).
  --no-history        Keep nothing: logs go to a temporary folder, removed at the end.

Ctrl-C cancels: every job's process tree gets SIGINT, then SIGTERM, then SIGKILL; a second
Ctrl-C exits at once (the jobs are still killed).
`;

const spec = {
  file: { type: 'string' },
  job: { type: 'string', multiple: true },
  stage: { type: 'string' },
  json: { type: 'boolean' },
  manual: { type: 'boolean' },
  isolated: { type: 'boolean' },
  'with-changes': { type: 'boolean' },
  concurrency: { type: 'string' },
  'docker-policy': { type: 'string' },
  timeout: { type: 'string' },
  secret: { type: 'string', multiple: true },
  history: { type: 'string' },
  'no-history': { type: 'boolean' },
} as const;

function positiveInteger(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new OpsloopError('invalidInput', `--${option} needs a whole number of at least 1, not '${String(value)}'.`);
  return n;
}

/** The pipeline the options name, or a usage error saying how to name it. */
export function choosePipeline(plan: Plan, file: string | undefined, jobs: readonly string[]): Pipeline {
  const pipelines = plan.pipelines;
  if (file !== undefined) {
    const wanted = file.replace(/\\/g, '/').replace(/^\.\//, '');
    const found = pipelines.find((p) => p.file === wanted);
    if (!found) throw new OpsloopError('invalidInput', `${file} is not a pipeline file here. Pipelines: ${pipelines.map((p) => p.file).join(', ') || 'none'}.`);
    return found;
  }
  if (pipelines.length === 0) throw new OpsloopError('invalidInput', 'No pipeline file found here (.gitlab-ci.yml, .github/workflows/*.yml, azure-pipelines.yml, Jenkinsfile).');
  if (jobs.length > 0) {
    const having = pipelines.filter((p) => jobs.every((name) => p.jobs.some((j) => j.id === name || j.name === name || j.definition === name)));
    if (having.length === 1) return having[0]!;
    if (having.length > 1) throw new OpsloopError('invalidInput', `Several pipelines have ${jobs.join(', ')}: ${having.map((p) => p.file).join(', ')}. Choose one with --file.`);
  }
  if (pipelines.length === 1) return pipelines[0]!;
  throw new OpsloopError('invalidInput', `Several pipelines here: ${pipelines.map((p) => p.file).join(', ')}. Choose one with --file.`);
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Live progress for people: job lines prefixed with the job's name, a line per job end, a summary. */
class ProgressPrinter {
  private readonly partial = new Map<string, string>();
  private state: RunState | undefined;

  constructor(
    private readonly io: CliIO,
    private readonly root: string,
    /** False with --no-history: the logs are removed at the end, so no path is worth printing. */
    private readonly showLogs: boolean,
  ) {}

  private name(jobId: string): string {
    return this.state?.jobs.find((j) => j.id === jobId)?.name ?? jobId;
  }

  private flush(jobId: string): void {
    const rest = this.partial.get(jobId);
    if (rest) this.io.stdout(`[${this.name(jobId)}] ${rest}\n`);
    this.partial.delete(jobId);
  }

  event(event: RunEvent, state: RunState | undefined): void {
    this.state = state;
    switch (event.type) {
      case 'run.queued': {
        const at = event.revision ? ` at ${event.revision.slice(0, 8)}${event.branch ? ` on ${event.branch}` : ''}` : '';
        this.io.stdout(`▶ ${event.pipeline.file} · ${event.selection ?? 'pipeline'} · ${event.jobs.length} ${event.jobs.length === 1 ? 'job' : 'jobs'}${at}${event.isolated ? ' · isolated' : ''} (run ${event.runId})\n`);
        for (const warning of event.warnings ?? []) this.io.stdout(`⚠ ${warning}\n`);
        break;
      }
      case 'job.output': {
        const lines = ((this.partial.get(event.jobId) ?? '') + event.text).split('\n');
        this.partial.set(event.jobId, lines.pop()!);
        for (const line of lines) this.io.stdout(`[${this.name(event.jobId)}] ${line}\n`);
        break;
      }
      case 'job.waiting':
        this.io.stdout(`⏸ ${this.name(event.jobId)} is manual: not started (use --manual to run manual jobs).\n`);
        break;
      case 'job.finished': {
        this.flush(event.jobId);
        const job = state?.jobs.find((j) => j.id === event.jobId);
        const mark = event.status === 'passed' ? '✓' : event.status === 'failed' ? (event.allowedFailure ? '⚠' : '✗') : event.status === 'canceled' ? '■' : '○';
        const duration = event.status === 'passed' || event.status === 'failed' || event.status === 'canceled' ? ` (${seconds(event.durationMs)})` : '';
        const reason = event.reason && event.status !== 'passed' ? `: ${event.reason}` : '';
        const log = this.showLogs && event.status === 'failed' && job?.logFile ? ` · log: ${displayPath(this.root, job.logFile)}` : '';
        this.io.stdout(`${mark} ${this.name(event.jobId)} ${event.status}${event.allowedFailure ? ' (allowed to fail)' : ''}${reason}${duration}${log}\n`);
        break;
      }
      case 'run.finished': {
        for (const jobId of [...this.partial.keys()]) this.flush(jobId);
        if (!state) break;
        const p = runProgress(state);
        const failed = p.failed.length;
        const allowed = state.jobs.filter((j) => j.status === 'failed' && j.allowedFailure).length;
        const canceled = state.jobs.filter((j) => j.status === 'canceled').length;
        const counts = [`${p.passed} passed`, failed ? `${failed} failed` : '', allowed ? `${allowed} allowed to fail` : '', canceled ? `${canceled} canceled` : '', p.skipped ? `${p.skipped} not run` : ''].filter(Boolean).join(', ');
        this.io.stdout(`\nRun ${event.status} in ${seconds(event.durationMs)}: ${counts}.${event.reason && event.status !== 'passed' ? ` ${event.reason}.` : ''}\n`);
        break;
      }
      default:
        break;
    }
  }
}

function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run a pipeline, a stage or jobs on this machine',
  usage,
  async run(args: readonly string[], io: CliIO): Promise<number> {
    const { options, positionals } = parseArgs(args, spec);
    if (positionals.length > 0) throw new OpsloopError('invalidInput', `Unexpected argument '${positionals[0]}'. Jobs are named with --job.`);
    const jobs = (options.job as string[] | undefined) ?? [];
    const stage = options.stage as string | undefined;
    if (jobs.length > 0 && stage !== undefined) throw new OpsloopError('invalidInput', 'Use --job or --stage, not both.');
    const policy = options['docker-policy'] as string | undefined;
    if (policy !== undefined && !['host', 'skip', 'fail'].includes(policy)) throw new OpsloopError('invalidInput', `--docker-policy is host, skip or fail, not '${policy}'.`);
    if (options['with-changes'] && !options.isolated) throw new OpsloopError('invalidInput', '--with-changes goes with --isolated.');
    if (options.history !== undefined && options['no-history']) throw new OpsloopError('invalidInput', 'Use --history or --no-history, not both.');
    const concurrency = positiveInteger(options.concurrency, 'concurrency');
    const timeout = positiveInteger(options.timeout, 'timeout');
    const secrets: Record<string, string> = {};
    for (const name of (options.secret as string[] | undefined) ?? []) {
      const value = io.env[name];
      if (value === undefined) throw new OpsloopError('invalidInput', `--secret ${name}: there is no environment variable ${name}.`);
      secrets[name] = value;
    }

    const root = io.cwd;
    const file = options.file as string | undefined;
    const plan = await loadWorkspacePlan(root, { ...(file ? { files: [file] } : {}), signal: io.signal });
    const pipeline = choosePipeline(plan, file, jobs);
    const errors = [...plan.diagnostics, ...pipeline.diagnostics].filter((d) => d.severity === 'error' && d.file === pipeline.file);
    if (errors.length > 0) {
      for (const d of errors) io.stderr(`${formatDiagnostic(d)}\n`);
      io.stderr(`opsloop run: ${pipeline.file} has ${errors.length} ${errors.length === 1 ? 'error' : 'errors'}; fix ${errors.length === 1 ? 'it' : 'them'} before running.\n`);
      return ExitCode.failed;
    }
    const selection: RunSelection = jobs.length > 0 ? { kind: 'jobs', jobs } : stage !== undefined ? { kind: 'stage', stage } : { kind: 'pipeline' };

    const runId = newRunId(Date.now());
    let temp: string | undefined;
    let history: RunHistory;
    if (options['no-history']) {
      temp = mkdtempSync(join(tmpdir(), 'opsloop-cli-'));
      history = new RunHistory(temp);
    } else {
      const folder = options.history !== undefined ? (isAbsolute(options.history as string) ? (options.history as string) : join(root, options.history as string)) : join(root, '.opsloop', 'runs');
      mkdirSync(folder, { recursive: true });
      // Keeps the history out of git without touching the project's .gitignore.
      if (options.history === undefined && !existsSync(join(folder, '.gitignore'))) writeFileSync(join(folder, '.gitignore'), '*\n');
      history = new RunHistory(folder);
    }
    const recorder = history.begin(runId);
    const printer = options.json ? undefined : new ProgressPrinter(io, root, !options['no-history']);
    let interrupted = false;
    const onInterrupt = (): void => {
      interrupted = true;
      io.stderr('\nopsloop run: canceling: stopping every job (Ctrl-C again to quit at once)…\n');
    };
    io.signal.addEventListener('abort', onInterrupt, { once: true });
    try {
      let state: RunState | undefined;
      const handle = await startRun({
        root,
        pipeline,
        selection,
        trigger: 'cli',
        runId,
        runNumber: Math.floor(Date.now() / 1000),
        logDir: recorder.logDir,
        ...(concurrency ? { concurrency } : {}),
        runManual: options.manual === true,
        isolated: options.isolated === true,
        includeWorkingTreeChanges: options['with-changes'] === true,
        ...(policy ? { dockerPolicy: policy as DockerPolicy } : {}),
        ...(timeout ? { defaultTimeoutSeconds: timeout * 60 } : {}),
        env: io.env,
        secrets,
        signal: io.signal,
        onEvent: (event) => {
          recorder.record(event);
          if (options.json) {
            io.stdout(`${JSON.stringify(event)}\n`);
            return;
          }
          state = reduceRun(state, event);
          printer!.event(event, state);
        },
      }).catch((error: unknown) => {
        recorder.close();
        history.remove(runId);
        throw error;
      });
      const final = await handle.done;
      if (!options.json && !temp) io.stdout(`Logs: ${displayPath(root, recorder.logDir)}\n`);
      if (interrupted || io.signal.aborted) return ExitCode.interrupted;
      return final.status === 'passed' ? ExitCode.ok : ExitCode.failed;
    } finally {
      io.signal.removeEventListener('abort', onInterrupt);
      if (temp) rmSync(temp, { recursive: true, force: true });
    }
  },
};
