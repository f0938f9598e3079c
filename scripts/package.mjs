// `npm run package`: a production build, then the .vsix with @vscode/vsce. Everything the
// extension needs is bundled into dist/, so node_modules does not ship (--no-dependencies).
// Fails when the package would contain tests, sources or fixtures; prints its size.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version, name } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const output = join(root, `${name}-${version}.vsix`);

function run(args, capture = false) {
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: capture ? 'pipe' : 'inherit' });
  if (result.status !== 0) {
    console.error(`package: '${args.join(' ')}' failed\n${result.stderr ?? ''}`);
    process.exit(1);
  }
  return result.stdout;
}

run(['scripts/build.mjs', '--production']);
const files = run([vsce, 'ls', '--no-dependencies'], true).split('\n').filter(Boolean);
const forbidden = files.filter((f) => /^(src|test|bench|demo|scripts|out|webview|docs|\.ci|node_modules)\//.test(f) || /(^|\/)fixtures\//.test(f) || (/\.ts$/.test(f) && !f.endsWith('.d.ts')) || /\.test\.js$/.test(f));
if (forbidden.length > 0) {
  console.error(`package: these files must not ship:\n  ${forbidden.join('\n  ')}`);
  process.exit(1);
}
run([vsce, 'package', '--no-dependencies', '--out', output]);
const bytes = statSync(output).size;
console.log(`\n${output}\n  ${files.length} files, ${(bytes / 1024 / 1024).toFixed(2)} MB${bytes > 10 * 1024 * 1024 ? ' (over the 10 MB target)' : ''}`);
for (const f of files) console.log(`  ${f}`);
