// Prepares the demo workspace: demo/ plus a real git history (a nested .git cannot be committed),
// in demo-workspace/ (git-ignored) or --out DIR. Reused when it is already up to date.
//   node scripts/prepareDemo.mjs [--out DIR] [--force] [--quiet] [--regenerate-telemetry]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authors, commits } from './demo/history.mjs';
import { generateTelemetry } from './demo/telemetry.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'demo');
const args = process.argv.slice(2);
const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : join(root, 'demo-workspace');
const quiet = args.includes('--quiet');
const say = (text) => quiet || console.log(text);

/** Files under `dir`, relative to `base`, with forward slashes. */
function listFiles(dir, base = demo) {
  const files = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...listFiles(path, base));
    else files.push(relative(base, path).split('\\').join('/'));
  }
  return files.sort();
}

/** A fingerprint of everything the workspace is made from, to know when to rebuild it. */
function fingerprint() {
  const hash = createHash('sha256');
  for (const file of [...listFiles(demo, root), ...listFiles(join(root, 'scripts', 'demo'), root), 'scripts/prepareDemo.mjs']) {
    hash.update(file);
    hash.update(readFileSync(join(root, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

// Git with no hooks, no fsmonitor and no user or system config: the same commits everywhere.
const gitEnv = {
  PATH: process.env.PATH,
  HOME: '/nonexistent',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  TZ: 'UTC',
  LANG: 'C',
};
function git(cwd, gitArgs, env = {}) {
  return execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...gitArgs], {
    cwd,
    env: { ...gitEnv, ...env },
    encoding: 'utf8',
  }).trim();
}

function sourceOf(path, spec) {
  if (spec === 'demo') return join(demo, path);
  if (spec.startsWith('v1:')) return join(root, 'scripts', 'demo', spec.slice(3));
  throw new Error(`unknown source ${spec} for ${path}`);
}

function build(target) {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  git(target, ['init', '-q', '-b', 'main']);
  const deployments = [];
  const written = new Set();
  for (const commit of commits) {
    for (const [path, spec] of Object.entries(commit.files)) {
      mkdirSync(dirname(join(target, path)), { recursive: true });
      // Telemetry is generated from the SHAs of earlier commits: absent before its first generation.
      if (!existsSync(sourceOf(path, spec)) && path.startsWith('telemetry/')) writeFileSync(join(target, path), '');
      else copyFileSync(sourceOf(path, spec), join(target, path));
      if (spec === 'demo') written.add(path);
    }
    const author = authors[commit.author];
    const identity = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_AUTHOR_DATE: commit.date,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
      GIT_COMMITTER_DATE: commit.date,
    };
    git(target, ['add', '-A']);
    git(target, ['commit', '-q', '-m', commit.message], identity);
    const sha = git(target, ['rev-parse', 'HEAD']);
    if (commit.deploy) {
      const deployer = { ...identity, GIT_COMMITTER_DATE: commit.deploy.date, GIT_COMMITTER_NAME: 'Deploy Bot', GIT_COMMITTER_EMAIL: 'deploy@checkout.example' };
      git(target, ['tag', '-a', commit.deploy.tag, '-m', `Deployed to production at ${commit.deploy.date}`], deployer);
      deployments.push({ time: Date.parse(commit.deploy.date) / 1000, revision: sha, tag: commit.deploy.tag });
    }
  }
  // Everything in demo/ must be in the history, and the last commit must equal demo/.
  const missing = listFiles(demo).filter((f) => !written.has(f));
  if (missing.length) throw new Error(`demo files that no commit writes (add them to scripts/demo/history.mjs): ${missing.join(', ')}`);
  return deployments;
}

function checkTelemetry(deployments) {
  const expected = generateTelemetry(deployments);
  const omPath = join(demo, 'telemetry', 'checkout.om');
  const logPath = join(demo, 'telemetry', 'checkout.log.jsonl');
  if (args.includes('--regenerate-telemetry')) {
    writeFileSync(omPath, expected.openMetrics);
    writeFileSync(logPath, expected.logs);
    say('regenerated demo/telemetry from the history\'s deployments; run the script again to rebuild the workspace');
    return false;
  }
  const actual = existsSync(omPath) ? readFileSync(omPath, 'utf8') : '';
  if (actual !== expected.openMetrics || !existsSync(logPath) || readFileSync(logPath, 'utf8') !== expected.logs) {
    throw new Error('demo/telemetry does not match the demo history (its build_info revisions are the SHAs of the deployed commits). Run: node scripts/prepareDemo.mjs --regenerate-telemetry');
  }
  return true;
}

const stamp = join(out, '.git', 'opsloop-demo');
const wanted = fingerprint();
if (!args.includes('--force') && !args.includes('--regenerate-telemetry') && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
  say(`demo workspace is up to date: ${out}`);
} else {
  const scratch = `${out}.tmp`;
  const deployments = build(scratch);
  if (checkTelemetry(deployments)) {
    writeFileSync(join(scratch, '.git', 'opsloop-demo'), wanted);
    rmSync(out, { recursive: true, force: true });
    cpSync(scratch, out, { recursive: true });
    rmSync(scratch, { recursive: true, force: true });
    const log = git(out, ['log', '--format=%h %ad %an: %s', '--date=format:%Y-%m-%d %H:%M']);
    say(`demo workspace ready: ${out}\n${log.split('\n').map((l) => `  ${l}`).join('\n')}`);
  } else {
    rmSync(scratch, { recursive: true, force: true });
    process.exitCode = 1;
  }
}
