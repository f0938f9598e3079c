// Lint, and the import boundaries of ../shared/design.md: imports point one way
// (extension -> node -> core, cli -> node -> core, webview -> shared). A wrong arrow fails `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'http2', 'dgram', 'tls', 'dns', 'worker_threads', 'cluster', 'os', 'readline'];
const nodeIoAll = nodeIo.flatMap((m) => [m, `node:${m}`]);
const layer = (name) => [`**/${name}/**`, `**/${name}`, `../${name}/*`, `../../${name}/*`];

/** The boundary rule for a folder: which specifiers it may not import, and why. */
function boundary(files, { paths = [], patterns = [] }) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { paths, patterns }],
    },
  };
}

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'out/**', 'out-*/**', 'dist/**', '.vscode-test/**', 'demo/**', 'demo-workspace/**', 'test/fixtures/**', 'scripts/demo/*.js', 'artifacts/**', 'bench/results/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'No default exports (docs/conventions.md).' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.mjs', '.ci/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', fetch: 'readonly' } },
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['scripts/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  boundary(['src/core/**/*.ts'], {
    paths: [{ name: 'vscode', message: 'src/core is pure: no VS Code.' }, ...nodeIoAll.map((name) => ({ name, message: 'src/core is pure: I/O belongs in src/node.' }))],
    patterns: [
      { group: [...layer('node'), ...layer('extension'), ...layer('cli'), ...layer('webview')], message: 'src/core imports only src/core (design.md: imports point one way).' },
      { group: ['axios', 'danfojs-node', '@tensorflow/*', 'playwright-core'], message: 'src/core is pure: libraries with I/O belong in src/node.' },
    ],
  }),
  boundary(['src/shared/**/*.ts'], {
    paths: [{ name: 'vscode', message: 'src/shared is the webview protocol: no VS Code.' }, ...nodeIoAll.map((name) => ({ name, message: 'src/shared runs in the webview too: no Node I/O.' }))],
    patterns: [{ group: [...layer('node'), ...layer('extension'), ...layer('cli')], message: 'src/shared may import only src/core types and itself.' }],
  }),
  boundary(['src/node/**/*.ts'], {
    paths: [{ name: 'vscode', message: 'src/node must not import VS Code: that belongs in src/extension.' }],
    patterns: [{ group: [...layer('extension'), ...layer('cli'), ...layer('webview')], message: 'src/node imports only src/node and src/core.' }],
  }),
  boundary(['src/cli/**/*.ts'], {
    paths: [{ name: 'vscode', message: 'The CLI runs without VS Code.' }],
    patterns: [{ group: [...layer('extension'), ...layer('webview')], message: 'src/cli imports only src/cli, src/node and src/core.' }],
  }),
  boundary(['src/extension/**/*.ts'], {
    patterns: [{ group: [...layer('cli'), ...layer('webview')], message: 'src/extension talks to webviews only through src/shared.' }],
  }),
  boundary(['webview/**/*.ts'], {
    paths: [{ name: 'vscode', message: 'Webviews talk to the host through postMessage and src/shared.' }, ...nodeIoAll.map((name) => ({ name, message: 'Webviews run in a browser.' }))],
    patterns: [{ group: ['**/src/core/**', '**/src/node/**', '**/src/extension/**', '**/src/cli/**'], message: 'webview/ imports only src/shared and UI libraries.' }],
  }),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
