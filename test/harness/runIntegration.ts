/**
 * Launches an integration suite inside a real VS Code extension host served by code-server,
 * waits for its results file and prints what ran. Usage:
 *   node out/test/harness/runIntegration.js --suite trusted --workspace DIR
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultsFile } from '../integration/runSuite';
import { repoRoot } from '../support/paths';
import { launchBrowser, openWorkbench, startCodeServer, workbenchUrl } from './codeServer';

export interface SuiteResults {
  suite: string;
  passed: string[];
  failed: { title: string; error: string }[];
  pending: string[];
  done: boolean;
}

export async function runIntegrationSuite(suite: 'trusted' | 'restricted', sourceWorkspace: string, timeoutMs = 300_000): Promise<SuiteResults> {
  const workspace = mkdtempSync(join(tmpdir(), `opsloop-ws-${suite}-`));
  cpSync(sourceWorkspace, workspace, { recursive: true });
  const runId = `${process.pid}-${Date.now()}`;
  const file = resultsFile(suite, runId);
  rmSync(file, { force: true });
  const server = await startCodeServer({ workspace, trust: suite === 'trusted' ? 'trusted' : 'restricted', env: { OPSLOOP_TEST_RUN_ID: runId } });
  const browser = await launchBrowser();
  const consoleLines: string[] = [];
  try {
    const testsModule = join(repoRoot, 'out', 'test', 'integration', `${suite}.js`);
    if (!existsSync(testsModule)) throw new Error(`${testsModule} is missing: compile with tsc first`);
    const page = await openWorkbench(browser, workbenchUrl(server, workspace, testsModule));
    page.on('console', (m) => consoleLines.push(m.text()));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (existsSync(file)) {
        const results = JSON.parse(readFileSync(file, 'utf8')) as SuiteResults;
        if (results.done) {
          rmSync(file, { force: true });
          return results;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`suite '${suite}' wrote no results within ${timeoutMs / 1000} s.\n--- code-server log ---\n${server.log().slice(-4000)}\n--- browser console ---\n${consoleLines.slice(-40).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await browser.close();
    await server.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const suite = args[args.indexOf('--suite') + 1] as 'trusted' | 'restricted';
  const workspace = args[args.indexOf('--workspace') + 1]!;
  const results = await runIntegrationSuite(suite, workspace);
  const out = args.includes('--results') ? args[args.indexOf('--results') + 1] : undefined;
  if (out) writeFileSync(out, JSON.stringify(results, null, 2));
  for (const t of results.passed) console.log(`  ✔ ${t}`);
  for (const t of results.pending) console.log(`  - ${t} (skipped: counted as failed)`);
  for (const f of results.failed) console.log(`  ✘ ${f.title}\n      ${f.error.split('\n').join('\n      ')}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
