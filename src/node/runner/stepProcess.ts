/**
 * One step's process: started in its own process group, its output streamed, stopped with the
 * ladder on cancel or timeout, and its result reported only after the process has closed its
 * output (not merely exited, reliability item 17) and nothing it started is left running.
 */
import { spawn } from 'node:child_process';
import type { ProcessStreamSink } from './jobOutput';
import { jobAlive, type KillLadder, stopProcessTree, trackJobProcess, untrackJobProcess } from './processTree';

export interface StepProcessOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Inherited by every descendant; found again through /proc when stopping. */
  readonly cookie: string;
  readonly stdout: ProcessStreamSink;
  readonly stderr: ProcessStreamSink;
  readonly system: (text: string) => void;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly ladder: KillLadder;
  /** How long to wait, after the shell exits, for processes that still hold its output. */
  readonly lingerMs: number;
}

export interface StepProcessResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly canceled: boolean;
  /** The process could not start (missing shell, bad folder). */
  readonly spawnError?: string;
  readonly durationMs: number;
}

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

export function runStepProcess(options: StepProcessOptions): Promise<StepProcessResult> {
  const started = performance.now();
  return new Promise<StepProcessResult>((resolvePromise) => {
    let settled = false;
    const resolve = (result: StepProcessResult): void => {
      if (settled) return;
      settled = true;
      resolvePromise(result);
    };
    let timedOut = false;
    let canceled = false;
    let stopping: Promise<void> | undefined;
    let closed = false;
    let spawnError: string | undefined;
    let lingerTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;

    if (options.signal?.aborted) {
      resolve({ exitCode: null, signal: null, timedOut: false, canceled: true, durationMs: 0 });
      return;
    }
    const child = spawn(options.file, options.args as string[], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    if (pid !== undefined) trackJobProcess(pid, options.cookie);

    const stop = (why: string): Promise<void> => {
      if (!stopping && pid !== undefined) {
        if (why) options.system(why);
        stopping = stopProcessTree(pid, options.cookie, options.ladder, (signal, count) => {
          options.system(`Sent ${signal} to ${count} ${count === 1 ? 'process' : 'processes'}.`);
        });
      }
      return stopping ?? Promise.resolve();
    };
    const onAbort = (): void => {
      canceled = true;
      void stop('Canceling: stopping the step and every process it started.');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      timeoutTimer = setTimeout(() => {
        timedOut = true;
        void stop(`Timed out after ${formatSeconds(options.timeoutMs!)}: stopping the step and every process it started.`);
      }, options.timeoutMs);
    }

    child.stdout.on('data', (chunk: Buffer) => options.stdout.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => options.stderr.write(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error.code === 'ENOENT' ? `${options.file} was not found (is it installed and on PATH?)` : error.code === 'EACCES' ? `${options.file} cannot be executed (permission denied)` : error.message;
      if (pid === undefined) {
        // It never started: there is nothing to wait for.
        clearTimeout(timeoutTimer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve({ exitCode: null, signal: null, timedOut: false, canceled: false, spawnError, durationMs: performance.now() - started });
      }
    });
    child.on('exit', () => {
      // Processes started in the background may still hold the output pipes: give them a moment
      // to finish writing, then stop them, so that 'close' comes and nothing is left behind.
      if (!closed && pid !== undefined) {
        lingerTimer = setTimeout(() => {
          if (!closed) void stop('The step ended but processes it started still hold its output: stopping them.');
        }, options.lingerMs);
      }
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      closed = true;
      clearTimeout(lingerTimer);
      clearTimeout(timeoutTimer);
      options.signal?.removeEventListener('abort', onAbort);
      options.stdout.end();
      options.stderr.end();
      const finish = async (): Promise<void> => {
        if (stopping) await stopping;
        // Background processes that do not hold the output (`daemon > /dev/null &`) are still ours.
        // (Those that also left the group, `setsid daemon &`, are found by their cookie when the run ends.)
        if (pid !== undefined && jobAlive(pid, options.cookie, false)) {
          options.system('Stopping processes the step left running in the background.');
          stopping = undefined;
          await stop('');
        }
        if (pid !== undefined) untrackJobProcess(pid);
        const exitCode = code ?? (signal ? 128 + (signalNumbers[signal] ?? 0) : null);
        resolve({ exitCode, signal, timedOut, canceled, ...(spawnError ? { spawnError } : {}), durationMs: performance.now() - started });
      };
      void finish();
    });
  });
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return s < 120 ? `${+s.toFixed(1)} s` : `${+(s / 60).toFixed(1)} min`;
}
