/**
 * The same integration suites in a VS Code downloaded by @vscode/test-electron: the ecosystem's
 * standard runner, for machines that can reach Microsoft's servers (`npm run test:electron`).
 * Here it fails at the download, which is why `npm test` runs the suites in code-server.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { repoRoot } from '../support/paths';

async function main(): Promise<void> {
  const suites: [suite: string, workspace: string, extraArgs: string[]][] = [
    ['trusted', join(repoRoot, 'demo-workspace'), ['--disable-workspace-trust']],
    ['restricted', join(repoRoot, 'test', 'fixtures', 'workspaces', 'marker'), []],
  ];
  for (const [suite, source, extraArgs] of suites) {
    const workspace = mkdtempSync(join(tmpdir(), `opsloop-electron-${suite}-`));
    cpSync(source, workspace, { recursive: true });
    await runTests({
      version: '1.100.3',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: join(repoRoot, 'out', 'test', 'integration', `${suite}.js`),
      launchArgs: [workspace, '--disable-extensions', '--skip-welcome', '--skip-release-notes', ...extraArgs],
    });
  }
}

main().catch((error: unknown) => {
  console.error(`@vscode/test-electron: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
