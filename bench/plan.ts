/**
 * `npm run bench:plan [-- --runs 41] [-- --peer-runs 3] [-- --no-peer]`
 *
 * Time to a validated plan: a generated GitLab pipeline of 1,000 jobs across 10 included files
 * (extends chains, YAML anchors and merges, rules, needs, one parallel:matrix per file) and a
 * set of 300 GitHub Actions jobs (10 workflows); the median of many runs after a warm-up. In the
 * same run, gitlab-ci-local (`--list-json`, Node 22) reads the same GitLab files, so the two
 * figures are measured side by side on the same machine. Prints figures, asserts nothing;
 * writes bench/results/plan.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from '../src/cli/args';
import { memoryFileSource } from '../src/core/pipeline/gitlab/gitlabContext';
import { parseGitlabPipeline } from '../src/core/pipeline/gitlab/gitlabParser';
import { parseGithubWorkflow } from '../src/core/pipeline/github/githubParser';
import type { Pipeline } from '../src/core/pipeline/model';
import { validatePlan } from '../src/core/pipeline/validate';

const FILES = 10;
const JOBS_PER_FILE = 100;
const MATRIX = { OS: ['linux', 'mac'], NODE: ['18', '20', '22', '23', '24'] }; // 10 instances per file

/** The GitLab repository: a root file with templates and 10 included files of 100 plan jobs each. */
export function generateGitlab(): Record<string, string> {
  const files: Record<string, string> = {};
  const root: string[] = [
    'stages: [build, test, deploy]',
    'variables:',
    '  REGISTRY: registry.example.com',
    '  APP: bench',
    'default:',
    '  image: $REGISTRY/node:20',
    '  retry: 1',
    'include:',
    ...Array.from({ length: FILES }, (_, f) => `  - local: ci/part-${f}.yml`),
    '.base:',
    '  before_script: [npm ci]',
    '  variables: {LEVEL: base}',
    '  tags: [docker]',
    '.build-template:',
    '  extends: .base',
    '  stage: build',
    '  script: [npm run build]',
    '.test-template:',
    '  extends: .build-template',
    '  stage: test',
    '  script: [npm test]',
    '  rules:',
    '    - if: $CI_PIPELINE_SOURCE == "schedule"',
    '      when: never',
    '    - if: $CI_COMMIT_BRANCH =~ /^(main|release-.*)$/',
    '    - when: manual',
    '',
  ];
  files['.gitlab-ci.yml'] = root.join('\n');
  for (let f = 0; f < FILES; f++) {
    const lines: string[] = [
      `.anchors-${f}: &defaults-${f}`,
      '  interruptible: true',
      '  variables:',
      `    PART: "${f}"`,
      '',
    ];
    const plain = JOBS_PER_FILE - MATRIX.OS.length * MATRIX.NODE.length;
    for (let j = 0; j < plain; j++) {
      const name = `p${f}-job${j}`;
      const stage = j < 30 ? 'build' : j < 70 ? 'test' : 'deploy';
      lines.push(`${name}:`);
      if (stage === 'build') lines.push('  extends: .build-template', `  <<: *defaults-${f}`, `  script: ["echo build ${name}", "make part-${f}"]`);
      else if (stage === 'test') lines.push('  extends: .test-template', `  needs: [p${f}-job${j - 30}]`);
      else lines.push('  stage: deploy', `  script: ./deploy.sh ${name}`, '  environment: {name: "review/$CI_COMMIT_REF_SLUG", url: "https://$CI_COMMIT_REF_SLUG.$APP.example.com"}', `  needs: [{job: p${f}-job${j - 40}, artifacts: false}]`, '  when: manual');
      lines.push('');
    }
    lines.push(
      `p${f}-matrix:`,
      '  extends: .test-template',
      `  <<: *defaults-${f}`,
      '  image: node:$NODE',
      '  parallel:',
      '    matrix:',
      `      - OS: [${MATRIX.OS.join(', ')}]`,
      `        NODE: [${MATRIX.NODE.join(', ')}]`,
      '',
    );
    files[`ci/part-${f}.yml`] = lines.join('\n');
  }
  return files;
}

/** 10 workflows of 30 plan jobs (27 definitions, 3 of them a 2-entry matrix): needs chains, env, run and uses steps. */
export function generateGithub(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let w = 0; w < 10; w++) {
    const lines = [`name: Workflow ${w}`, 'on: [push, pull_request]', 'env:', '  CI: "true"', 'jobs:'];
    for (let j = 0; j < 27; j++) {
      lines.push(`  job${j}:`, '    runs-on: ubuntu-latest');
      if (j > 0) lines.push(`    needs: [job${j - 1}${j > 5 ? `, job${j - 5}` : ''}]`);
      if (j % 10 === 0) lines.push('    strategy:', '      matrix:', '        node: [18, 20]', '        os: [ubuntu-latest]');
      lines.push('    steps:', '      - uses: actions/checkout@v4', `      - run: npm ci && npm test -- --shard ${j}`, '        env:', `          SHARD: "${j}"`);
    }
    files[`.github/workflows/w${w}.yml`] = lines.join('\n') + '\n';
  }
  return files;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall time, and CPU time of this process (less disturbed when other work shares the machine). */
function time<T>(fn: () => T): { ms: number; cpuMs: number; value: T } {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const value = fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, value };
}

const context = { branch: 'main', pipelineSource: 'push' as const, defaultBranch: 'main', projectPath: 'bench/plan', serverHost: 'gitlab.example.com' };

function gitlabPlan(files: Record<string, string>): { jobs: number; errors: number } {
  const pipeline = parseGitlabPipeline({ file: '.gitlab-ci.yml', source: memoryFileSource(files), context });
  const plan = validatePlan({ files: ['.gitlab-ci.yml'], pipelines: [pipeline], diagnostics: [] });
  return { jobs: pipeline.jobs.length, errors: plan.diagnostics.filter((d) => d.severity === 'error').length };
}

function githubPlan(files: Record<string, string>): { jobs: number; errors: number } {
  const pipelines: Pipeline[] = Object.entries(files).map(([file, text]) => parseGithubWorkflow({ file, text }));
  const plan = validatePlan({ files: Object.keys(files), pipelines, diagnostics: [] });
  return { jobs: pipelines.reduce((n, p) => n + p.jobs.length, 0), errors: plan.diagnostics.filter((d) => d.severity === 'error').length };
}

interface PeerResult {
  readonly version: string;
  readonly nodeVersion: string;
  readonly wallMs: number[];
  readonly selfReportedMs: number[];
  readonly jobs: number;
}

/** gitlab-ci-local on the same files in a throwaway git repository; undefined with the reason when it cannot run. */
function runPeer(files: Record<string, string>, runs: number): PeerResult | string {
  const root = join(__dirname, '..', '..');
  const tool = spawnSync(process.execPath, [join(root, 'scripts', 'compareGitlabCiLocal.mjs'), '--print-tool'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (tool.status !== 0) return `gitlab-ci-local could not be installed (exit ${tool.status}); see the message above`;
  const { nodeBin, cli, nodeVersion, version } = JSON.parse(tool.stdout.trim().split('\n').pop()!) as { nodeBin: string; cli: string; nodeVersion: string; version: string };
  const dir = mkdtempSync(join(tmpdir(), 'opsloop-bench-plan-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const git = (...args: string[]): void => {
      execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, stdio: 'ignore' });
    };
    git('init', '-q', '-b', 'main');
    git('remote', 'add', 'origin', 'https://gitlab.example.com/bench/plan.git');
    git('add', '-A');
    git('commit', '-q', '-m', 'bench');
    const wallMs: number[] = [];
    const selfReportedMs: number[] = [];
    let jobs = 0;
    for (let i = 0; i < runs; i++) {
      const started = process.hrtime.bigint();
      const r = spawnSync(nodeBin, [cli, '--list-json'], { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
      wallMs.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (r.status !== 0) return `gitlab-ci-local failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}`;
      const parsed = /parsing and downloads finished in ([\d.]+) (ms|s)/.exec(r.stderr + r.stdout);
      const schema = /json schema validated in ([\d.]+) (ms|s)/.exec(r.stderr + r.stdout);
      const toMs = (m: RegExpExecArray | null): number => (m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN);
      selfReportedMs.push(toMs(parsed) + (schema ? toMs(schema) : 0));
      const start = r.stdout.search(/^\[/m);
      jobs = (JSON.parse(r.stdout.slice(start)) as unknown[]).length;
    }
    return { version, nodeVersion, wallMs, selfReportedMs, jobs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const { options } = parseArgs(process.argv.slice(2), { runs: { type: 'string' }, 'peer-runs': { type: 'string' }, 'no-peer': { type: 'boolean' } });
  const runs = Math.max(1, Number(options.runs ?? 41));
  const peerRuns = Math.max(1, Number(options['peer-runs'] ?? 3));
  const noPeer = options['no-peer'] === true;

  const gitlab = generateGitlab();
  const github = generateGithub();
  const gitlabBytes = Object.values(gitlab).reduce((n, t) => n + t.length, 0);

  // warm-up (JIT), then measured runs
  for (let i = 0; i < 5; i++) {
    gitlabPlan(gitlab);
    githubPlan(github);
  }
  const gl: number[] = [];
  const gh: number[] = [];
  const glCpu: number[] = [];
  const ghCpu: number[] = [];
  const load = loadavg()[0]!;
  let glResult = { jobs: 0, errors: 0 };
  let ghResult = { jobs: 0, errors: 0 };
  for (let i = 0; i < runs; i++) {
    const a = time(() => gitlabPlan(gitlab));
    gl.push(a.ms);
    glCpu.push(a.cpuMs);
    glResult = a.value;
    const b = time(() => githubPlan(github));
    gh.push(b.ms);
    ghCpu.push(b.cpuMs);
    ghResult = b.value;
  }
  // the first plan of a fresh process (what `opsloop plan` pays once)
  const cold = gl[0]!;

  console.log(`Plan benchmark (${runs} runs after 5 warm-up runs, median; Node ${process.version}; ${cpus().length} CPUs, load average ${load.toFixed(1)} at start)\n`);
  console.log(`GitLab: ${glResult.jobs} jobs from ${FILES} included files + root (${(gitlabBytes / 1024).toFixed(0)} KiB), ${glResult.errors} errors`);
  console.log(`  parse + validate     median ${median(gl).toFixed(2)} ms   (min ${Math.min(...gl).toFixed(2)}, max ${Math.max(...gl).toFixed(2)}; CPU time median ${median(glCpu).toFixed(2)} ms; target < 20 ms)`);
  console.log(`GitHub: ${ghResult.jobs} jobs in 10 workflows, ${ghResult.errors} errors`);
  console.log(`  parse + validate     median ${median(gh).toFixed(2)} ms   (min ${Math.min(...gh).toFixed(2)}, max ${Math.max(...gh).toFixed(2)}; CPU time median ${median(ghCpu).toFixed(2)} ms)`);

  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    loadAverage: load,
    gitlab: { jobs: glResult.jobs, errors: glResult.errors, files: FILES + 1, bytes: gitlabBytes, medianMs: median(gl), minMs: Math.min(...gl), cpuMedianMs: median(glCpu), firstMeasuredMs: cold },
    github: { jobs: ghResult.jobs, errors: ghResult.errors, medianMs: median(gh), minMs: Math.min(...gh), cpuMedianMs: median(ghCpu) },
  };
  if (!noPeer) {
    const peer = runPeer(gitlab, peerRuns);
    if (typeof peer === 'string') {
      console.log(`\ngitlab-ci-local: not measured: ${peer}`);
      result.peer = { error: peer };
    } else {
      const wall = median(peer.wallMs);
      const self = median(peer.selfReportedMs);
      console.log(`\ngitlab-ci-local ${peer.version} (Node ${peer.nodeVersion}) --list-json on the same files, ${peerRuns} runs: ${peer.jobs} jobs`);
      console.log(`  whole command        median ${wall.toFixed(0)} ms   → Opsloop is ${(wall / median(gl)).toFixed(0)}× faster (target ≥ 10×)`);
      console.log(`  its own parse figure median ${self.toFixed(0)} ms   (parsing + schema validation it prints, without process start) → ${(self / median(gl)).toFixed(0)}×`);
      result.peer = { version: peer.version, jobs: peer.jobs, wallMedianMs: wall, selfReportedMedianMs: self, speedupWall: wall / median(gl), speedupSelfReported: self / median(gl) };
    }
  }
  const out = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'plan.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nWritten to bench/results/plan.json`);
}

if (require.main === module) main();
