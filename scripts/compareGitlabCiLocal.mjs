#!/usr/bin/env node
// Fidelity check of Opsloop's GitLab parser against gitlab-ci-local (a peer that runs GitLab CI
// pipelines locally): both read every fixture under test/fixtures/gitlab/, and the job plans are
// compared on names, stages, needs, when and allow_failure. Each difference is either explained
// (a documented behaviour where the two tools read GitLab differently, see
// docs/pipelines-gitlab.md) or listed as unexplained; the exit status is 1 when any is unexplained.
//
// gitlab-ci-local needs Node 22: npm's `node@22` package provides it (its binary comes from the
// npm registry). Both are installed into .vscode-test/gitlab-ci-local (git-ignored).
//
//   npm run compare:gitlab [-- --fixture 32-parallel-matrix] [-- --verbose]
//   node scripts/compareGitlabCiLocal.mjs --print-tool    (install only; prints the paths as JSON)

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixturesDir = join(root, 'test', 'fixtures', 'gitlab');
const toolDir = join(root, '.vscode-test', 'gitlab-ci-local');
export const GITLAB_CI_LOCAL_VERSION = '4.75.1';
const args = process.argv.slice(2);
const only = args.includes('--fixture') ? args[args.indexOf('--fixture') + 1] : undefined;
const verbose = args.includes('--verbose');

/** Installs node@22 and gitlab-ci-local into the tool folder once; returns the paths to run them. */
export function ensureGitlabCiLocal() {
  const nodeBin = join(toolDir, 'node_modules', 'node', 'bin', 'node');
  const cli = join(toolDir, 'node_modules', 'gitlab-ci-local', 'dist', 'index.js');
  const installed = () => {
    if (!existsSync(nodeBin) || !existsSync(cli)) return false;
    const pkg = JSON.parse(readFileSync(join(toolDir, 'node_modules', 'gitlab-ci-local', 'package.json'), 'utf8'));
    return pkg.version === GITLAB_CI_LOCAL_VERSION;
  };
  if (!installed()) {
    mkdirSync(toolDir, { recursive: true });
    // node@22's preinstall script fetches the platform binary package from the npm registry; npm 11 runs it only when allowed here.
    writeFileSync(join(toolDir, 'package.json'), JSON.stringify({ name: 'opsloop-gitlab-ci-local', private: true, allowScripts: { node: true } }, null, 2));
    console.error(`Installing node@22 and gitlab-ci-local@${GITLAB_CI_LOCAL_VERSION} into ${relative(root, toolDir)} ...`);
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', 'node@22', `gitlab-ci-local@${GITLAB_CI_LOCAL_VERSION}`], { cwd: toolDir, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0 || !installed()) {
      throw new Error(`Could not install gitlab-ci-local with Node 22 (npm exit ${r.status}). It needs the npm registry; see ${relative(root, toolDir)}.`);
    }
  }
  const version = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith('v22.')) throw new Error(`${nodeBin} is ${version}, not Node 22.`);
  if (!existsSync('/usr/bin/rsync') && spawnSync('rsync', ['--version']).status !== 0) {
    throw new Error('gitlab-ci-local needs rsync on PATH (apt-get install rsync).');
  }
  return { nodeBin, cli, nodeVersion: version };
}

/** Bundles the parser from src/ with esbuild (no tsc run needed) and loads it. */
export async function loadOpsloopGitlab() {
  const esbuild = await import('esbuild');
  const outfile = join(toolDir, 'opsloop-gitlab.cjs');
  mkdirSync(toolDir, { recursive: true });
  await esbuild.build({
    stdin: {
      contents: [
        "export { parseGitlabPipeline } from './src/core/pipeline/gitlab/gitlabParser';",
        "export { listingFileSource, memoryFileSource } from './src/core/pipeline/gitlab/gitlabContext';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    logLevel: 'error',
  });
  return createRequire(import.meta.url)(outfile);
}

export function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.filter((f) => f !== 'fixture.json').sort();
}

export function fixtureContext(meta) {
  return { branch: 'main', pipelineSource: 'push', defaultBranch: 'main', projectPath: 'opsloop/fixtures', serverHost: 'gitlab.example.com', ...(meta.context ?? {}) };
}

/** A throwaway git repository with the fixture committed on `main` (gitlab-ci-local reads git for its predefined variables). */
export function prepareRepository(fixture, meta) {
  const dir = mkdtempSync(join(tmpdir(), 'opsloop-gcl-'));
  cpSync(fixture, dir, { recursive: true });
  rmSync(join(dir, 'fixture.json'), { force: true });
  const git = (...a) =>
    execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=', '-c', 'commit.gpgsign=false', '-c', 'user.name=Opsloop', '-c', 'user.email=opsloop@example.com', ...a], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', 'https://gitlab.example.com/opsloop/fixtures.git');
  git('add', '-A');
  git('commit', '-q', '-m', 'Commit Title');
  if (meta.context?.tag) git('tag', meta.context.tag);
  return dir;
}

/** gitlab-ci-local has no notion of tags or merge requests: the fixture's context becomes --variable flags. */
function gclFlags(meta) {
  const flags = [];
  const c = meta.context ?? {};
  const set = (k, v) => flags.push('--variable', `${k}=${v}`);
  if (c.pipelineSource && c.pipelineSource !== 'push') set('CI_PIPELINE_SOURCE', c.pipelineSource);
  if (c.tag) {
    set('CI_COMMIT_TAG', c.tag);
    set('CI_COMMIT_REF_NAME', c.tag);
    flags.push('--unset-variable', 'CI_COMMIT_BRANCH');
  }
  if (c.mergeRequest) {
    set('CI_MERGE_REQUEST_SOURCE_BRANCH_NAME', c.mergeRequest.sourceBranch);
    set('CI_MERGE_REQUEST_TARGET_BRANCH_NAME', c.mergeRequest.targetBranch);
    if (c.mergeRequest.iid !== undefined) set('CI_MERGE_REQUEST_IID', String(c.mergeRequest.iid));
    set('CI_COMMIT_REF_NAME', c.mergeRequest.sourceBranch);
    flags.push('--unset-variable', 'CI_COMMIT_BRANCH');
  }
  for (const [k, v] of Object.entries(c.variables ?? {})) set(k, v);
  const overridden = flags.filter((f, i) => flags[i - 1] === '--variable').map((f) => f.split('=')[0]).filter((k) => k.startsWith('CI_'));
  if (overridden.length > 0) flags.push('--ignore-predefined-vars', overridden.join(','));
  // Unknown changed files: GitLab evaluates rules:changes to true (new branch, tag, no diff base), which is
  // what gitlab-ci-local does with rule-changes evaluation off; with it on it diffs against an origin that a
  // fresh repository does not have.
  if (c.changedFiles === undefined) flags.push('--no-evaluate-rule-changes');
  return flags;
}

export function runGitlabCiLocal(tool, dir, meta, extra = []) {
  const started = process.hrtime.bigint();
  const r = spawnSync(tool.nodeBin, [tool.cli, '--list-json', ...gclFlags(meta), ...extra], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) return { ok: false, ms, error: (r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' ') };
  const start = r.stdout.search(/^\[/m);
  try {
    return { ok: true, ms, jobs: JSON.parse(r.stdout.slice(start)) };
  } catch (e) {
    return { ok: false, ms, error: `unreadable --list-json output: ${e.message}` };
  }
}

/** gitlab-ci-local lists needs as written; a need with parallel:matrix names instances (its own `job: [a,b]` spelling). */
function normalizeNeeds(needs) {
  if (needs === null || needs === undefined) return null;
  return needs
    .flatMap((n) => {
      if (typeof n === 'string') return [n];
      const matrix = n.parallel?.matrix;
      if (!Array.isArray(matrix)) return [n.job];
      return matrix.flatMap((entry) => {
        let combos = [[]];
        for (const v of Object.values(entry)) combos = combos.flatMap((c) => [v].flat().map((x) => [...c, String(x)]));
        return combos.map((c) => `${n.job}: [${c.join(',')}]`);
      });
    })
    .sort();
}

function theirAllowFailure(value) {
  if (typeof value === 'object' && value !== null) return false; // {exit_codes}: allowed only for those codes
  return Boolean(value);
}

/** Reads the fixture's own YAML (not merged) to tell which documented difference applies. */
function rawJobs(fixture) {
  const yaml = createRequire(import.meta.url)('js-yaml');
  const out = {};
  for (const f of listFiles(fixture).filter((p) => /\.ya?ml$/.test(p))) {
    try {
      const doc = yaml.load(readFileSync(join(fixture, f), 'utf8'), { schema: yaml.DEFAULT_SCHEMA.extend([new yaml.Type('!reference', { kind: 'sequence' })]) });
      if (doc && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) if (v && typeof v === 'object' && !Array.isArray(v)) out[k] = { ...(out[k] ?? {}), ...v };
    } catch {
      // a broken fixture file is the parser's business, not the classifier's
    }
  }
  return out;
}

/** Explanations of differences that come from documented behaviour (docs/pipelines-gitlab.md#differences). */
const explanations = [
  {
    id: 'matrix-names',
    text: 'GitLab names matrix jobs `job: [a, b]`; gitlab-ci-local writes `job: [a,b]`',
    name: (ours, theirs) => ours.replace(/: \[(.*)\]$/, (_, v) => `: [${v.split(', ').join(',')}]`) === theirs,
  },
  {
    id: 'parallel-names',
    text: 'GitLab names `parallel: N` jobs `job 1/N`; gitlab-ci-local writes `job: [1/N]`',
    name: (ours, theirs) => ours.replace(/ (\d+\/\d+)$/, ': [$1]') === theirs,
  },
  {
    id: 'only-except',
    text: 'gitlab-ci-local does not evaluate only/except; Opsloop applies them (and the default only: [branches, tags])',
    field: (f, job, raw, meta) => (f === 'when' || f === 'needs') && raw[job.definition] && ('only' in raw[job.definition] || 'except' in raw[job.definition] || meta.context?.mergeRequest || meta.context?.tag),
  },
  {
    id: 'manual-allow-failure',
    text: 'GitLab: a job-level `when: manual` is allowed to fail unless it says otherwise; gitlab-ci-local reports allow_failure false',
    field: (f, job, raw) => f === 'allow_failure' && raw[job.definition]?.when === 'manual' && raw[job.definition]?.allow_failure === undefined && job.allowFailure === true,
  },
  {
    id: 'needs-not-created',
    text: 'GitLab drops optional needs on jobs that are not created; gitlab-ci-local keeps them in the listing',
    field: (f, job, _raw, _meta, ours, theirs) => f === 'needs' && Array.isArray(theirs) && Array.isArray(ours) && ours.every((n) => theirs.includes(n)),
  },
];

function classify(field, job, raw, meta, ours, theirs, plan) {
  for (const e of explanations) if (e.field?.(field, job, raw, meta, ours, theirs, plan)) return e;
  return undefined;
}

async function main() {
  const tool = ensureGitlabCiLocal();
  const opsloop = await loadOpsloopGitlab();
  const fixtures = readdirSync(fixturesDir)
    .filter((d) => existsSync(join(fixturesDir, d, 'fixture.json')))
    .filter((d) => !only || d === only)
    .sort();
  console.log(`gitlab-ci-local ${GITLAB_CI_LOCAL_VERSION} on Node ${tool.nodeVersion}; ${fixtures.length} fixtures\n`);

  const totals = { fixtures: 0, skipped: 0, jobs: 0, fields: { name: [0, 0], stage: [0, 0], needs: [0, 0], when: [0, 0], allow_failure: [0, 0] }, explained: new Map(), unexplained: [] };
  const results = [];
  for (const name of fixtures) {
    const fixture = join(fixturesDir, name);
    const meta = JSON.parse(readFileSync(join(fixture, 'fixture.json'), 'utf8'));
    const files = Object.fromEntries(listFiles(fixture).map((f) => [f, readFileSync(join(fixture, f), 'utf8')]));
    const plan = opsloop.parseGitlabPipeline({ file: '.gitlab-ci.yml', source: opsloop.memoryFileSource(files), context: fixtureContext(meta) });
    const ourErrors = plan.diagnostics.filter((d) => d.severity === 'error');
    if (meta.compare === false) {
      totals.skipped++;
      console.log(`- ${name}: not compared: ${meta.why}`);
      results.push({ name, skipped: meta.why });
      continue;
    }
    const dir = prepareRepository(fixture, meta);
    let theirs;
    try {
      theirs = runGitlabCiLocal(tool, dir, meta);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    totals.fixtures++;
    if (!theirs.ok) {
      const agree = ourErrors.length > 0;
      console.log(`${agree ? '✓' : '✗'} ${name}: gitlab-ci-local rejects it (${theirs.error.slice(0, 160)}); Opsloop ${agree ? `reports ${ourErrors.length} error(s): ${ourErrors[0].message}` : 'reports no error'}`);
      if (!agree) totals.unexplained.push(`${name}: gitlab-ci-local fails but Opsloop accepts the file`);
      results.push({ name, rejectedByPeer: theirs.error, ourErrors: ourErrors.length });
      continue;
    }
    const raw = rawJobs(fixture);
    const theirsByName = new Map(theirs.jobs.map((j) => [j.name, j]));
    const pairs = [];
    const unmatchedTheirs = new Set(theirsByName.keys());
    for (const job of plan.jobs) {
      let other = theirsByName.get(job.name);
      let how;
      if (!other) {
        for (const e of explanations.filter((x) => x.name)) {
          const hit = [...unmatchedTheirs].find((t) => e.name(job.name, t));
          if (hit) {
            other = theirsByName.get(hit);
            how = e;
            break;
          }
        }
      }
      if (other) unmatchedTheirs.delete(other.name);
      pairs.push({ job, other, how });
    }
    const lines = [];
    const note = (field, explanation, text) => {
      if (explanation) {
        totals.explained.set(explanation.id, { text: explanation.text, count: (totals.explained.get(explanation.id)?.count ?? 0) + 1, examples: [...(totals.explained.get(explanation.id)?.examples ?? []), `${name}: ${text}`].slice(0, 3) });
        if (verbose) lines.push(`    ~ ${text} [${explanation.id}]`);
      } else {
        totals.unexplained.push(`${name}: ${text}`);
        lines.push(`    ✗ ${text}`);
      }
    };
    const nameMap = new Map(pairs.filter((p) => p.other).map((p) => [p.other.name, p.job.name]));
    for (const { job, other, how } of pairs) {
      totals.jobs++;
      const count = (field, same) => {
        totals.fields[field][1]++;
        if (same) totals.fields[field][0]++;
      };
      if (!other) {
        count('name', false);
        note('name', undefined, `job '${job.name}' (when ${job.when}) is missing from gitlab-ci-local's list`);
        continue;
      }
      count('name', !how);
      if (how) note('name', how, `'${job.name}' is '${other.name}'`);
      count('stage', job.stage === other.stage);
      if (job.stage !== other.stage) note('stage', classify('stage', job, raw, meta, job.stage, other.stage, plan), `'${job.name}' stage ${job.stage} vs ${other.stage}`);
      const ourNeeds = job.needs === null ? null : job.needs.map((n) => n.job).sort();
      const theirNeeds = normalizeNeeds(other.needs)?.map((n) => nameMap.get(n) ?? n).sort() ?? null;
      // gitlab-ci-local lists `needs` of a parallel parent by instance; the plan keeps the parent's name (it stands for all instances).
      const expand = (list) => (list === null ? null : [...new Set(list.flatMap((n) => plan.jobs.filter((j) => j.definition === n && j.name !== n).map((j) => j.name).concat(plan.jobs.some((j) => j.name === n) || !plan.jobs.some((j) => j.definition === n) ? [n] : [])))].sort());
      const sameNeeds = JSON.stringify(expand(ourNeeds)) === JSON.stringify(expand(theirNeeds));
      count('needs', sameNeeds);
      if (!sameNeeds) note('needs', classify('needs', job, raw, meta, ourNeeds, theirNeeds, plan), `'${job.name}' needs ${JSON.stringify(ourNeeds)} vs ${JSON.stringify(theirNeeds)}`);
      count('when', job.when === other.when);
      if (job.when !== other.when) note('when', classify('when', job, raw, meta, job.when, other.when, plan), `'${job.name}' when ${job.when} vs ${other.when}`);
      const af = theirAllowFailure(other.allow_failure);
      count('allow_failure', job.allowFailure === af);
      if (job.allowFailure !== af) note('allow_failure', classify('allow_failure', job, raw, meta, job.allowFailure, af, plan), `'${job.name}' allow_failure ${job.allowFailure} vs ${JSON.stringify(other.allow_failure)}`);
    }
    for (const t of unmatchedTheirs) {
      totals.jobs++;
      totals.fields.name[1]++;
      note('name', undefined, `gitlab-ci-local lists '${t}', which the plan does not have`);
    }
    const bad = lines.filter((l) => l.includes('✗')).length;
    console.log(`${bad === 0 ? '✓' : '✗'} ${name}: ${plan.jobs.length} jobs (gitlab-ci-local ${theirs.jobs.length}), ${Math.round(theirs.ms)} ms for gitlab-ci-local`);
    for (const l of lines) console.log(l);
    results.push({ name, jobs: plan.jobs.length, theirs: theirs.jobs.length, unexplained: bad });
  }

  console.log('\nAgreement (fields that match exactly, before explanations):');
  for (const [field, [same, all]] of Object.entries(totals.fields)) console.log(`  ${field.padEnd(14)} ${same}/${all} (${all ? ((100 * same) / all).toFixed(1) : '100.0'}%)`);
  console.log(`\n${totals.fixtures} fixtures compared, ${totals.skipped} not comparable, ${totals.jobs} jobs.`);
  if (totals.explained.size > 0) {
    console.log('\nExplained differences (documented in docs/pipelines-gitlab.md):');
    for (const [id, e] of totals.explained) console.log(`  ${id} (${e.count}): ${e.text}\n      e.g. ${e.examples.join('\n           ')}`);
  }
  if (totals.unexplained.length > 0) {
    console.log(`\nUnexplained differences (${totals.unexplained.length}):`);
    for (const u of totals.unexplained) console.log(`  ${u}`);
    process.exitCode = 1;
  } else {
    console.log('\nNo unexplained differences.');
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `--print-tool`: install if needed, then print {nodeBin, cli, nodeVersion, version} (bench/plan.ts uses it)
  const run = args.includes('--print-tool') ? async () => console.log(JSON.stringify({ ...ensureGitlabCiLocal(), version: GITLAB_CI_LOCAL_VERSION })) : main;
  run().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  });
}
