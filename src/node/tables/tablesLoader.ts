/**
 * Loads the table layer (tables.ts, with danfojs-node) on first use, never at activation. In
 * the bundles it is dist/tables.js beside the extension or CLI bundle (scripts/build.mjs builds
 * it on its own); in tests it is the compiled module next to this one.
 */
import { join } from 'node:path';
import { OpsloopError } from '../../core/errors';
import type * as Tables from './tables';

declare const OPSLOOP_BUNDLED: boolean | undefined;

export type TablesModule = typeof Tables;

let loading: Promise<TablesModule> | undefined;
let loadMs: number | undefined;

/** Where the module is: a computed path, so esbuild leaves the require to run time. */
function modulePath(): string {
  const bundled = typeof OPSLOOP_BUNDLED !== 'undefined' && OPSLOOP_BUNDLED;
  return bundled ? join(__dirname, 'tables.js') : join(__dirname, 'tables');
}

export function loadTables(): Promise<TablesModule> {
  loading ??= new Promise<TablesModule>((resolve, reject) => {
    // Let the caller's UI update first: the require blocks this thread for about a second.
    setImmediate(() => {
      const started = performance.now();
      try {
        const path = modulePath();
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const module = require(path) as TablesModule;
        loadMs = performance.now() - started;
        resolve(module);
      } catch (error) {
        loading = undefined;
        reject(new OpsloopError('internal', `The table layer (danfojs-node) could not be loaded: ${(error as Error).message}`, 'Open Log', { cause: error }));
      }
    });
  });
  return loading;
}

/** How long the first load took (ms), once it happened. */
export function tablesLoadMs(): number | undefined {
  return loadMs;
}
