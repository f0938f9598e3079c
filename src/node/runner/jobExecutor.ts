/**
 * Runs the steps of one job attempt on this machine (or in its image when a Docker engine
 * answers): the main steps in order, each in its shell; then the `after` steps (GitLab
 * after_script), always, also after a failure, a timeout or a cancel. GitHub steps get their
 * `if:`, `continue-on-error`, `timeout-minutes`, `working-directory`, `env`, and the
 * GITHUB_ENV / GITHUB_PATH / GITHUB_OUTPUT files between steps; `uses:` steps are shown as
 * skipped, `actions/checkout` as already done.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { describeError, OpsloopError } from '../../core/errors';
import type { Job, Pipeline, Step } from '../../core/pipeline/model';
import { azureEnvName } from '../../core/run/ciVariables';
import { evaluateCondition, evaluateExpression, type ExpressionValue, toText } from '../../core/pipeline/github/expressions';
import type { JobEndCause } from '../../core/run/runEvents';
import { findMacroExpressions, findTemplateExpressions, rewriteScript, type RewriteResult } from '../../core/run/scriptRewrite';
import { dockerRunArgs } from './docker';
import { hashFiles } from './hashFiles';
import type { JobOutput } from './jobOutput';
import type { KillLadder } from './processTree';
import { commandForScript, type ShellSettings } from './shells';
import { runStepProcess, type StepProcessResult } from './stepProcess';

export interface JobExecution {
  readonly pipeline: Pipeline;
  readonly job: Job;
  readonly attempt: number;
  readonly jobNumber: number;
  /** The folder the job works in (workspace or its isolated copy). */
  readonly projectDir: string;
  readonly tempDir: string;
  readonly scriptDir: string;
  /** The inherited environment (PATH, HOME...), without Opsloop's job variables. */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** The job's variables: predefined, pipeline, job, matrix and secrets. */
  readonly jobEnv: Readonly<Record<string, string>>;
  readonly cookie: string;
  readonly output: JobOutput;
  readonly signal: AbortSignal;
  readonly timeoutSeconds: number;
  readonly shell: ShellSettings;
  readonly ladder: KillLadder;
  readonly lingerMs: number;
  /** Set when the job runs in its image. */
  readonly docker?: { readonly dockerPath: string; readonly containerName: string };
  /** GitHub `secrets` context. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Contexts for GitHub expressions (github, runner, matrix...). */
  readonly contexts: Readonly<Record<string, ExpressionValue>>;
  /** How long an after_script may take (GitLab: 5 minutes). */
  readonly afterScriptTimeoutSeconds?: number;
}

export interface JobOutcome {
  readonly outcome: 'passed' | 'failed' | 'canceled';
  readonly exitCode: number | null;
  readonly cause?: JobEndCause;
  readonly reason?: string;
}

interface StepState {
  failed: boolean;
  exitCode: number | null;
  cause?: JobEndCause;
  reason?: string;
  canceled: boolean;
  timedOut: boolean;
}

/** GitHub's file commands: `NAME=value` lines and `NAME<<DELIMITER` blocks. */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const heredoc = /^([^=<\s]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const body: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) body.push(lines[i++]!);
      values[name!] = body.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

function describeShort(step: Step): string {
  return step.name || (step.script ?? '').split('\n')[0]!.slice(0, 60) || 'step';
}

export async function executeJob(execution: JobExecution): Promise<JobOutcome> {
  const { job, pipeline, output } = execution;
  const started = Date.now();
  const deadline = started + execution.timeoutSeconds * 1000;
  const state: StepState = { failed: false, exitCode: 0, canceled: false, timedOut: false };
  // Values later steps see: GitHub's GITHUB_ENV and GITHUB_PATH, step outputs.
  const addedEnv: Record<string, string> = {};
  const addedPath: string[] = [];
  const stepsContext: Record<string, ExpressionValue> = {};
  // GitHub's `steps` context holds the steps that have an `id:`. A step without one (a plan built
  // by hand) is found by its name, unless another step has that name as its id.
  const stepIds = new Set<string>();
  let scriptsWithoutId = 0;
  const recordStep = (step: Step, value: Record<string, ExpressionValue>): void => {
    if (step.id !== undefined) stepIds.add(step.id);
    else if (stepIds.has(step.name)) return;
    stepsContext[step.id ?? step.name] = value;
  };
  // RUNNER_TEMP and AGENT_TEMPDIRECTORY must exist; GitLab and Jenkins name no temp folder.
  if (pipeline.format === 'github' || pipeline.format === 'azure') mkdirSync(execution.tempDir, { recursive: true });

  const main = job.steps.filter((s) => s.phase === 'main');
  const after = job.steps.filter((s) => s.phase === 'after');
  if (main.length === 0 && after.length === 0) output.system('This job has no script: nothing to run.');

  for (let index = 0; index < main.length; index++) {
    const step = main[index]!;
    if (execution.signal.aborted) {
      state.canceled = true;
      break;
    }
    if (step.kind === 'uses') {
      const uses = step.uses ?? step.name;
      if (/^actions\/checkout@/i.test(uses) || /^actions\/checkout$/i.test(uses)) output.system(`✓ ${uses}: the workspace is already checked out.`);
      else output.system(`○ Skipped locally: ${uses} is an action that runs on GitHub, not on this machine.`);
      recordStep(step, { outputs: {}, outcome: 'skipped', conclusion: 'skipped' });
      continue;
    }
    let run = !state.failed;
    if (pipeline.format === 'github' && step.condition !== undefined) {
      try {
        run = evaluateCondition(step.condition, { contexts: stepContexts(execution, addedEnv, stepsContext, step).contexts, status: { failed: state.failed, cancelled: false }, hashFiles: workspaceHash(execution) });
      } catch (error) {
        output.system(`⚠ Cannot evaluate if: ${step.condition} (${describeError(error)}); the step runs.`);
        run = true;
      }
    }
    if (!run) {
      output.system(`○ Skipped step: ${describeShort(step)}${step.condition ? ` (if: ${step.condition})` : ''}`);
      recordStep(step, { outputs: {}, outcome: 'skipped', conclusion: 'skipped' });
      continue;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      state.timedOut = true;
      break;
    }
    const stepTimeout = step.timeoutSeconds !== undefined ? Math.min(remaining, step.timeoutSeconds * 1000) : remaining;
    const files = pipeline.format === 'github' ? githubFiles(execution, index) : undefined;
    // GITHUB_ACTION: the step's id, else __run, __run_2... as GitHub names scripts without one.
    const action = step.id ?? (++scriptsWithoutId === 1 ? '__run' : `__run_${scriptsWithoutId}`);
    const result = await runScriptStep(execution, step, index, 'main', { addedEnv, addedPath, stepsContext, files, action, signal: execution.signal, timeoutMs: stepTimeout });
    const outputs = files ? readOutputs(files, addedEnv, addedPath) : {};
    if (result.canceled) {
      state.canceled = true;
      recordStep(step, { outputs, outcome: 'cancelled', conclusion: 'cancelled' });
      break;
    }
    const jobTimedOut = result.timedOut && Date.now() >= deadline - 50;
    const failed = result.timedOut || result.spawnError !== undefined || result.exitCode !== 0;
    recordStep(step, { outputs, outcome: failed ? 'failure' : 'success', conclusion: failed && !step.continueOnError ? 'failure' : 'success' });
    if (jobTimedOut) {
      state.timedOut = true;
      state.exitCode = result.exitCode;
      break;
    }
    if (!failed) continue;
    if (step.continueOnError) {
      output.system(`⚠ Step "${describeShort(step)}" failed (${explain(result)}); continue-on-error keeps the job going.`);
      continue;
    }
    state.failed = true;
    state.exitCode = result.exitCode;
    state.cause = result.spawnError ? 'error' : result.timedOut ? 'timeout' : 'script';
    state.reason = result.spawnError ?? (result.timedOut ? `step "${describeShort(step)}" timed out` : `exit code ${result.exitCode}`);
    if (result.spawnError) output.system(`✗ ${result.spawnError}`);
  }

  const status = state.canceled ? 'canceled' : state.timedOut || state.failed ? 'failed' : 'success';
  for (const step of after) {
    // after_script runs whatever happened, with its own time limit, and never changes the result.
    const controller = new AbortController();
    const timeoutMs = (step.timeoutSeconds ?? execution.afterScriptTimeoutSeconds ?? 300) * 1000;
    output.system(`▶ Running after_script (job status: ${status}).`);
    const result = await runScriptStep(execution, step, main.length, 'after', { addedEnv: { ...addedEnv, CI_JOB_STATUS: status }, addedPath, stepsContext, signal: controller.signal, timeoutMs });
    if (result.spawnError || result.exitCode !== 0) output.system(`⚠ after_script failed (${explain(result)}); the job's result does not change.`);
  }

  if (state.canceled) {
    output.system('■ Job canceled.');
    return { outcome: 'canceled', exitCode: null, cause: 'canceled', reason: 'canceled' };
  }
  if (state.timedOut) {
    const reason = `timed out after ${formatTimeout(execution.timeoutSeconds)}`;
    output.system(`✗ Job ${reason}.`);
    return { outcome: 'failed', exitCode: state.exitCode, cause: 'timeout', reason };
  }
  if (state.failed) {
    output.system(`✗ Job failed: ${state.reason ?? 'a step failed'}.`);
    return { outcome: 'failed', exitCode: state.exitCode, cause: state.cause ?? 'script', ...(state.reason ? { reason: state.reason } : {}) };
  }
  output.system('✓ Job succeeded.');
  return { outcome: 'passed', exitCode: 0 };
}

/** Single-quotes text for a POSIX shell (the text is printed, never run). */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * GitLab prints each command, `$ command`, before running it, all in one shell that stops at the
 * first failure; a multi-line command shows its first line.
 */
export function echoedLines(lines: readonly string[]): string {
  return lines
    .map((line) => {
      const [first, ...rest] = line.split('\n');
      const shown = `$ ${first}${rest.some((l) => l.trim()) ? ' # collapsed multi-line command' : ''}`;
      return `printf '%s\\n' ${shellQuote(shown)}\n${line}`;
    })
    .join('\n');
}

function formatTimeout(seconds: number): string {
  return seconds < 120 ? `${seconds} s` : seconds % 60 === 0 ? `${seconds / 60} min` : `${(seconds / 60).toFixed(1)} min`;
}

function explain(result: StepProcessResult): string {
  if (result.spawnError) return result.spawnError;
  if (result.timedOut) return 'timed out';
  if (result.signal) return `killed by ${result.signal}`;
  return `exit code ${result.exitCode}`;
}

interface GithubFiles {
  readonly env: string;
  readonly path: string;
  readonly output: string;
  readonly summary: string;
  readonly state: string;
}

function githubFiles(execution: JobExecution, index: number): GithubFiles {
  const dir = join(execution.tempDir, `_runner_file_commands`, `step${index}`);
  mkdirSync(dir, { recursive: true });
  const files = { env: join(dir, 'env'), path: join(dir, 'path'), output: join(dir, 'output'), summary: join(dir, 'summary'), state: join(dir, 'state') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  return files;
}

function readOutputs(files: GithubFiles, addedEnv: Record<string, string>, addedPath: string[]): Record<string, ExpressionValue> {
  const read = (f: string): string => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  Object.assign(addedEnv, parseFileCommands(read(files.env)));
  for (const line of read(files.path).split(/\r?\n/)) if (line.trim()) addedPath.unshift(line.trim());
  return parseFileCommands(read(files.output));
}

/** hashFiles() over the folder the job works in. */
function workspaceHash(execution: JobExecution): (patterns: readonly string[]) => string {
  return (patterns) => hashFiles(execution.projectDir, patterns);
}

interface StepContexts {
  readonly contexts: Record<string, ExpressionValue>;
  /** Workflow and job env: values that held `${{ }}`, evaluated. */
  readonly jobEnv: Record<string, string>;
  /** The step's env:, evaluated. */
  readonly stepEnv: Record<string, string>;
}

/**
 * The contexts a GitHub step's expressions see. GitHub evaluates the `${{ }}` in env: values
 * before a step runs (the workflow's and the job's, then the step's, which may read their
 * `env.*`), so `env` holds the evaluated text. What cannot be evaluated here is empty and is
 * added to `unresolved`.
 */
function stepContexts(execution: JobExecution, addedEnv: Record<string, string>, steps: Record<string, ExpressionValue>, step: Step, unresolved: string[] = []): StepContexts {
  const contexts: Record<string, ExpressionValue> = { ...execution.contexts, steps, secrets: { ...execution.secrets } };
  const evaluated = (vars: Readonly<Record<string, string>>, env: Record<string, string>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(vars)) {
      if (!value.includes('${{')) continue;
      try {
        out[name] = toText(evaluateExpression(value, { contexts: { ...contexts, env }, status: { failed: false, cancelled: false }, hashFiles: workspaceHash(execution) }));
      } catch {
        out[name] = '';
        unresolved.push(value);
      }
    }
    return out;
  };
  const declared = { ...execution.pipeline.variables, ...execution.job.variables };
  const jobEnv = evaluated(declared, {});
  const env = { ...declared, ...jobEnv, ...addedEnv };
  const stepEnv = { ...(step.env ?? {}), ...evaluated(step.env ?? {}, env) };
  return { contexts: { ...contexts, env: { ...env, ...stepEnv } }, jobEnv, stepEnv };
}

async function runScriptStep(
  execution: JobExecution,
  step: Step,
  index: number,
  phase: 'main' | 'after',
  extra: {
    addedEnv: Record<string, string>;
    addedPath: string[];
    stepsContext: Record<string, ExpressionValue>;
    files?: GithubFiles;
    action?: string;
    signal: AbortSignal;
    timeoutMs: number;
  },
): Promise<StepProcessResult> {
  const { pipeline, output } = execution;
  const base = join(execution.scriptDir, `${execution.jobNumber}-${execution.attempt}-${phase}-${index}`);
  let probe;
  try {
    probe = commandForScript(pipeline.format, step, base, execution.shell);
  } catch (error) {
    const message = OpsloopError.is(error) ? error.message : describeError(error);
    return { exitCode: null, signal: null, timedOut: false, canceled: false, spawnError: message, durationMs: 0 };
  }
  // Expressions become environment variables, never text in the script (reliability item 18).
  const source = pipeline.format === 'gitlab' && step.lines && step.lines.length > 0 ? echoedLines(step.lines) : (step.script ?? '');
  let rewrite: RewriteResult = { script: source, env: {}, unresolved: [] };
  let github: StepContexts | undefined;
  const unresolvedEnv: string[] = [];
  if (pipeline.format === 'github') {
    github = stepContexts(execution, extra.addedEnv, extra.stepsContext, step, unresolvedEnv);
    const contexts = github.contexts;
    rewrite = rewriteScript(rewrite.script, findTemplateExpressions(rewrite.script), probe.family, (expression) => {
      try {
        // Wrapped again, so that the text is read as the one expression it was found as.
        return toText(evaluateExpression(`\${{ ${expression} }}`, { contexts, status: { failed: false, cancelled: false }, hashFiles: workspaceHash(execution) }));
      } catch {
        return undefined;
      }
    });
  } else if (pipeline.format === 'azure') {
    const known = new Map<string, string>();
    for (const [name, value] of Object.entries(execution.jobEnv)) known.set(name.toUpperCase(), value);
    rewrite = rewriteScript(rewrite.script, findMacroExpressions(rewrite.script, (name) => known.has(azureEnvName(name))), probe.family, (name) => known.get(azureEnvName(name)));
  }
  if (rewrite.unresolved.length > 0 && probe.family === 'other') {
    output.system(`⚠ ${rewrite.unresolved.length} expression(s) are left as text: ${probe.file} scripts cannot receive them safely. Pass them through env: instead.`);
  } else if (rewrite.unresolved.length + unresolvedEnv.length > 0) {
    output.system(`⚠ Not available locally, empty here: ${[...new Set([...rewrite.unresolved.map((e) => `\${{ ${e} }}`), ...unresolvedEnv])].join(', ')}`);
  }
  const text = rewrite.script + (rewrite.script.endsWith('\n') ? '' : '\n');
  // Inline (`-c`) where the shell takes it: no file per step. A container reads a mounted file.
  const command = execution.docker ? probe : commandForScript(pipeline.format, step, base, execution.shell, text);
  if (command.scriptFile) {
    mkdirSync(execution.scriptDir, { recursive: true });
    writeFileSync(command.scriptFile, command.prelude + text, { mode: 0o700 });
  }

  const stepEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(github?.stepEnv ?? step.env ?? {})) stepEnv[pipeline.format === 'azure' ? azureEnvName(name) : name] = value;
  const jobVars: Record<string, string> = { ...execution.jobEnv, ...github?.jobEnv, ...extra.addedEnv, ...stepEnv, ...rewrite.env };
  if (extra.files) {
    Object.assign(jobVars, { GITHUB_ENV: extra.files.env, GITHUB_PATH: extra.files.path, GITHUB_OUTPUT: extra.files.output, GITHUB_STEP_SUMMARY: extra.files.summary, GITHUB_STATE: extra.files.state, GITHUB_ACTION: extra.action ?? step.name });
  }
  const path = [...extra.addedPath, execution.baseEnv.PATH ?? ''].filter(Boolean).join(':');
  const cwd = step.workingDirectory ? (isAbsolute(step.workingDirectory) ? step.workingDirectory : resolve(execution.projectDir, step.workingDirectory)) : execution.projectDir;
  if (!existsSync(cwd)) {
    return { exitCode: null, signal: null, timedOut: false, canceled: false, spawnError: `the working directory ${cwd} does not exist`, durationMs: 0 };
  }
  const header = phase === 'after' ? undefined : pipeline.format === 'gitlab' ? '▶ Running before_script and script' : `▶ ${describeShort(step)}`;
  if (header) output.system(header);

  let file = command.file;
  let args = command.args;
  let env: Record<string, string> = { ...execution.baseEnv, ...jobVars, PATH: path };
  if (execution.docker) {
    file = execution.docker.dockerPath;
    args = dockerRunArgs({
      image: execution.job.image!,
      name: `${execution.docker.containerName}-${phase}-${index}`,
      projectDir: execution.projectDir,
      workingDir: cwd,
      scriptDir: execution.scriptDir,
      scriptFile: command.scriptFile!,
      envNames: Object.keys(jobVars),
      bashArgs: command.args.slice(0, -1).filter((a) => a.startsWith('-')),
    });
    // The docker CLI itself needs the host's PATH; the job's variables go in by name.
    env = { ...execution.baseEnv, ...jobVars, PATH: execution.baseEnv.PATH ?? '' };
  }
  const result = await runStepProcess({
    file,
    args,
    cwd,
    env,
    cookie: execution.cookie,
    stdout: output.stream('stdout'),
    stderr: output.stream('stderr'),
    system: (text) => output.system(text),
    signal: extra.signal,
    timeoutMs: extra.timeoutMs,
    ladder: execution.ladder,
    lingerMs: execution.lingerMs,
  });
  if (execution.docker && (result.canceled || result.timedOut)) {
    await new Promise<void>((done) => execFile(execution.docker!.dockerPath, ['rm', '--force', `${execution.docker!.containerName}-${phase}-${index}`], { timeout: 15_000 }, () => done()));
  }
  return result;
}
