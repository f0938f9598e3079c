import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { captureIO } from '../../support/cliIO';
import { repoRoot } from '../../support/paths';
import { commands } from '../../../src/cli/commands';
import { main } from '../../../src/cli/main';

describe('opsloop main', () => {
  it('prints help listing every command, and exits 2 without a command', async () => {
    const io = captureIO();
    assert.equal(await main([], io), 2);
    assert.match(io.out, /Usage: opsloop <command>/);
    for (const c of commands) assert.ok(io.out.includes(c.name), `help does not list ${c.name}`);
  });

  it('exits 0 for --help and --version', async () => {
    assert.equal(await main(['--help'], captureIO()), 0);
    const io = captureIO();
    assert.equal(await main(['--version'], io), 0);
    assert.match(io.out, /^\d+\.\d+\.\d+\n$/);
  });

  it('refuses an unknown command with exit status 2 and says which', async () => {
    const io = captureIO();
    assert.equal(await main(['frobnicate'], io), 2);
    assert.match(io.err, /unknown command 'frobnicate'/);
  });

  it('stops quietly when the reader of its output goes away (opsloop plan | head)', async function () {
    this.timeout(30_000);
    const cli = join(repoRoot, 'dist', 'cli.js');
    assert.ok(existsSync(cli), `${cli} is missing: run npm run build first`);
    const child = spawn(process.execPath, [cli, 'plan', '--json'], { cwd: join(repoRoot, 'demo'), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.doesNotMatch(stderr, /EPIPE|Error|at /, stderr);
    assert.notEqual(code, null, 'killed by a signal');
  });
});
