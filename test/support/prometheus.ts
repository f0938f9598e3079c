/**
 * A real Prometheus for tests and benchmarks (../shared/recipes/prometheus.md): history written
 * as OpenMetrics, turned into TSDB blocks by `promtool tsdb create-blocks-from openmetrics`,
 * served by `prometheus` on a free loopback port with an empty configuration (it scrapes
 * nothing), stopped by its pid afterwards.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface PrometheusServer {
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  /** Seconds promtool took to write the blocks, and Prometheus took to become ready. */
  readonly timings: { readonly blocksSeconds: number; readonly startSeconds: number };
  log(): string;
  stop(): Promise<void>;
}

/** The path of a program on PATH (or in /usr/bin), or an error naming the Debian package. */
export function findProgram(name: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`'${name}' is not installed: these tests need a real Prometheus (apt-get install -y --no-install-recommends prometheus, which brings promtool).`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function run(program: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${program} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

/**
 * Starts Prometheus over the history in `openMetrics` (text ending in `# EOF`, or the path of
 * such a file). Every sample needs a timestamp in Unix seconds.
 */
export async function startPrometheus(openMetrics: string | { file: string }): Promise<PrometheusServer> {
  const prometheus = findProgram('prometheus');
  const promtool = findProgram('promtool');
  const dir = mkdtempSync(join(tmpdir(), 'opsloop-prometheus-'));
  const dataDir = join(dir, 'data');
  const input = typeof openMetrics === 'string' ? join(dir, 'series.om') : openMetrics.file;
  if (typeof openMetrics === 'string') writeFileSync(input, openMetrics);
  const blocksStarted = Date.now();
  try {
    await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', input, dataDir], 600_000);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const blocksSeconds = (Date.now() - blocksStarted) / 1000;
  const port = await freePort();
  const output: string[] = [];
  const startStarted = Date.now();
  const child: ChildProcess = spawn(
    prometheus,
    [
      '--config.file=/dev/null',
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=3650d',
      // Equal min and max block durations switch compaction off: the imported 2 h blocks stay
      // as they are instead of being rewritten in the background while tests run.
      '--storage.tsdb.min-block-duration=2h',
      '--storage.tsdb.max-block-duration=2h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode} before it was ready:\n${output.join('').slice(-3000)}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within 60 s:\n${output.join('').slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    dataDir,
    timings: { blocksSeconds, startSeconds: (Date.now() - startStarted) / 1000 },
    log: () => output.join(''),
    stop,
  };
}

/** OpenMetrics text for one series: `name{labels} value time` lines (no `# EOF`). */
export function openMetricsLines(name: string, labels: Record<string, string>, times: ArrayLike<number>, values: ArrayLike<number>): string {
  const l = Object.keys(labels).length ? `{${Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}` : '';
  const out: string[] = [];
  for (let i = 0; i < times.length; i++) {
    const v = values[i]!;
    out.push(`${name}${l} ${Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : v} ${times[i]}`);
  }
  return out.join('\n');
}
