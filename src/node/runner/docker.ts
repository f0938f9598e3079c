/**
 * `image:` jobs. Whether a Docker engine is there is asked of the engine itself
 * (`docker version` must report a server), never guessed from a socket file. Without an engine
 * the Docker policy decides: run on this machine's shell (with a warning), skip, or fail.
 */
import { execFile } from 'node:child_process';

export type DockerPolicy = 'host' | 'skip' | 'fail';

export interface DockerEngine {
  readonly available: boolean;
  /** The server's version when available; otherwise why not, in words. */
  readonly detail: string;
}

const cache = new Map<string, { at: number; engine: Promise<DockerEngine> }>();

/** Asks the engine (`docker version --format {{.Server.Version}}`); the answer is kept for 30 s. */
export function detectDockerEngine(dockerPath = 'docker', timeoutMs = 8000): Promise<DockerEngine> {
  const hit = cache.get(dockerPath);
  if (hit && Date.now() - hit.at < 30_000) return hit.engine;
  const engine = new Promise<DockerEngine>((resolve) => {
    execFile(dockerPath, ['version', '--format', '{{.Server.Version}}'], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error && stdout.trim()) {
        resolve({ available: true, detail: stdout.trim() });
        return;
      }
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT') {
        resolve({ available: false, detail: `the docker command was not found (${dockerPath})` });
        return;
      }
      if ((error as { killed?: boolean } | null)?.killed) {
        resolve({ available: false, detail: `docker version did not answer within ${timeoutMs / 1000} s` });
        return;
      }
      const said = (stderr || stdout || String(error?.message ?? '')).trim().split('\n').filter(Boolean).pop() ?? 'no answer';
      resolve({ available: false, detail: `no Docker engine answered (${said})` });
    });
  });
  cache.set(dockerPath, { at: Date.now(), engine });
  return engine;
}

/** Forgets the cached answer (tests; after the person starts Docker). */
export function forgetDockerEngine(): void {
  cache.clear();
}

export interface DockerRunSpec {
  readonly image: string;
  readonly name: string;
  /** The project folder, mounted at the same path so CI_PROJECT_DIR stays true inside. */
  readonly projectDir: string;
  readonly workingDir: string;
  /** Folder of the job's script files, mounted read-only at the same path. */
  readonly scriptDir: string;
  readonly scriptFile: string;
  /** Names of the variables to pass; their values come from the docker CLI's own environment. */
  readonly envNames: readonly string[];
  /** bash flags for GitLab-like semantics (`-e -o pipefail`); sh gets `-e` when bash is missing. */
  readonly bashArgs: readonly string[];
}

/**
 * The `docker run` arguments. Values never appear on the command line (reliability item 18):
 * `-e NAME` makes docker read the value from its own environment.
 */
export function dockerRunArgs(spec: DockerRunSpec): string[] {
  const args = ['run', '--rm', '--init', '--name', spec.name, '--entrypoint', '', '-v', `${spec.projectDir}:${spec.projectDir}`, '-v', `${spec.scriptDir}:${spec.scriptDir}:ro`, '-w', spec.workingDir];
  for (const name of spec.envNames) args.push('-e', name);
  const bashFlags = spec.bashArgs.map((a) => `'${a.replace(/'/g, '')}'`).join(' ');
  // Images without bash get sh, as GitLab's Docker executor does.
  const launcher = `if command -v bash >/dev/null 2>&1; then exec bash ${bashFlags} "$0"; else exec sh -e "$0"; fi`;
  args.push(spec.image, 'sh', '-c', launcher, spec.scriptFile);
  return args;
}
