/**
 * `npm run bench:run`: how fast the local runner runs a pipeline of trivial jobs.
 *
 * A .gitlab-ci.yml of 200 jobs in a needs DAG 10 levels deep (20 jobs per level, each needing
 * three of the level before) whose scripts are `true`, in a throwaway git repository. Reported:
 * - the shell's own start, measured as a bare spawn of `sh -c true` and of the bash Opsloop uses;
 * - Opsloop's wall time at concurrency 1 and at the default (the number of CPUs);
 * - the overhead per job beyond the shell's start (concurrency 1: wall / jobs - one spawn);
 * - gitlab-ci-local's shell executor on the same file, side by side, and the ratio.
 * Figures are printed (and written to bench/results/run.json), never asserted.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryFileSource } from '../src/core/pipeline/gitlab/gitlabContext';
import { parseGitlabPipeline } from '../src/core/pipeline/gitlab/gitlabParser';
import type { Pipeline } from '../src/core/pipeline/model';
import { startRun } from '../src/node/runner/localRunner';

const levels = 10;
const perLevel = 20;
const repeats = Number(process.env.OPSLOOP_BENCH_REPEATS ?? 3);
const root = join(__dirname, '..', '..');

export function benchPipelineYaml(): string {
  const lines = [`stages: [${Array.from({ length: levels }, (_, l) => `level${l}`).join(', ')}]`, ''];
  for (let l = 0; l < levels; l++) {
    for (let i = 0; i < perLevel; i++) {
      lines.push(`j${l}_${i}:`, `  stage: level${l}`);
      if (l === 0) lines.push('  needs: []');
      else lines.push(`  needs: [${[...new Set([i, (i + 1) % perLevel, (i + 7) % perLevel])].map((k) => `j${l - 1}_${k}`).join(', ')}]`);
      lines.push('  script:', '    - "true"', '');
    }
  }
  return lines.join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Mean milliseconds of one spawn-and-close of a command, run one after another. */
async function spawnBaseline(file: string, args: string[], count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.on('error', reject);
      child.on('close', () => resolve());
    });
  }
  return (performance.now() - started) / count;
}

async function runOpsloop(dir: string, pipeline: Pipeline, concurrency: number): Promise<{ wallMs: number; status: string }> {
  const logDir = mkdtempSync(join(tmpdir(), 'opsloop-bench-logs-'));
  try {
    const started = performance.now();
    const handle = await startRun({ root: dir, pipeline, selection: { kind: 'pipeline' }, trigger: 'bench', logDir, concurrency });
    const state = await handle.done;
    const wallMs = performance.now() - started;
    return { wallMs, status: state.status };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

interface PeerRun {
  readonly version: string;
  readonly wallMs: number[];
  readonly concurrency: number;
}

function runGitlabCiLocal(dir: string, concurrency: number, runs: number): PeerRun | string {
  const tool = spawnSync(process.execPath, [join(root, 'scripts', 'compareGitlabCiLocal.mjs'), '--print-tool'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (tool.status !== 0) return `gitlab-ci-local could not be installed (exit ${tool.status}); see the message above`;
  const { nodeBin, cli, version } = JSON.parse(tool.stdout.trim().split('\n').pop()!) as { nodeBin: string; cli: string; version: string };
  const wallMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    rmSync(join(dir, '.gitlab-ci-local'), { recursive: true, force: true });
    const started = performance.now();
    const r = spawnSync(nodeBin, [cli, '--concurrency', String(concurrency), '--no-color', '--quiet', '--json-schema-validation=false'], { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
    wallMs.push(performance.now() - started);
    if (r.status !== 0) return `gitlab-ci-local failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`;
  }
  return { version, wallMs, concurrency };
}

async function main(): Promise<void> {
  const yaml = benchPipelineYaml();
  const dir = mkdtempSync(join(tmpdir(), 'opsloop-bench-run-'));
  try {
    writeFileSync(join(dir, '.gitlab-ci.yml'), yaml);
    const git = (...args: string[]): void => {
      execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, stdio: 'ignore' });
    };
    git('init', '-q', '-b', 'main');
    git('remote', 'add', 'origin', 'https://gitlab.example.com/bench/run.git');
    git('add', '-A');
    git('commit', '-q', '-m', 'bench');
    const pipeline = parseGitlabPipeline({ file: '.gitlab-ci.yml', text: yaml, source: memoryFileSource({ '.gitlab-ci.yml': yaml }), context: { pipelineSource: 'push', branch: 'main', defaultBranch: 'main' } });
    const jobs = pipeline.jobs.length;
    const errors = pipeline.diagnostics.filter((d) => d.severity === 'error');
    if (jobs !== levels * perLevel || errors.length > 0) throw new Error(`the bench pipeline parsed into ${jobs} jobs with ${errors.length} errors: ${errors.map((e) => e.message).join('; ')}`);
    const cpus = availableParallelism();
    console.log(`Local runs: ${jobs} trivial jobs (script: true) in a needs DAG ${levels} levels deep; ${cpus} CPUs (load average ${loadavg()[0]!.toFixed(1)}); median of ${repeats} runs.\n`);

    // Warm up: the first spawns and the first run pay for code loading and disk caches.
    await spawnBaseline('sh', ['-c', 'true'], 20);
    await runOpsloop(dir, pipeline, cpus);

    // This machine is shared: the shell's start time drifts. Each run at concurrency 1 is framed by
    // baseline measurements just before and after it, and the overhead is taken per run.
    const bashArgs = ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', 'true'];
    const serial: number[] = [];
    const parallel: number[] = [];
    const overheadVsBash: number[] = [];
    const overheadVsSh: number[] = [];
    const bashBaselines: number[] = [];
    const shBaselines: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const bashBefore = await spawnBaseline('bash', bashArgs, jobs);
      const shBefore = await spawnBaseline('sh', ['-c', 'true'], jobs);
      const one = await runOpsloop(dir, pipeline, 1);
      if (one.status !== 'passed') throw new Error(`the run ${one.status}`);
      const shAfter = await spawnBaseline('sh', ['-c', 'true'], jobs);
      const bashAfter = await spawnBaseline('bash', bashArgs, jobs);
      const bash = (bashBefore + bashAfter) / 2;
      const sh = (shBefore + shAfter) / 2;
      serial.push(one.wallMs);
      bashBaselines.push(bash);
      shBaselines.push(sh);
      overheadVsBash.push(one.wallMs / jobs - bash);
      overheadVsSh.push(one.wallMs / jobs - sh);
      const many = await runOpsloop(dir, pipeline, cpus);
      if (many.status !== 'passed') throw new Error(`the run ${many.status}`);
      parallel.push(many.wallMs);
    }
    const shMs = median(shBaselines);
    const bashMs = median(bashBaselines);
    const perJob = median(serial) / jobs;
    console.log(`Baseline, one spawn and close (${jobs} in a row): sh -c true ${shMs.toFixed(2)} ms; bash --noprofile --norc -e -o pipefail -c true ${bashMs.toFixed(2)} ms`);
    console.log(`Opsloop, concurrency 1:    ${median(serial).toFixed(0)} ms wall, ${perJob.toFixed(2)} ms per job`);
    console.log(`Opsloop, concurrency ${cpus}:    ${median(parallel).toFixed(0)} ms wall`);
    console.log(
      `Overhead per job beyond the shell's start: ${median(overheadVsBash).toFixed(2)} ms (vs the bash it spawns; runs: ${overheadVsBash.map((o) => o.toFixed(1)).join(', ')}), ${median(overheadVsSh).toFixed(2)} ms (vs sh -c true); target < 5 ms`,
    );

    const peerRuns = Number(process.env.OPSLOOP_BENCH_PEER_RUNS ?? 1);
    const peer = peerRuns < 1 ? 'skipped (OPSLOOP_BENCH_PEER_RUNS=0)' : runGitlabCiLocal(dir, cpus, peerRuns);
    let ratio: number | undefined;
    if (typeof peer === 'string') {
      console.log(`\ngitlab-ci-local: not measured: ${peer}`);
    } else {
      ratio = median(peer.wallMs) / median(parallel);
      console.log(`gitlab-ci-local ${peer.version}, shell executor, --concurrency ${peer.concurrency}: ${median(peer.wallMs).toFixed(0)} ms wall (median of ${peer.wallMs.length})`);
      console.log(`\nOpsloop is ${ratio.toFixed(1)}x faster than gitlab-ci-local on the same .gitlab-ci.yml (target >= 3x).`);
    }
    const results = {
      jobs,
      levels,
      cpus,
      baselineMs: { sh: shMs, bash: bashMs, loadAverage: loadavg() },
      opsloop: { serialWallMs: serial, parallelWallMs: parallel, perJobMs: perJob, overheadPerJobMs: { vsBash: median(overheadVsBash), vsSh: median(overheadVsSh), runsVsBash: overheadVsBash } },
      gitlabCiLocal: typeof peer === 'string' ? { error: peer } : peer,
      ratio,
    };
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(join(root, 'bench', 'results', 'run.json'), `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
