// `npm test`: build, typecheck, lint, unit tests, integration suites inside a real VS Code
// (code-server + Chromium), UI tests with Playwright. Ends with one line "N passed, N failed"
// that counts every test that ran (static checks count as one test each; skipped tests count
// as failed, because no test may skip itself silently).
//   node scripts/test.mjs [--only static|unit|integration|ui|electron]... [--grep PATTERN]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodeModules, ensureSystemTools } from './setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.flatMap((a, i) => (a === '--only' ? [args[i + 1]] : []));
const grepIndex = args.indexOf('--grep');
const grep = grepIndex >= 0 ? args[grepIndex + 1] : undefined;
// test-electron downloads VS Code, which these machines cannot: it runs only when asked for.
const wants = (stage) => (only.length === 0 && stage !== 'electron') || only.includes(stage);
const artifacts = join(root, 'artifacts');
mkdirSync(artifacts, { recursive: true });

ensureNodeModules();
if (wants('integration') || wants('ui') || wants('unit')) ensureSystemTools();

const totals = { passed: 0, failed: 0 };
const stages = [];
const started = Date.now();

function record(stage, passed, failed, notes = []) {
  totals.passed += passed;
  totals.failed += failed;
  stages.push({ stage, passed, failed, notes });
}

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', ...options, env: { ...process.env, ...options.env } });
  return result.status === 0;
}

function heading(text) {
  console.log(`\n━━ ${text} ${'━'.repeat(Math.max(0, 70 - text.length))}`);
}

/** A static check is one test: it passes or fails as a whole. */
function check(name, command, commandArgs) {
  heading(name);
  const ok = run(command, commandArgs);
  record(name, ok ? 1 : 0, ok ? 0 : 1, ok ? [] : [`${name} failed`]);
  return ok;
}

function readStats(file, stage) {
  if (!existsSync(file)) {
    record(stage, 0, 1, [`${stage}: the test run wrote no results (it crashed before the end)`]);
    return;
  }
  const stats = JSON.parse(readFileSync(file, 'utf8'));
  record(stage, stats.passed.length, stats.failed.length + stats.pending.length, [
    ...stats.failed.map((f) => `${stage}: ${f.title}`),
    ...stats.pending.map((t) => `${stage}: skipped (not allowed): ${t}`),
  ]);
}

function mocha(stage, spec) {
  heading(stage);
  const statsFile = join(artifacts, `${stage}.json`);
  rmSync(statsFile, { force: true });
  const mochaArgs = [join(root, 'node_modules/mocha/bin/mocha.js'), '--reporter', join(root, 'scripts/mocha-stats-reporter.cjs'), spec];
  if (grep) mochaArgs.push('--grep', grep);
  run(process.execPath, mochaArgs, { env: { OPSLOOP_STATS_FILE: statsFile } });
  readStats(statsFile, stage);
}

const needsBuild = wants('static') || wants('integration') || wants('ui') || wants('electron') || wants('unit');
if (needsBuild) {
  check('build (esbuild)', process.execPath, ['scripts/build.mjs']);
  // tsc never deletes what it emitted for a removed file: a stale compiled test would still run here (not in CI)
  rmSync(join(root, 'out'), { recursive: true, force: true });
  check('typecheck (tsc --strict)', process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.']);
  if (existsSync(join(root, 'webview/tsconfig.json'))) check('typecheck webviews', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'webview']);
}
if (wants('static')) check('lint (eslint, import boundaries)', process.execPath, ['node_modules/eslint/bin/eslint.js', '.', '--max-warnings', '0']);
if (wants('unit')) mocha('unit', 'out/test/unit/**/*.unit.test.js');

if (wants('integration')) {
  heading('prepare the demo workspace');
  const demoReady = run(process.execPath, ['scripts/prepareDemo.mjs', '--quiet']);
  record('demo workspace', demoReady ? 1 : 0, demoReady ? 0 : 1, demoReady ? [] : ['scripts/prepareDemo.mjs failed']);
  const suites = [
    ['trusted', join(root, 'demo-workspace')],
    ['restricted', join(root, 'test/fixtures/workspaces/marker')],
  ];
  for (const [suite, workspace] of suites) {
    heading(`integration: ${suite} (code-server)`);
    const file = join(artifacts, `integration-${suite}.json`);
    rmSync(file, { force: true });
    const ok = run(process.execPath, ['out/test/harness/runIntegration.js', '--suite', suite, '--workspace', workspace, '--results', file]);
    readStats(file, `integration:${suite}`);
    if (!ok && existsSync(file)) {
      const stats = JSON.parse(readFileSync(file, 'utf8'));
      if (stats.failed.length === 0) record(`integration:${suite}`, 0, 1, [`integration:${suite}: the launcher failed`]);
    }
  }
}
if (wants('ui')) mocha('ui', 'out/test/ui/**/*.ui.test.js');
if (wants('electron')) {
  heading('integration in VS Code downloaded by @vscode/test-electron');
  const ok = run(process.execPath, ['out/test/harness/runElectron.js']);
  record('electron', ok ? 1 : 0, ok ? 0 : 1, ok ? [] : ['@vscode/test-electron run failed (it needs to download VS Code)']);
}

heading('summary');
for (const s of stages) console.log(`  ${s.failed ? '✘' : '✔'} ${s.stage}: ${s.passed} passed, ${s.failed} failed`);
const notes = stages.flatMap((s) => s.notes);
if (notes.length) {
  console.log('\nFailures:');
  for (const n of notes) console.log(`  - ${n}`);
}
console.log(`\nTook ${((Date.now() - started) / 1000).toFixed(0)} s.`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exitCode = totals.failed > 0 ? 1 : 0;
