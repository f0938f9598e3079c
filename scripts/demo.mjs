// `npm run demo`: builds Opsloop, prepares the demo workspace (demo/ plus its git history) and
// opens it with the extension loaded: desktop VS Code when `code` is on PATH, otherwise
// code-server on 127.0.0.1 (URL printed). `npm run demo -- --headless` prints what the CLI
// finds in the demo instead, for machines with no display.
//   npm run demo [-- --headless] [--port N] [--code-server]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodeModules, ensureSystemTools } from './setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const workspace = join(root, 'demo-workspace');

function step(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`demo: '${[command, ...commandArgs].join(' ')}' failed`);
    process.exit(result.status ?? 1);
  }
}

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, name)));
}

function freePort(preferred) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      const fallback = createServer();
      fallback.listen(0, '127.0.0.1', () => {
        const { port } = fallback.address();
        fallback.close(() => resolve(port));
      });
    });
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(preferred)));
  });
}

ensureNodeModules();
ensureSystemTools(['git']);
step(process.execPath, ['scripts/build.mjs']);
step(process.execPath, ['scripts/prepareDemo.mjs']);

if (args.includes('--headless')) {
  const cli = join(root, 'dist', 'cli.js');
  const show = (title, cliArgs) => {
    console.log(`\n━━ ${title}: opsloop ${cliArgs.join(' ')}`);
    // The CLI's exit status is part of what it reports (1 = it found a problem): show, do not stop.
    const result = spawnSync(process.execPath, [cli, ...cliArgs], { cwd: workspace, stdio: 'inherit' });
    if (result.status !== 0) console.log(`(exit status ${result.status})`);
  };
  show('The pipelines Opsloop finds in the demo', ['plan']);
  show('Run the unit tests locally, with the build job they need (history kept out of the demo)', ['run', '--file', '.gitlab-ci.yml', '--job', 'unit-test', '--no-history']);
  show('Production p99 latency around the last deployment (recorded telemetry)', ['query', '--query', 'p99 latency', '--from', '2026-11-18T12:00:00Z', '--to', '2026-11-18T18:00:00Z']);
  show('Did the last deployment hurt production? (the pipeline gate: exit 1 when it did)', ['check']);
  console.log(`\nThe demo workspace is ${workspace}; run \`node dist/cli.js --help\` there for more.`);
} else if (onPath('code') && !args.includes('--code-server')) {
  console.log(`Opening the demo in VS Code with the extension loaded from ${root}`);
  step('code', ['--new-window', `--extensionDevelopmentPath=${root}`, workspace]);
} else {
  ensureSystemTools(['rg', 'g++', 'make', 'python3', 'pkg-config']);
  step(join(root, 'scripts', 'install-code-server.sh'), []);
  const port = await freePort(args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 8080);
  const userData = join(root, '.vscode-test', 'demo-user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  const settings = join(userData, 'User', 'settings.json');
  if (!existsSync(settings)) writeFileSync(settings, JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off' }, null, 2));
  const bin = join(root, '.vscode-test', 'code-server', 'node_modules', '.bin', 'code-server');
  const child = spawn(
    bin,
    ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--user-data-dir', userData, '--extensions-dir', join(root, '.vscode-test', 'demo-extensions'), workspace],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [['extensionDevelopmentPath', remote(root)], ['skipWelcome', 'true']];
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  console.log(`\nOpsloop demo in code-server (no desktop VS Code found on PATH):\n\n  ${url}\n\nOpen it in a browser on this machine (or tunnel port ${port}). Ctrl-C stops the server.`);
  const stop = () => child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => process.exit(code ?? 0));
}
