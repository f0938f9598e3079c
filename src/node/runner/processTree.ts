/**
 * Processes of a job and how they are stopped (reliability item 16). Every job's shell starts
 * in a process group of its own (`detached`), with a cookie in its environment that every
 * descendant inherits (Jenkins' process-tree killer uses the same idea). Stopping walks the
 * ladder interrupt → wait → terminate → wait → kill and signals, at each rung:
 *   - the job's process group (background jobs of a script stay in it),
 *   - every descendant of the shell found through /proc (also those in groups of their own),
 *   - every process that carries the job's cookie (also daemons reparented to init).
 * On platforms without /proc the group and `ps` are used. When this Node process exits, every
 * job still alive is killed synchronously, so a second Ctrl-C leaves no orphan either.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export const cookieVariable = 'OPSLOOP_JOB_COOKIE';

export interface KillLadder {
  /** Wait after SIGINT before SIGTERM. */
  readonly interruptMs: number;
  /** Wait after SIGTERM before SIGKILL. */
  readonly terminateMs: number;
}

export const defaultLadder: KillLadder = { interruptMs: 2000, terminateMs: 3000 };

interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
}

const hasProc = ((): boolean => {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
})();

/** Every process this user can see, with parent and group. */
export function listProcesses(): ProcInfo[] {
  if (hasProc) {
    const result: ProcInfo[] = [];
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
        const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const state = after[0];
        if (state === 'Z' || state === 'X') continue; // zombies cannot be signalled usefully
        result.push({ pid, ppid: Number(after[1]), pgid: Number(after[2]) });
      } catch {
        // The process ended while we looked.
      }
    }
    return result;
  }
  try {
    const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid='], { encoding: 'utf8', timeout: 5000 });
    return out
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number))
      .filter((p) => p.length === 3 && p.every((n) => Number.isInteger(n)))
      .map(([pid, ppid, pgid]) => ({ pid: pid!, ppid: ppid!, pgid: pgid! }));
  } catch {
    return [];
  }
}

/**
 * Pids whose environment holds `cookie` (Linux only; elsewhere none). With `prefix`, every
 * cookie that starts with it (all the jobs of one run).
 */
export function processesWithCookie(cookie: string, prefix = false): number[] {
  if (!hasProc) return [];
  const needle = Buffer.from(`${cookieVariable}=${cookie}${prefix ? '' : '\0'}`);
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`);
      if (environ.includes(needle)) found.push(pid);
    } catch {
      // Not ours to read, or gone.
    }
  }
  return found;
}

/** The shell's descendants (by parent links), the members of its group, and the cookie holders. */
export function jobProcesses(rootPid: number, cookie: string | undefined, thorough: boolean): { pids: Set<number>; groups: Set<number> } {
  const pids = new Set<number>();
  const groups = new Set<number>([rootPid]);
  const all = listProcesses();
  const children = new Map<number, number[]>();
  for (const p of all) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    for (const child of children.get(pid) ?? []) {
      if (pids.has(child)) continue;
      pids.add(child);
      stack.push(child);
    }
  }
  for (const p of all) if (p.pgid === rootPid) pids.add(p.pid);
  if (thorough && cookie) for (const pid of processesWithCookie(cookie)) pids.add(pid);
  if (all.some((p) => p.pid === rootPid)) pids.add(rootPid);
  pids.delete(process.pid);
  return { pids, groups };
}

function signalAll(rootPid: number, cookie: string | undefined, signal: NodeJS.Signals, thorough: boolean): number {
  const { pids, groups } = jobProcesses(rootPid, cookie, thorough);
  for (const group of groups) {
    try {
      process.kill(-group, signal);
    } catch {
      // The group is empty.
    }
  }
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
  return pids.size;
}

/** True while any process of the job is alive (its group, or with `thorough`, its cookie). */
export function jobAlive(rootPid: number, cookie: string | undefined, thorough: boolean): boolean {
  let groupSignalled = false;
  try {
    process.kill(-rootPid, 0);
    groupSignalled = true;
  } catch {
    // No process in the group.
  }
  // kill(-pgid, 0) also succeeds for zombies nobody reaped; confirm with a live member.
  if (groupSignalled && listProcesses().some((p) => p.pgid === rootPid)) return true;
  if (thorough && cookie) return processesWithCookie(cookie).length > 0;
  return false;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The ladder: SIGINT, wait, SIGTERM, wait, SIGKILL, on everything of the job. Resolves when
 * nothing of the job is left (or after the kill, which cannot be refused). `onStep` reports the
 * rung reached, for the job's log.
 */
export async function stopProcessTree(rootPid: number, cookie: string | undefined, ladder: KillLadder = defaultLadder, onStep?: (signal: NodeJS.Signals, count: number) => void): Promise<void> {
  const rungs: [NodeJS.Signals, number][] = [
    ['SIGINT', ladder.interruptMs],
    ['SIGTERM', ladder.terminateMs],
    ['SIGKILL', 1000],
  ];
  for (const [signal, wait] of rungs) {
    if (!jobAlive(rootPid, cookie, true)) return;
    const count = signalAll(rootPid, cookie, signal, true);
    onStep?.(signal, count);
    const deadline = Date.now() + wait;
    while (Date.now() < deadline) {
      await sleep(Math.min(50, wait));
      if (!jobAlive(rootPid, cookie, true)) return;
    }
  }
}

/**
 * Stops every process that still carries a cookie starting with `prefix` (a run's jobs), wherever
 * it went: daemons a passing job started in a session of their own end with the run. One /proc
 * scan per run, not per job. Returns how many were found.
 */
export async function sweepCookies(prefix: string, ladder: KillLadder = defaultLadder): Promise<number> {
  const found = processesWithCookie(prefix, true);
  if (found.length === 0) return 0;
  const rungs: [NodeJS.Signals, number][] = [
    ['SIGTERM', ladder.terminateMs],
    ['SIGKILL', 1000],
  ];
  for (const [signal, wait] of rungs) {
    const alive = processesWithCookie(prefix, true);
    if (alive.length === 0) break;
    for (const pid of alive) {
      try {
        process.kill(pid, signal);
      } catch {
        // Gone already.
      }
    }
    const deadline = Date.now() + wait;
    while (Date.now() < deadline && processesWithCookie(prefix, true).length > 0) await sleep(50);
  }
  return found.length;
}

/** Jobs alive in this process, killed synchronously if the process exits (no orphans). */
const live = new Map<number, string | undefined>();
let exitHookInstalled = false;

/** Folders of runs still going, removed if the process exits before the runs end. */
const liveFolders = new Set<string>();

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [pid, c] of live) signalAll(pid, c, 'SIGKILL', true);
    for (const folder of liveFolders) {
      try {
        rmSync(folder, { recursive: true, force: true });
      } catch {
        // Best effort on the way out.
      }
    }
  });
}

export function trackJobProcess(rootPid: number, cookie: string | undefined): void {
  live.set(rootPid, cookie);
  installExitHook();
}

/** A run's temporary folder, removed on the way out if the process ends first (second Ctrl-C). */
export function trackRunFolder(folder: string): void {
  liveFolders.add(folder);
  installExitHook();
}

export function untrackRunFolder(folder: string): void {
  liveFolders.delete(folder);
}

export function untrackJobProcess(rootPid: number): void {
  live.delete(rootPid);
}
