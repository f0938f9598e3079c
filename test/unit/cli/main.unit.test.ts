import * as assert from 'node:assert/strict';
import type { CliIO } from '../../../src/cli/cliCommand';
import { commands } from '../../../src/cli/commands';
import { main } from '../../../src/cli/main';

export function captureIO(cwd = process.cwd()): CliIO & { out: string; err: string } {
  const io = {
    cwd,
    env: {},
    out: '',
    err: '',
    signal: new AbortController().signal,
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
  };
  return io;
}

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
});
