// Bundles the extension host, the CLI and the webviews with esbuild.
//   node scripts/build.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { chmodSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: production ? 'linked' : 'inline',
  // Shipped source maps give readable stack traces in the log without shipping the sources.
  sourcesContent: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
  // Tells code that it runs from a bundle in dist/ (lazy modules sit beside it).
  define: { OPSLOOP_BUNDLED: 'true' },
  legalComments: 'none',
};

/** Node bundles: the extension host (vscode external) and the CLI. */
const node = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  mainFields: ['module', 'main'],
};

const webviewDir = join(root, 'webview');
const webviewEntries = existsSync(webviewDir)
  ? readdirSync(webviewDir).filter((f) => /^[a-zA-Z]+Panel\.ts$/.test(f) || /^[a-zA-Z]+View\.ts$/.test(f)).map((f) => join('webview', f))
  : [];

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  // src/cli/cli.ts starts with its own #! line, which esbuild keeps.
  { ...node, entryPoints: { cli: 'src/cli/cli.ts' }, outdir: 'dist' },
];
if (existsSync(join(root, 'src/node/tables/tables.ts'))) {
  // danfojs-node (with the pure-JS tfjs) is big: its own bundle, loaded only when a table is asked for.
  // danfo requires plotly only in a browser (`typeof window`); leave it out of the Node bundle.
  builds.push({ ...node, entryPoints: { tables: 'src/node/tables/tables.ts' }, outdir: 'dist', sourcemap: false, minify: true, external: [...node.external, 'plotly.js-dist-min'] });
}
if (webviewEntries.length > 0) {
  builds.push({
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: webviewEntries,
    outdir: 'dist/webview',
  });
}

// A production build starts clean (nothing stale ships); a development build overwrites in place,
// so a failed build leaves the last good bundles for the tests that are running.
if (production) rmSync(join(root, 'dist'), { recursive: true, force: true });
const started = Date.now();
if (watch) {
  for (const options of builds) {
    const context = await esbuild.context(options);
    await context.watch();
  }
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  if (existsSync(join(root, 'dist/cli.js'))) chmodSync(join(root, 'dist/cli.js'), 0o755);
  console.log(`esbuild: ${builds.length} bundles in ${Date.now() - started} ms${production ? ' (production)' : ''}`);
}
