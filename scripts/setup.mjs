// Set-up that `npm test` and `npm run demo` do for themselves on a fresh machine: npm
// dependencies, then the system tools the tests use (Debian packages, installed when running
// as root with apt-get; otherwise a message that says what is missing).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Tools the tests run, and the Debian package of each. */
export const testTools = {
  chromium: 'chromium',
  rg: 'ripgrep',
  git: 'git',
  rsync: 'rsync',
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'pkg-config': 'pkg-config',
  'g++': 'g++',
  make: 'make',
  python3: 'python3',
};
/** Libraries code-server's native modules build against (no binary to look for). */
const buildLibraries = ['libkrb5-dev', 'libx11-dev', 'libxkbfile-dev', 'libsecret-1-dev'];

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}

export function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('setup: installing npm dependencies (npm ci)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm ci failed');
}

function debianInstalled(pkg) {
  return spawnSync('dpkg', ['-s', pkg], { stdio: 'ignore' }).status === 0;
}

export function ensureSystemTools(tools = Object.keys(testTools), { libraries = true } = {}) {
  const packages = new Set(tools.filter((t) => !onPath(t)).map((t) => testTools[t]));
  if (libraries && onPath('dpkg')) for (const lib of buildLibraries) if (!debianInstalled(lib)) packages.add(lib);
  if (packages.size === 0) return;
  const list = [...packages];
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (!canInstall) {
    throw new Error(`missing system packages: ${list.join(' ')}. Install them (Debian: sudo apt-get install -y --no-install-recommends ${list.join(' ')}) and run again.`);
  }
  console.log(`setup: installing Debian packages: ${list.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...list], { stdio: 'inherit', env });
  if (result.status !== 0) throw new Error(`apt-get install ${list.join(' ')} failed`);
}
