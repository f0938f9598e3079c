/**
 * Runs inside the VS Code extension host (code-server here, @vscode/test-electron elsewhere):
 * mocha over one folder of *.vscode.test.js files, results written as JSON for the launcher.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import { repoRoot } from '../support/paths';

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.vscode.test.js')) found.push(path);
  }
  return found.sort();
}

/** Where a suite writes its results; the launcher passes a run id so parallel launches do not collide. */
export function resultsFile(suite: string, runId = process.env.OPSLOOP_TEST_RUN_ID): string {
  return join(repoRoot, 'artifacts', 'integration', runId ? `${suite}-${runId}.json` : `${suite}.json`);
}

export async function runSuite(suite: string): Promise<void> {
  const results = { suite, passed: [] as string[], failed: [] as { title: string; error: string }[], pending: [] as string[], done: false };
  const file = resultsFile(suite);
  mkdirSync(join(repoRoot, 'artifacts', 'integration'), { recursive: true });
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  for (const test of findTests(join(__dirname, suite))) mocha.addFile(test);
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (test) => results.passed.push(test.fullTitle()));
    runner.on('fail', (test, error: Error) => results.failed.push({ title: test.fullTitle(), error: `${error?.message ?? error}\n${error?.stack ?? ''}` }));
    runner.on('pending', (test) => results.pending.push(test.fullTitle()));
  });
  results.done = true;
  writeFileSync(file, JSON.stringify(results, null, 2));
  // test-electron treats a rejection as failure; the code-server launcher reads the file.
  if (results.failed.length > 0) throw new Error(`${results.failed.length} integration tests failed in suite ${suite}`);
}
